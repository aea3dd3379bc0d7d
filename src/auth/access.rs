//! Who may do what: every authorization rule of the service, decided here and nowhere
//! else. Handlers ask, and answer the refusal as it is given.

use super::{AuthError, Principal, Scope};
use crate::biz::BizType;

/// Whose originals a caller lists and looks at (`GET /api/objects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Library {
    /// Everyone's: the operator's keys with the `read` or `admin` scope.
    Everyone,
    /// A web user's: what they uploaded, and what the keys they made uploaded. Their keys
    /// with the `read` scope see the same.
    User(i64),
    /// One owner's: what a key with the `upload` scope only uploaded itself.
    Owner(String),
}

impl Principal {
    /// The caller holds `scope` (an admin key holds every scope).
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "this credential lacks the `{scope}` scope"
            )))
        }
    }

    /// The caller may upload to `biz`: the upload scope, and `biz` among its biz types.
    pub fn may_upload_to(&self, biz: BizType) -> Result<(), AuthError> {
        self.require(Scope::Upload)?;
        if self.may_use_biz_type(biz.code()) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "this credential may not upload to {biz}"
            )))
        }
    }

    /// The biz type an ImageX session of this caller uploads to: a temporary credential's
    /// own; else the one `asked`; else the only one a limited key has; else BIZ_UNKNOWN.
    pub fn upload_biz_type(&self, asked: Option<BizType>) -> Result<BizType, AuthError> {
        let chosen = match (self, asked) {
            (Principal::Temporary { biz_type, .. }, _) => BizType::from_code(i64::from(*biz_type)),
            (_, Some(asked)) => Some(asked),
            (
                Principal::ApiKey {
                    biz_types: Some(only),
                    ..
                },
                None,
            ) if only.len() == 1 => BizType::from_code(i64::from(only[0])),
            _ => Some(BizType::UNKNOWN),
        };
        let biz = chosen.unwrap_or(BizType::UNKNOWN);
        if self.may_use_biz_type(biz.code()) {
            Ok(biz)
        } else {
            Err(forbidden(format!(
                "this credential may not upload to {biz}"
            )))
        }
    }

    /// The caller may upload into and commit an upload session recorded with `owner` and
    /// `biz_type`: the upload scope, the session's owner, and its biz type.
    pub fn may_use_session(&self, owner: &str, biz_type: i64) -> Result<(), AuthError> {
        self.require(Scope::Upload)?;
        let biz_allowed = u8::try_from(biz_type).is_ok_and(|code| self.may_use_biz_type(code));
        if self.owns(owner) && biz_allowed {
            Ok(())
        } else {
            Err(forbidden("this upload session belongs to someone else"))
        }
    }

    /// The caller may ask for temporary upload credentials: it can upload, and is not
    /// itself a temporary credential.
    pub fn may_issue_credentials(&self) -> Result<(), AuthError> {
        self.require(Scope::Upload)?;
        if self.is_temporary() {
            return Err(forbidden("temporary credentials cannot issue credentials"));
        }
        Ok(())
    }

    /// The caller may ask for object URLs at all (which ones: [`Principal::may_read`]).
    pub fn may_refresh_urls(&self) -> Result<(), AuthError> {
        if self.is_temporary() || !(self.has_scope(Scope::Read) || self.has_scope(Scope::Upload)) {
            return Err(forbidden("this credential may not read objects"));
        }
        Ok(())
    }

    /// Whether the caller may have URLs of an object recorded with `owner`: keys with the
    /// read (or admin) scope read everything, others their own objects.
    /// A key a web user made reads no further than that user's own objects.
    pub fn may_read(&self, owner: &str) -> bool {
        match self.library() {
            Ok(Library::Everyone) => true,
            Ok(Library::User(user)) => owner == format!("user:{user}") || self.owns(owner),
            _ => self.owns(owner),
        }
    }

    /// Whose originals the caller lists: see [`Library`]. Temporary credentials list nothing.
    pub fn library(&self) -> Result<Library, AuthError> {
        match self {
            Principal::Temporary { .. } => Err(forbidden(
                "temporary credentials upload and do nothing else",
            )),
            Principal::User { id } => Ok(Library::User(*id)),
            Principal::ApiKey { scopes, user, .. } => {
                let reads = scopes
                    .iter()
                    .any(|s| matches!(s, Scope::Read | Scope::Admin));
                match (reads, user) {
                    (true, None) => Ok(Library::Everyone),
                    (true, Some(user)) => Ok(Library::User(*user)),
                    (false, _) if self.has_scope(Scope::Upload) => Ok(Library::Owner(self.owner())),
                    (false, _) => Err(forbidden("this credential may not list objects")),
                }
            }
        }
    }

    /// Whether an object recorded with `owner` is in the caller's library; `owner_user` is
    /// the web user that owner belongs to (`user:<id>`, or a key the user made), if any.
    pub fn sees(&self, owner: &str, owner_user: Option<i64>) -> bool {
        match self.library() {
            Ok(Library::Everyone) => true,
            Ok(Library::User(user)) => owner_user == Some(user),
            Ok(Library::Owner(only)) => only == owner,
            Err(_) => false,
        }
    }

    /// The caller may delete an object of `owner` (who belongs to `owner_user`) from the
    /// console: a web user anything in their library; keys as [`Principal::may_delete`].
    pub fn may_remove(&self, owner: &str, owner_user: Option<i64>) -> Result<(), AuthError> {
        match self {
            Principal::User { id } if owner_user == Some(*id) => Ok(()),
            _ => self.may_delete(owner),
        }
    }

    /// The web user whose keys the caller manages: only a signed-in user manages keys, and
    /// only their own (the operator uses `imgate keys`).
    pub fn key_manager(&self) -> Result<i64, AuthError> {
        match self {
            Principal::User { id } => Ok(*id),
            _ => Err(forbidden(
                "only a signed-in user manages their keys here; the operator uses `imgate keys`",
            )),
        }
    }

    /// The scopes a web user may give a key they make: `upload` and `read` (which then
    /// reads their own objects only), never `admin`.
    pub fn may_grant(&self, scopes: &[Scope]) -> Result<(), AuthError> {
        self.key_manager()?;
        if scopes.contains(&Scope::Admin) {
            return Err(forbidden(
                "a key made here may have the `upload` and `read` scopes; `admin` keys are \
                 made by the operator with `imgate keys create`",
            ));
        }
        Ok(())
    }

    /// Whether the caller may see and revoke a key made by `key_user`.
    pub fn may_manage_key(&self, key_user: Option<i64>) -> bool {
        self.key_manager().is_ok_and(|user| key_user == Some(user))
    }

    /// The caller may delete an object recorded with `owner`: its owner or an admin key,
    /// never a temporary credential.
    pub fn may_delete(&self, owner: &str) -> Result<(), AuthError> {
        if self.is_temporary() || !self.owns(owner) {
            return Err(forbidden(
                "only the owner or an admin key may delete this object",
            ));
        }
        Ok(())
    }
}

