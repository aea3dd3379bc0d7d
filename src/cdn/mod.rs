//! The CDN side: object URLs (signed in private deployments), and the HTTP caching rules
//! objects are served with. The route itself is in `http::cdn`.

mod conditional;
mod flights;
mod hot;
mod range;
mod signing;
mod template;

pub use conditional::{etag_for, none_match};
pub use flights::Flights;
pub use hot::{Hot, HotCache};
pub use range::{RangeRequest, parse_range};
pub use signing::{SignatureError, UrlSigner};
pub use template::{
    AutoFormat, FormatChoice, TemplateOp, TemplateRules, TemplateSettings, VariantRequest,
    default_templates, negotiate, parse as parse_template,
};

use crate::catalog::unix_now;

/// Builds the URLs handed to clients for stored objects.
#[derive(Debug, Clone)]
pub struct UrlBuilder {
    public_base: String,
    /// Present when the deployment is private: every URL is signed.
    signer: Option<UrlSigner>,
}

impl UrlBuilder {
    pub fn new(public_base: String, signer: Option<UrlSigner>) -> Self {
        Self {
            public_base,
            signer,
        }
    }

    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    pub fn signer(&self) -> Option<&UrlSigner> {
        self.signer.as_ref()
    }

    pub fn url_for(&self, uri: &str) -> String {
        let plain = format!("{}/{uri}", self.public_base);
        match &self.signer {
            Some(signer) => {
                let (expires, signature) = signer.sign(uri, unix_now());
                format!("{plain}?x-expires={expires}&x-signature={signature}")
            }
            None => plain,
        }
    }
}
