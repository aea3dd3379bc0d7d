//! `GET /api/upload/limits`: what this server accepts (the Base64 limit, the ImageX file and
//! part limits, what each biz type takes), so a client can pick the method and part size
//! before it sends a byte. No authentication: nothing here is a secret.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use crate::biz::BizType;
use crate::media::{Category, FileType};
use crate::state::AppState;

#[derive(Debug, Serialize)]
struct Limits {
    base64: Base64Limits,
    imagex: ImagexLimits,
    biz_types: Vec<BizTypeRules>,
}

/// `uploads.base64_max_bytes`.
#[derive(Debug, Serialize)]
struct Base64Limits {
    max_bytes: u64,
}

/// `imagex.max_file_bytes`, `imagex.max_part_bytes`, `imagex.max_parts`.
#[derive(Debug, Serialize)]
struct ImagexLimits {
    max_file_bytes: u64,
    max_part_bytes: u64,
    max_parts: u32,
}

#[derive(Debug, Serialize)]
struct BizTypeRules {
    code: u8,
    name: &'static str,
    /// Categories: `image`, `document`, `archive`.
    accepts: Vec<&'static str>,
    /// Extensions of the accepted file types.
    file_types: Vec<&'static str>,
    /// The processing profile its images go through: `icon` or `image`.
    profile: &'static str,
}

pub async fn limits(state: web::Data<AppState>) -> HttpResponse {
    let settings = &state.settings;
    let limits = Limits {
        base64: Base64Limits {
            max_bytes: settings.uploads.base64_max_bytes,
        },
        imagex: ImagexLimits {
            max_file_bytes: settings.imagex.max_file_bytes,
            max_part_bytes: settings.imagex.max_part_bytes,
            max_parts: settings.imagex.max_parts,
        },
        biz_types: BizType::all().map(rules).collect(),
    };
    HttpResponse::Ok().json(json!({"code": 0, "msg": "success", "data": limits}))
}

fn rules(biz: BizType) -> BizTypeRules {
    let categories = [Category::Image, Category::Document, Category::Archive];
    BizTypeRules {
        code: biz.code(),
        name: biz.name(),
        accepts: categories
            .into_iter()
            .filter(|c| biz.accepts(*c))
            .map(Category::name)
            .collect(),
        file_types: FileType::ALL
            .into_iter()
            .filter(|t| t.is_input() && biz.accepts(t.category()))
            .map(FileType::extension)
            .collect(),
        profile: if biz.is_icon() { "icon" } else { "image" },
    }
}
