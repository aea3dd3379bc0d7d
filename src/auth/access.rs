//! Who may do what: every authorization rule of the service, decided here and nowhere
//! else. Handlers ask, and answer the refusal as it is given.

use super::{AuthError, Principal, Scope};
use crate::biz::BizType;

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
    pub fn may_read(&self, owner: &str) -> bool {
        let reads_all = matches!(self, Principal::ApiKey { scopes, .. }
            if scopes.iter().any(|s| matches!(s, Scope::Read | Scope::Admin)));
        reads_all || self.owns(owner)
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
}
