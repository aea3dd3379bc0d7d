//! The calls the client makes, one function each, every one answering a [`ClientError`]
//! that says whether trying again may help.

use reqwest::{Method, RequestBuilder};
use serde_json::json;

use super::ClientError;
use super::limits::ServerLimits;
use super::reply::{send, text};

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

    /// What the server accepts; `None` from a server that predates `/api/upload/limits`.
    pub async fn limits(&self) -> Result<Option<ServerLimits>, ClientError> {
        let url = format!("{}/api/upload/limits", self.server);
        let reply = match send(self.http.get(url), &self.server).await {
            Ok(reply) => reply,
            Err(error) if error.status == Some(404) => return Ok(None),
            Err(error) => return Err(error),
        };
        serde_json::from_value(reply["data"].clone())
            .map(Some)
            .map_err(|e| ClientError::fatal(format!("the server's limits are not understood: {e}")))
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
