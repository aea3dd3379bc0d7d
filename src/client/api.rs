//! The calls the client makes, one function each, every one answering a [`ClientError`]
//! that says whether trying again may help.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use super::ClientError;

const ACTIONS: &str = "/api/common/upload/apply_upload_action";

/// What an apply handed out for one file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Ticket {
    pub store_uri: String,
    pub auth: String,
    pub session_key: String,
    pub upload_host: String,
}

/// A stored file: its URI and URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub uri: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    server: String,
    key: String,
}

impl Api {
    pub fn new(server: &str, key: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| ClientError::fatal(format!("cannot set up HTTP: {e}")))?;
        Ok(Self {
            http,
            server: server.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }

    fn scheme(&self) -> &str {
        if self.server.starts_with("https://") {
            "https"
        } else {
            "http"
        }
    }

    /// Method 1.
    pub async fn base64_upload(
        &self,
        ext: &str,
        biz: u8,
        data: String,
    ) -> Result<Stored, ClientError> {
        let body = json!({"file_head": {"file_type": ext, "biz_type": biz}, "data": data});
        let request = self
            .http
            .post(format!("{}/api/bot/upload_file", self.server))
            .bearer_auth(&self.key)
            .json(&body);
        let reply = send(request, &self.server).await?;
        let data = &reply["data"];
        Ok(Stored {
            uri: text(&data["upload_uri"])?,
            url: text(&data["upload_url"])?,
        })
    }

    pub async fn apply(&self, ext: &str, biz: u8, size: u64) -> Result<Ticket, ClientError> {
        let url = format!(
            "{}{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01&BizType={biz}&FileExtension=.{ext}&FileSize={size}",
            self.server
        );
        let reply = send(self.http.get(url).bearer_auth(&self.key), &self.server).await?;
        let address = &reply["Result"]["UploadAddress"];
        let info = &address["StoreInfos"][0];
        Ok(Ticket {
            store_uri: text(&info["StoreUri"])?,
            auth: text(&info["Auth"])?,
            session_key: text(&address["SessionKey"])?,
            upload_host: text(&address["UploadHosts"][0])?,
        })
    }

    fn host(&self, method: Method, ticket: &Ticket, query: &str) -> RequestBuilder {
        let url = format!(
            "{}://{}/{}{query}",
            self.scheme(),
            ticket.upload_host,
            ticket.store_uri
        );
        self.http
            .request(method, url)
            .header("authorization", &ticket.auth)
    }

    pub async fn upload_direct(&self, ticket: &Ticket, bytes: Vec<u8>) -> Result<(), ClientError> {
        let crc = format!("{:08x}", crc32fast::hash(&bytes));
        send(
            self.host(Method::POST, ticket, "")
                .header("content-crc32", crc)
                .body(bytes),
            &self.server,
        )
        .await?;
        Ok(())
    }

    pub async fn start_chunked(&self, ticket: &Ticket) -> Result<String, ClientError> {
        let reply = send(self.host(Method::POST, ticket, "?uploads"), &self.server).await?;
        text(&reply["payload"]["uploadID"])
    }

    pub async fn upload_part(
        &self,
        ticket: &Ticket,
        id: &str,
        number: usize,
        part: Vec<u8>,
    ) -> Result<String, ClientError> {
        let crc = format!("{:08x}", crc32fast::hash(&part));
        let query = format!("?partNumber={number}&uploadID={id}");
        send(
            self.host(Method::POST, ticket, &query)
                .header("content-crc32", &crc)
                .body(part),
            &self.server,
        )
        .await?;
        Ok(crc)
    }

    /// Part numbers (and CRCs) the server already has.
    pub async fn received_parts(
        &self,
        ticket: &Ticket,
        id: &str,
    ) -> Result<Vec<(usize, String)>, ClientError> {
        let reply = send(
            self.host(Method::GET, ticket, &format!("?uploadID={id}")),
            &self.server,
        )
        .await?;
        let parts = reply["payload"]["partList"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(parts
            .iter()
            .filter_map(|p| {
                Some((
                    p["partNumber"].as_u64()? as usize,
                    p["crc32"].as_str()?.to_owned(),
                ))
            })
            .collect())
    }

    pub async fn complete(
        &self,
        ticket: &Ticket,
        id: &str,
        list: String,
    ) -> Result<(), ClientError> {
        let request = self
            .host(Method::POST, ticket, &format!("?uploadID={id}"))
            .header("content-type", "text/plain")
            .body(list);
        send(request, &self.server).await?;
        Ok(())
    }

    pub async fn commit(&self, ticket: &Ticket) -> Result<Stored, ClientError> {
        let url = format!(
            "{}{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01",
            self.server
        );
        let body = json!({"SessionKey": ticket.session_key, "SuccessOids": [ticket.store_uri]});
        let reply = send(
            self.http.post(url).bearer_auth(&self.key).json(&body),
            &self.server,
        )
        .await?;
        let plugin = &reply["Result"]["PluginResult"][0];
        Ok(Stored {
            uri: text(&plugin["ImageUri"])?,
            url: text(&plugin["ImageUrl"])?,
        })
    }
}

fn text(value: &Value) -> Result<String, ClientError> {
    value.as_str().map(str::to_owned).ok_or_else(|| {
        ClientError::fatal(format!("the server's answer lacks a field (got {value})"))
    })
}

/// Sends, and turns every failure into one line that says what happened.
async fn send(request: RequestBuilder, server: &str) -> Result<Value, ClientError> {
    let response = request.send().await.map_err(|e| network(e, server))?;
    let status = response.status();
    let body = read_json(response).await;
    if status.is_success() {
        return body.map_err(|e| network(e, server));
    }
    let message = body
        .ok()
        .as_ref()
        .map_or_else(|| "no details".to_owned(), server_message);
    let line = format!(
        "{} {}: {message}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(ClientError::retryable(line))
    } else {
        Err(ClientError::fatal(line))
    }
}

async fn read_json(response: Response) -> Result<Value, reqwest::Error> {
    response.json().await
}

/// The message in any of imgate's error shapes.
fn server_message(body: &Value) -> String {
    [
        &body["msg"],
        &body["ResponseMetadata"]["Error"]["Message"],
        &body["error"]["message"],
    ]
    .iter()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
    .map_or_else(|| body.to_string(), str::to_owned)
}

fn network(error: reqwest::Error, server: &str) -> ClientError {
    let cause =
        std::error::Error::source(&error).map_or_else(|| error.to_string(), |s| s.to_string());
    if error.is_connect() {
        ClientError::retryable(format!("cannot reach the server at {server}: {cause}"))
    } else if error.is_timeout() {
        ClientError::retryable(format!("the server at {server} did not answer in time"))
    } else {
        ClientError::retryable(format!("the connection to {server} failed: {cause}"))
    }
}
