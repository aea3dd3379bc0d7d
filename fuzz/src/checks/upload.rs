//! Checks of the Base64 method's body: the JSON envelope and the Base64 reader.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use imgate::biz::BizType;
use imgate::http::bot_upload;
use imgate::ingest::{Base64Error, decode_base64, estimate_cost};
use imgate::media::{self, FileType};

/// The input as the `data` field: what decodes is never over the limit it was read under
/// (checked before decoding), never empty, and reads the same when encoded again.
pub fn base64(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for limit in [0, 3, 64, 4096, u64::MAX] {
        match decode_base64(&text, limit) {
            Ok(bytes) => {
                assert!(!bytes.is_empty());
                assert!(
                    bytes.len() as u64 <= limit,
                    "{} bytes under {limit}",
                    bytes.len()
                );
                assert_eq!(decode_base64(&STANDARD.encode(&bytes), limit), Ok(bytes));
            }
            Err(Base64Error::TooLarge { size, limit: named }) => {
                assert!(size > limit && named == limit, "{size} over {named}");
            }
            Err(_) => {}
        }
    }
    let _ = estimate_cost(&text);
}

/// The input as the request body, taken through the steps the handler takes before the
/// upload is stored: the envelope, the biz type, the declared type, the Base64 data and
/// the type check of what it decodes to.
pub fn upload_json(data: &[u8]) {
    let Ok(request) = bot_upload::parse_request(data) else {
        return;
    };
    let _ = BizType::from_code(request.file_head.biz_type);
    let declared = FileType::from_extension(&request.file_head.file_type);
    let decoded = decode_base64(&request.data, 1 << 20);
    if let (Some(declared), Ok(bytes)) = (declared, decoded) {
        let _ = media::resolve(declared, &bytes);
    }
}