fn forbidden(why: impl Into<String>) -> AuthError {
    AuthError::Forbidden(why.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scopes: &[Scope], biz_types: Option<&[u8]>) -> Principal {
        Principal::ApiKey {
            id: 3,
            scopes: scopes.to_vec(),
            biz_types: biz_types.map(<[u8]>::to_vec),
            user: None,
        }
    }

    fn user_key(scopes: &[Scope], user: i64) -> Principal {
        Principal::ApiKey {
            id: 5,
            scopes: scopes.to_vec(),
            biz_types: None,
            user: Some(user),
        }
    }

    fn biz(code: i64) -> BizType {
        BizType::from_code(code).expect("biz type")
    }

    #[test]
    fn sessions_belong_to_their_owner_and_biz_type() {
        let uploader = key(&[Scope::Upload], Some(&[1]));
        assert!(uploader.may_use_session("key:3", 1).is_ok());
        assert!(uploader.may_use_session("key:4", 1).is_err());
        assert!(uploader.may_use_session("key:3", 2).is_err());
        assert!(uploader.may_use_session("key:3", 300).is_err());
        let reader = key(&[Scope::Read], None);
        let refused = reader
            .may_use_session("key:3", 1)
            .expect_err("no upload scope");
        assert!(refused.to_string().contains("`upload` scope"), "{refused}");
        assert!(
            key(&[Scope::Admin], None)
                .may_use_session("key:9", 2)
                .is_ok()
        );
    }

    #[test]
    fn the_session_biz_type_follows_the_credential() {
        let temporary = Principal::Temporary {
            owner: "user:1".into(),
            biz_type: 4,
        };
        assert_eq!(
            temporary.upload_biz_type(Some(biz(2))).expect("own").code(),
            4
        );
        let limited = key(&[Scope::Upload], Some(&[3]));
        assert_eq!(limited.upload_biz_type(None).expect("only one").code(), 3);
        assert!(limited.upload_biz_type(Some(biz(2))).is_err());
        let open = key(&[Scope::Upload], None);
        assert_eq!(open.upload_biz_type(None).expect("unknown").code(), 0);
        assert_eq!(open.upload_biz_type(Some(biz(6))).expect("asked").code(), 6);
    }

    #[test]
    fn temporary_credentials_only_upload() {
        let temporary = Principal::Temporary {
            owner: "user:1".into(),
            biz_type: 1,
        };
        assert!(temporary.may_upload_to(biz(1)).is_ok());
        assert!(temporary.may_upload_to(biz(2)).is_err());
        assert!(temporary.may_issue_credentials().is_err());
        assert!(temporary.may_refresh_urls().is_err());
        assert!(temporary.may_delete("user:1").is_err());
        let user = Principal::User { id: 1 };
        assert!(user.may_issue_credentials().is_ok());
        assert!(user.may_delete("user:1").is_ok() && user.may_delete("user:2").is_err());
        assert!(user.may_read("user:1") && !user.may_read("user:2"));
        assert!(key(&[Scope::Read], None).may_read("user:2"));
    }

    #[test]
    fn a_library_is_whose_objects_a_caller_sees() {
        let user = Principal::User { id: 1 };
        assert_eq!(user.library().expect("user"), Library::User(1));
        assert!(user.sees("key:9", Some(1)) && !user.sees("user:2", Some(2)));
        assert!(!user.sees("key:3", None));
        let operator_reader = key(&[Scope::Read], None);
        assert_eq!(
            operator_reader.library().expect("reader"),
            Library::Everyone
        );
        assert!(operator_reader.sees("user:2", Some(2)));
        let uploader = key(&[Scope::Upload], None);
        assert!(uploader.sees("key:3", None) && !uploader.sees("key:4", None));
        let temporary = Principal::Temporary {
            owner: "user:1".into(),
            biz_type: 1,
        };
        assert!(temporary.library().is_err() && !temporary.sees("user:1", Some(1)));
    }

    #[test]
    fn a_users_key_reaches_no_further_than_its_user() {
        let reader = user_key(&[Scope::Read], 1);
        assert_eq!(reader.library().expect("reader"), Library::User(1));
        assert!(reader.sees("key:8", Some(1)) && !reader.sees("user:2", Some(2)));
        assert!(reader.may_read("user:1") && reader.may_read("key:5"));
        assert!(!reader.may_read("user:2") && !reader.may_read("key:3"));
        let uploader = user_key(&[Scope::Upload], 1);
        assert_eq!(
            uploader.library().expect("uploader"),
            Library::Owner("key:5".into())
        );
        assert!(uploader.may_remove("user:1", Some(1)).is_err());
        assert!(uploader.may_remove("key:5", Some(1)).is_ok());
    }

    #[test]
    fn users_manage_their_own_keys_without_admin() {
        let user = Principal::User { id: 1 };
        assert_eq!(user.key_manager().expect("manager"), 1);
        assert!(user.may_grant(&[Scope::Upload, Scope::Read]).is_ok());
        let refused = user.may_grant(&[Scope::Admin]).expect_err("admin");
        assert!(
            refused.to_string().contains("imgate keys create"),
            "{refused}"
        );
        assert!(user.may_manage_key(Some(1)));
        assert!(!user.may_manage_key(Some(2)) && !user.may_manage_key(None));
        let admin = key(&[Scope::Admin], None);
        assert!(admin.key_manager().is_err() && !admin.may_manage_key(None));
        assert!(user.may_remove("key:9", Some(1)).is_ok());
        assert!(user.may_remove("user:2", Some(2)).is_err());
    }
}
