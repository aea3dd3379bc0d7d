//! How the console's APIs show a stored object: its record with its URL (signed in
//! private deployments), and for an image in a listing a thumbnail URL.

use serde::Serialize;

use crate::biz::BizType;
use crate::catalog::ObjectRecord;
use crate::cdn::parse_template;
use crate::media::FileType;
use crate::state::AppState;

/// Side of the square thumbnails a listing asks for, in pixels.
const THUMBNAIL_SIDE: u32 = 256;

#[derive(Debug, Serialize)]
pub struct ObjectView {
    pub uri: String,
    pub url: String,
    /// `image`, `document` or `archive`.
    pub kind: String,
    pub content_type: String,
    /// The stored file's type, as its extension (`png`, `pdf`).
    pub format: Option<&'static str>,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub frames: Option<i64>,
    pub biz_type: i64,
    pub biz_name: Option<&'static str>,
    pub created_at: i64,
    /// Who uploaded it: `user:<id>` or `key:<id>`.
    pub owner: String,
    /// For a variant, its original.
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

impl ObjectView {
    pub fn new(record: ObjectRecord, state: &AppState) -> Self {
        Self {
            url: state.urls.url_for(&record.uri),
            format: FileType::from_mime(&record.content_type).map(FileType::extension),
            biz_name: BizType::from_code(record.biz_type).map(BizType::name),
            uri: record.uri,
            kind: record.kind,
            content_type: record.content_type,
            size: record.size,
            width: record.width,
            height: record.height,
            frames: record.frames,
            biz_type: record.biz_type,
            created_at: record.created_at,
            owner: record.owner,
            parent: record.parent,
            thumbnail_url: None,
        }
    }

    /// Adds a thumbnail to an image: the smallest stored square variant at least
    /// [`THUMBNAIL_SIDE`] wide, else a `crop` template URL of that size when the
    /// deployment's templates allow one, else the original itself.
    pub fn with_thumbnail(mut self, variants: &[&ObjectRecord], state: &AppState) -> Self {
        if self.kind != "image" {
            return self;
        }
        let side = i64::from(THUMBNAIL_SIDE);
        let stored = variants
            .iter()
            .filter(|v| v.width.is_some_and(|w| w >= side) && v.width == v.height)
            .min_by_key(|v| (v.width, v.content_type != "image/webp"));
        let uri = match stored {
            Some(variant) => variant.uri.clone(),
            None => {
                let service = &state.settings.imagex.service_id;
                let template = format!(
                    "{}~tplv-{service}-crop:{THUMBNAIL_SIDE}:{THUMBNAIL_SIDE}.webp",
                    self.uri
                );
                match parse_template(&template, &state.template_rules()) {
                    Some(Ok(_)) => template,
                    _ => self.uri.clone(),
                }
            }
        };
        self.thumbnail_url = Some(state.urls.url_for(&uri));
        self
    }
}
