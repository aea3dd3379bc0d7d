//! Action parameters from the query string (tt-uploader, the SDKs) and, on a POST, a JSON
//! body (the reference document's examples); the query wins on conflict.

use serde_json::Value;

#[derive(Debug, Default)]
pub struct Params {
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Params {
    pub fn new(query_string: &str, body: &[u8]) -> Self {
        let query = serde_urlencoded::from_str(query_string).unwrap_or_default();
        let body = serde_json::from_slice::<Value>(body)
            .ok()
            .filter(Value::is_object);
        Self { query, body }
    }

    /// The first value of `name`: a string, or a number written as one.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.query.iter().find(|(k, _)| k == name) {
            return Some(value.clone());
        }
        match self.body.as_ref()?.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Every value of a repeatable parameter (`StoreKeys=a&StoreKeys=b`, or a JSON array).
    pub fn get_all(&self, name: &str) -> Vec<String> {
        let from_query: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect();
        if !from_query.is_empty() {
            return from_query;
        }
        match self.body.as_ref().and_then(|b| b.get(name)) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn query_wins_and_bodies_fill_in() {
        let params = Params::new(
            "Action=ApplyImageUpload&FileSize=10&StoreKeys=a&StoreKeys=b",
            br#"{"Action": "CommitImageUpload", "FileSize": 20, "SessionKey": "s", "SuccessOids": ["x", "y"]}"#,
        );
        assert_eq!(params.get("Action").as_deref(), Some("ApplyImageUpload"));
        assert_eq!(params.get("FileSize").as_deref(), Some("10"));
        assert_eq!(params.get("SessionKey").as_deref(), Some("s"));
        assert_eq!(params.get_all("StoreKeys"), ["a", "b"]);
        assert_eq!(params.get_all("SuccessOids"), ["x", "y"]);
        assert_eq!(params.get("Missing"), None);
    }
}
