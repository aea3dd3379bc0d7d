//! The authenticated caller and what it may do.

use super::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    ApiKey {
        id: i64,
        scopes: Vec<Scope>,
        /// Biz type codes the key may upload to; `None` means all.
        biz_types: Option<Vec<u8>>,
        /// The web user who made the key (it reaches no further than they do); `None` for
        /// the operator's keys.
        user: Option<i64>,
    },
    /// A user logged in on the web: may upload to every biz type and read their objects.
    User { id: i64 },
    /// A temporary upload credential: uploads for `owner`, to one biz type, nothing else.
    Temporary { owner: String, biz_type: u8 },
}

impl Principal {
    /// The owner recorded on objects this caller uploads.
    pub fn owner(&self) -> String {
        match self {
            Principal::ApiKey { id, .. } => format!("key:{id}"),
            Principal::User { id } => format!("user:{id}"),
            Principal::Temporary { owner, .. } => owner.clone(),
        }
    }

    pub fn has_scope(&self, wanted: Scope) -> bool {
        match self {
            Principal::ApiKey { scopes, .. } => {
                scopes.contains(&wanted) || scopes.contains(&Scope::Admin)
            }
            Principal::User { .. } => wanted != Scope::Admin,
            Principal::Temporary { .. } => wanted == Scope::Upload,
        }
    }

    /// Temporary upload credentials allow uploading and nothing else.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Principal::Temporary { .. })
    }

    /// Whether this caller may act on objects recorded with `owner`.
    pub fn owns(&self, owner: &str) -> bool {
        self.owner() == owner || self.has_scope(Scope::Admin)
    }

    pub fn may_use_biz_type(&self, code: u8) -> bool {
        match self {
            Principal::ApiKey {
                biz_types: Some(allowed),
                scopes,
                ..
            } => allowed.contains(&code) || scopes.contains(&Scope::Admin),
            Principal::Temporary { biz_type, .. } => *biz_type == code,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_every_scope_and_biz_type() {
        let admin = Principal::ApiKey {
            id: 1,
            scopes: vec![Scope::Admin],
            biz_types: Some(vec![1]),
            user: None,
        };
        assert!(admin.has_scope(Scope::Upload));
        assert!(admin.may_use_biz_type(2));
    }

    #[test]
    fn temporary_credentials_upload_to_their_biz_type_only() {
        let temp = Principal::Temporary {
            owner: "user:4".into(),
            biz_type: 1,
        };
        assert!(temp.has_scope(Scope::Upload) && !temp.has_scope(Scope::Read));
        assert!(temp.may_use_biz_type(1) && !temp.may_use_biz_type(2));
        assert_eq!(temp.owner(), "user:4");
    }

    #[test]
    fn limited_key_stays_limited() {
        let key = Principal::ApiKey {
            id: 7,
            scopes: vec![Scope::Read],
            biz_types: Some(vec![1, 3]),
            user: None,
        };
        assert!(!key.has_scope(Scope::Upload));
        assert!(key.may_use_biz_type(3));
        assert!(!key.may_use_biz_type(2));
        assert_eq!(key.owner(), "key:7");
        let user = Principal::User { id: 2 };
        assert!(user.has_scope(Scope::Upload) && !user.has_scope(Scope::Admin));
    }
}
