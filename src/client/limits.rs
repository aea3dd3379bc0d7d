//! What the server accepts, as `GET /api/upload/limits` says (or, from a server that
//! predates it, the defaults it would have), and what that means for one file: the method
//! that carries it and the size of its parts.

use serde::Deserialize;

use super::UploadMethod;
use crate::biz::BizType;
use crate::media::Category;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerLimits {
    pub base64: Base64Limits,
    pub imagex: ImagexLimits,
    /// What each biz type takes; empty when the server did not say.
    #[serde(default)]
    pub biz_types: Vec<BizRules>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Base64Limits {
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ImagexLimits {
    pub max_file_bytes: u64,
    pub max_part_bytes: u64,
    pub max_parts: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BizRules {
    pub code: u8,
    pub name: String,
    /// `image`, `document`, `archive`.
    pub accepts: Vec<String>,
    #[serde(default)]
    pub file_types: Vec<String>,
}

/// How one file travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Base64,
    /// The ImageX flow, the whole file in one request.
    Direct,
    /// The ImageX flow in parts of this many bytes.
    Chunked {
        part_size: usize,
    },
}

impl Route {
    /// The name results report.
    pub fn name(self) -> &'static str {
        match self {
            Route::Base64 => "base64",
            Route::Direct => "imagex",
            Route::Chunked { .. } => "imagex-chunked",
        }
    }
}

impl ServerLimits {
    /// A server's defaults: what a server without the limits route is assumed to take.
    pub fn defaults() -> Self {
        Self {
            base64: Base64Limits { max_bytes: 5 * MIB },
            imagex: ImagexLimits {
                max_file_bytes: 100 * MIB,
                max_part_bytes: 64 * MIB,
                max_parts: 10_000,
            },
            biz_types: Vec::new(),
        }
    }

    /// The route for a file of `size` bytes: Base64 up to the server's Base64 limit (under
    /// `auto`), the ImageX flow above it, in parts above `chunk_threshold`.
    pub fn route(
        &self,
        method: UploadMethod,
        size: u64,
        chunk_threshold: u64,
        part_size: usize,
    ) -> Route {
        let base64 = match method {
            UploadMethod::Base64 => true,
            UploadMethod::Imagex => false,
            UploadMethod::Auto => size <= self.base64.max_bytes,
        };
        if base64 {
            Route::Base64
        } else if size > chunk_threshold {
            Route::Chunked {
                part_size: self.part_size(size, part_size),
            }
        } else {
            Route::Direct
        }
    }

    /// `preferred`, made no larger than the server's part limit, and large enough that the
    /// file needs no more parts than the server takes.
    fn part_size(&self, size: u64, preferred: usize) -> usize {
        let largest = self.imagex.max_part_bytes.max(1);
        let fewest = size.div_ceil(self.imagex.max_parts.max(1));
        let chosen = (preferred as u64).min(largest).max(fewest).min(largest);
        usize::try_from(chosen).unwrap_or(usize::MAX).max(1)
    }

    /// Whether `biz` takes files of `category`, by the server's word when it gave one.
    pub fn accepts(&self, biz: BizType, category: Category) -> bool {
        match self.rules(biz.code()) {
            Some(rules) => rules.accepts.iter().any(|c| c == category.name()),
            None => biz.accepts(category),
        }
    }

    /// Why `biz` refuses `found` (a file of `category`), and the biz types that take it.
    pub fn refusal(&self, biz: BizType, category: Category, found: &str) -> String {
        let takes = match self.rules(biz.code()) {
            Some(rules) if !rules.file_types.is_empty() => rules.file_types.join(", "),
            Some(rules) => rules.accepts.join(", "),
            None => biz.accepted_description().to_owned(),
        };
        let others: Vec<String> = self
            .biz_types
            .iter()
            .filter(|r| r.accepts.iter().any(|c| c == category.name()))
            .map(|r| format!("{} ({})", r.code, r.name))
            .collect();
        let refused = format!("{biz} takes {takes}, not {found}");
        match others.split_last() {
            None => refused,
            Some((last, [])) => format!("{refused}; --biz-type {last} does"),
            Some((last, rest)) => {
                format!("{refused}; --biz-type {} or {last} does", rest.join(", "))
            }
        }
    }

    fn rules(&self, code: u8) -> Option<&BizRules> {
        self.biz_types.iter().find(|r| r.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(limits: &ServerLimits, size: u64) -> Route {
        limits.route(UploadMethod::Auto, size, 10 * MIB, 5 * MIB as usize)
    }

    #[test]
    fn the_servers_base64_limit_chooses_the_method() {
        let mut limits = ServerLimits::defaults();
        assert_eq!(auto(&limits, 5 * MIB), Route::Base64);
        assert_eq!(auto(&limits, 5 * MIB + 1), Route::Direct);
        limits.base64.max_bytes = 1000;
        assert_eq!(auto(&limits, 1000), Route::Base64);
        assert_eq!(auto(&limits, 1001), Route::Direct);
        assert_eq!(
            auto(&limits, 12 * MIB),
            Route::Chunked {
                part_size: 5 * MIB as usize
            }
        );
        let forced = limits.route(UploadMethod::Base64, 12 * MIB, 10 * MIB, 1);
        assert_eq!(forced, Route::Base64, "a method asked for is used");
    }

    #[test]
    fn parts_fit_the_servers_part_limit_and_count() {
        let mut limits = ServerLimits::defaults();
        limits.imagex.max_part_bytes = MIB;
        assert_eq!(limits.part_size(50 * MIB, 5 * MIB as usize), MIB as usize);
        let mut limits = ServerLimits::defaults();
        limits.imagex.max_parts = 4;
        assert_eq!(
            limits.part_size(40 * MIB, 5 * MIB as usize),
            10 * MIB as usize
        );
    }

    #[test]
    fn the_servers_biz_rules_win_and_name_alternatives() {
        let reply = r#"{"base64": {"max_bytes": 10},
            "imagex": {"max_file_bytes": 10, "max_part_bytes": 10, "max_parts": 1},
            "biz_types": [
              {"code": 1, "name": "BIZ_BOT_ICON", "accepts": ["image"], "file_types": ["png"]},
              {"code": 2, "name": "BIZ_BOT_DATASET", "accepts": ["image", "document"]}]}"#;
        let limits: ServerLimits = serde_json::from_str(reply).expect("parses");
        assert!(!limits.accepts(BizType::BOT_ICON, Category::Document));
        assert!(!limits.accepts(BizType::BOT_DATASET, Category::Archive));
        assert_eq!(
            limits.refusal(BizType::BOT_ICON, Category::Document, "a PDF document"),
            "BIZ_BOT_ICON takes png, not a PDF document; --biz-type 2 (BIZ_BOT_DATASET) does"
        );
        let unknown = ServerLimits::defaults();
        assert!(unknown.accepts(BizType::BOT_DATASET, Category::Archive));
        assert_eq!(
            unknown.refusal(BizType::BOT_ICON, Category::Document, "plain text"),
            "BIZ_BOT_ICON takes images only, not plain text"
        );
    }
}
