//! Cross-site request forgery: a state-changing request that a browser sends with its
//! cookies (no `Authorization` header) from a page of another origin is refused, unless
//! that origin is one of `imagex.cors_origins`. The session cookie's `SameSite=Lax` keeps
//! other sites' requests cookieless; this check also holds between sites of one domain.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn same_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(refusal) = refusal(&req) {
        let response = refusal.error_response();
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn refusal(req: &ServiceRequest) -> Option<ApiError> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let origin = match text(header::ORIGIN.as_str()) {
        Some(origin) => origin.to_owned(),
        // No Origin: not a browser page's request, unless the browser says it is another
        // site's.
        None if text("sec-fetch-site").is_some_and(|site| site != "same-origin") => {
            "another site".to_owned()
        }
        None => return None,
    };
    let own = origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(req.connection_info().host()));
    let listed = req.app_data::<web::Data<AppState>>().is_some_and(|state| {
        let allowed = &state.settings.imagex.cors_origins;
        allowed
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(&origin))
    });
    (!own && !listed).then(|| {
        ApiError::Forbidden(format!(
            "a {} with a session cookie from {origin} (its Origin) is refused: it must come \
             from this server's own pages or an origin in imagex.cors_origins",
            req.method()
        ))
    })
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn refused(request: TestRequest) -> bool {
        refusal(
            &request
                .insert_header((header::HOST, "img.test:8888"))
                .to_srv_request(),
        )
        .is_some()
    }

    #[test]
    fn only_cookie_writes_from_other_origins_are_refused() {
        let post = || TestRequest::post().uri("/api/keys");
        assert!(refused(
            post().insert_header((header::ORIGIN, "http://evil.test"))
        ));
        assert!(refused(post().insert_header((header::ORIGIN, "null"))));
        assert!(refused(
            post().insert_header(("sec-fetch-site", "same-site"))
        ));
        assert!(!refused(
            post().insert_header((header::ORIGIN, "http://img.test:8888"))
        ));
        assert!(!refused(post()));
        assert!(!refused(
            post()
                .insert_header((header::ORIGIN, "http://evil.test"))
                .insert_header((header::AUTHORIZATION, "Bearer pat_x"))
        ));
        assert!(!refused(
            TestRequest::get().insert_header((header::ORIGIN, "http://evil.test"))
        ));
    }
}
