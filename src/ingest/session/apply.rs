//! Opening a session (`ApplyImageUpload`): 1-10 StoreUris, named by the client's StoreKeys
//! or made fresh, none of them naming an existing object; a declared size over the limit
//! is refused before any byte is sent.

use super::{SessionError, Sessions, stem_of};
use crate::biz::BizType;
use crate::catalog::{CatalogError, NewUpload, UploadSession};
use crate::clock::unix_now;
use crate::random::random_hex;
use crate::storage::ObjectKey;

/// Most StoreUris one apply may ask for.
pub const MAX_UPLOAD_NUM: usize = 10;

/// Random bytes in generated ids (session keys, upload ids, StoreUri names).
const ID_BYTES: usize = 16;

/// How the StoreUris of a new session are named.
#[derive(Debug, Clone)]
pub enum Naming {
    /// `<service>/<StoreKey>` for each of the client's StoreKeys.
    Keys(Vec<String>),
    /// `count` fresh `<service>/<random id><extension>` (`extension` is `.jpg` or empty).
    Fresh { count: usize, extension: String },
}

/// What an apply asks for.
#[derive(Debug, Clone)]
pub struct Apply {
    /// Who will own the objects (`key:<id>`, `user:<id>`).
    pub owner: String,
    pub biz: BizType,
    /// The file size the client declared, in bytes.
    pub declared_size: Option<u64>,
    pub naming: Naming,
}

/// A session just opened.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub session: UploadSession,
    pub uploads: Vec<NewUpload>,
}

impl Sessions {
    pub async fn open(&self, apply: Apply) -> Result<OpenedSession, SessionError> {
        let limit = self.limits.max_file_bytes;
        if let Some(size) = apply.declared_size.filter(|size| *size > limit) {
            return Err(SessionError::TooLarge(format!(
                "FileSize {size} bytes is over the ImageX upload limit of {limit} bytes (imagex.max_file_bytes)"
            )));
        }
        let store_uris = self.store_uris(apply.naming)?;
        for uri in &store_uris {
            if self.catalog.stem_taken(stem_of(uri)).await? {
                return Err(SessionError::Taken(uri.clone()));
            }
        }
        let now = unix_now();
        let session = UploadSession {
            session_key: random_hex(ID_BYTES),
            owner: apply.owner,
            biz_type: i64::from(apply.biz.code()),
            created_at: now,
            expires_at: now + self.limits.ttl.as_secs() as i64,
        };
        let declared_size = apply.declared_size.map(|size| size as i64);
        let uploads: Vec<NewUpload> = store_uris
            .into_iter()
            .map(|store_uri| NewUpload {
                store_uri,
                upload_id: random_hex(ID_BYTES),
                declared_size,
            })
            .collect();
        match self.catalog.open_upload_session(&session, &uploads).await {
            Ok(()) => Ok(OpenedSession { session, uploads }),
            // Two applies named the same StoreKey at once: the catalog let one through.
            Err(CatalogError::Conflict(what)) => Err(SessionError::Clash(what)),
            Err(other) => Err(other.into()),
        }
    }

    fn store_uris(&self, naming: Naming) -> Result<Vec<String>, SessionError> {
        let service = &self.service_id;
        match naming {
            Naming::Keys(keys) if keys.len() > MAX_UPLOAD_NUM => {
                Err(SessionError::TooManyStoreKeys(MAX_UPLOAD_NUM))
            }
            Naming::Keys(keys) => keys
                .into_iter()
                .map(|key| {
                    if key.contains('~') {
                        let why = "`~` is reserved for variants";
                        return Err(SessionError::BadStoreKey { key, why });
                    }
                    match ObjectKey::parse(&format!("{service}/{key}")) {
                        Ok(uri) => Ok(uri.to_string()),
                        Err(e) => Err(SessionError::BadStoreKey { key, why: e.why }),
                    }
                })
                .collect(),
            Naming::Fresh { count, extension } => Ok((0..count)
                .map(|_| format!("{service}/{}{extension}", random_hex(ID_BYTES)))
                .collect()),
        }
    }
}
