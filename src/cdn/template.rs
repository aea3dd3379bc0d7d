//! Template URLs, veImageX style: `{uri}~tplv-{service_id}-{template}[:p1[:p2]].{format}`.
//! A template is named in configuration: `resize` (fit inside W x H), `crop` (fill W x H and
//! centre-crop), `noop` (the image as it is), or a preset with fixed sizes. Parameters are
//! bounded, so a URL cannot make the server do unbounded work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::media::FileType;
use crate::pipeline::Operation;

const MARKER: &str = "~tplv-";

/// What a template does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateOp {
    Resize,
    Crop,
    Identity,
}

/// A named template. With `width` and `height` set it is a preset and takes no parameters;
/// otherwise `resize` and `crop` take `:W:H` from the URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSettings {
    pub op: TemplateOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

pub fn default_templates() -> BTreeMap<String, TemplateSettings> {
    let op = |op| TemplateSettings {
        op,
        width: None,
        height: None,
    };
    BTreeMap::from([
        ("resize".to_owned(), op(TemplateOp::Resize)),
        ("crop".to_owned(), op(TemplateOp::Crop)),
        ("noop".to_owned(), op(TemplateOp::Identity)),
    ])
}

/// The output format a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Exactly(FileType),
    /// `image`: the stored format.
    Stored,
    /// `auto`: the first of `cdn.auto_formats` the client's `Accept` names, else the stored
    /// format.
    Negotiated,
}

/// A format `auto` may answer with, when the client's `Accept` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoFormat {
    Avif,
    Webp,
}

impl AutoFormat {
    pub fn file_type(self) -> FileType {
        match self {
            AutoFormat::Avif => FileType::Avif,
            AutoFormat::Webp => FileType::Webp,
        }
    }
}

/// The first of `order` that `accept` (an `Accept` header) names with a quality above 0.
/// Wildcards do not count: `image/*` says nothing about which formats a client decodes.
pub fn negotiate(
    accept: Option<&str>,
    order: impl IntoIterator<Item = AutoFormat>,
) -> Option<FileType> {
    let accept = accept?;
    let named = |mime: &str| {
        accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let refused = |p: &str| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            };
            parts.next().is_some_and(|m| m.eq_ignore_ascii_case(mime)) && !parts.any(refused)
        })
    };
    order
        .into_iter()
        .map(AutoFormat::file_type)
        .find(|t| named(t.mime()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRequest {
    /// The stored object's URI.
    pub base: String,
    /// `{template}[:params]` as written in the URL.
    pub template: String,
    pub operation: Operation,
    pub format: FormatChoice,
}

/// Limits on what a template URL may ask for.
#[derive(Debug, Clone)]
pub struct TemplateRules<'a> {
    pub service_id: &'a str,
    pub templates: &'a BTreeMap<String, TemplateSettings>,
    pub max_side: u32,
    /// When not empty, the only widths and heights allowed.
    pub allowed_sizes: &'a [u32],
}

impl VariantRequest {
    /// The storage key of this variant in `format` (each format is cached apart).
    pub fn key(&self, service_id: &str, format: FileType) -> String {
        format!(
            "{}{MARKER}{service_id}-{}.{}",
            self.base,
            self.template,
            format.extension()
        )
    }
}

/// `None` when `uri` is not a template URL; `Err(why)` when it is one but is not valid.
pub fn parse(uri: &str, rules: &TemplateRules<'_>) -> Option<Result<VariantRequest, String>> {
    let (base, rest) = uri.split_once(MARKER)?;
    Some(parse_rest(base, rest, rules))
}

fn parse_rest(base: &str, rest: &str, rules: &TemplateRules<'_>) -> Result<VariantRequest, String> {
    let service = rules.service_id;
    let spec = rest
        .strip_prefix(service)
        .and_then(|r| r.strip_prefix('-'))
        .ok_or_else(|| format!("the template is not for this service (`{service}`)"))?;
    let (template, format) = spec.rsplit_once('.').ok_or_else(|| {
        "the template URL has no output format (.webp, .avif, .jpeg, .png, .image or .auto)"
            .to_owned()
    })?;
    let format = match format {
        "webp" => FormatChoice::Exactly(FileType::Webp),
        "avif" => FormatChoice::Exactly(FileType::Avif),
        "jpeg" | "jpg" => FormatChoice::Exactly(FileType::Jpeg),
        "png" => FormatChoice::Exactly(FileType::Png),
        "image" => FormatChoice::Stored,
        "auto" => FormatChoice::Negotiated,
        other => {
            return Err(format!(
                "unknown output format `{other}` (webp, avif, jpeg, png, image or auto)"
            ));
        }
    };
    let mut parts = template.split(':');
    let name = parts.next().unwrap_or_default();
    let params: Vec<&str> = parts.collect();
    let settings = rules
        .templates
        .get(name)
        .ok_or_else(|| format!("unknown template `{name}`"))?;
    Ok(VariantRequest {
        base: base.to_owned(),
        template: template.to_owned(),
        operation: operation(name, settings, &params, rules)?,
        format,
    })
}

fn operation(
    name: &str,
    settings: &TemplateSettings,
    params: &[&str],
    rules: &TemplateRules<'_>,
) -> Result<Operation, String> {
    if settings.op == TemplateOp::Identity {
        return if params.is_empty() {
            Ok(Operation::Identity)
        } else {
            Err(format!("template `{name}` takes no parameters"))
        };
    }
    let (width, height) = match (settings.width, settings.height, params) {
        (Some(w), Some(h), []) => (w, h),
        (Some(_), Some(_), _) => return Err(format!("template `{name}` takes no parameters")),
        (_, _, [w, h]) => (side(w, rules)?, side(h, rules)?),
        _ => return Err(format!("template `{name}` takes two parameters, `:W:H`")),
    };
    Ok(match settings.op {
        TemplateOp::Resize => Operation::Fit { width, height },
        _ => Operation::Fill { width, height },
    })
}

fn side(text: &str, rules: &TemplateRules<'_>) -> Result<u32, String> {
    let value: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a size in pixels"))?;
    // A variant is stored under the URL's own spelling: `064`, `0064` and `+64` would each
    // make and store another copy of the same variant, past any `cdn.allowed_sizes`.
    if value.to_string() != text {
        return Err(format!(
            "`{text}` is not a size in pixels as written: no sign or leading zeros (`{value}`)"
        ));
    }
    if value == 0 || value > rules.max_side {
        return Err(format!(
            "size {value} is outside 1 to {} (cdn.max_side)",
            rules.max_side
        ));
    }
    if !rules.allowed_sizes.is_empty() && !rules.allowed_sizes.contains(&value) {
        return Err(format!(
            "size {value} is not one of the allowed sizes {:?} (cdn.allowed_sizes)",
            rules.allowed_sizes
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules<'a>(
        templates: &'a BTreeMap<String, TemplateSettings>,
        allowed: &'a [u32],
    ) -> TemplateRules<'a> {
        TemplateRules {
            service_id: "imgate",
            templates,
            max_side: 4096,
            allowed_sizes: allowed,
        }
    }

    #[test]
    fn parses_each_template_and_format() {
        let templates = default_templates();
        let r = rules(&templates, &[]);
        let v = parse("svc/a.jpg~tplv-imgate-resize:256:128.webp", &r)
            .expect("template")
            .expect("valid");
        assert_eq!(v.base, "svc/a.jpg");
        assert_eq!(
            v.operation,
            Operation::Fit {
                width: 256,
                height: 128
            }
        );
        assert_eq!(v.format, FormatChoice::Exactly(FileType::Webp));
        assert_eq!(
            v.key("imgate", FileType::Webp),
            "svc/a.jpg~tplv-imgate-resize:256:128.webp"
        );
        let v = parse("a.png~tplv-imgate-crop:64:64.auto", &r)
            .expect("t")
            .expect("v");
        assert_eq!(
            (v.operation, v.format),
            (
                Operation::Fill {
                    width: 64,
                    height: 64
                },
                FormatChoice::Negotiated
            )
        );
        let v = parse("a.png~tplv-imgate-noop.image", &r)
            .expect("t")
            .expect("v");
        assert_eq!(
            (v.operation, v.format),
            (Operation::Identity, FormatChoice::Stored)
        );
        let v = parse("a.jpg~tplv-imgate-resize:32:32.avif", &r)
            .expect("t")
            .expect("v");
        assert_eq!(v.format, FormatChoice::Exactly(FileType::Avif));
        assert_eq!(
            v.key("imgate", FileType::Avif),
            "a.jpg~tplv-imgate-resize:32:32.avif"
        );
        assert!(parse("svc/a.jpg", &r).is_none());
    }

    #[test]
    fn auto_takes_the_first_format_the_client_names() {
        use AutoFormat::{Avif, Webp};
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        let cases = [
            (Some(chrome), &[Avif, Webp][..], Some(FileType::Avif)),
            (Some(chrome), &[Webp, Avif][..], Some(FileType::Webp)),
            (Some(chrome), &[][..], None),
            (
                Some("image/webp,*/*"),
                &[Avif, Webp][..],
                Some(FileType::Webp),
            ),
            (
                Some("Image/AVIF ; q=0.5"),
                &[Avif][..],
                Some(FileType::Avif),
            ),
            (
                Some("image/avif;q=0, image/webp"),
                &[Avif, Webp][..],
                Some(FileType::Webp),
            ),
            (Some("image/avif; q=0.0"), &[Avif][..], None),
            (Some("image/*,*/*"), &[Avif, Webp][..], None),
            (Some("image/avifx,image/webp2"), &[Avif, Webp][..], None),
            (None, &[Avif, Webp][..], None),
        ];
        for (accept, order, want) in cases {
            assert_eq!(
                negotiate(accept, order.iter().copied()),
                want,
                "{accept:?} {order:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_out_of_bounds_or_unknown() {
        let templates = default_templates();
        let r = rules(&templates, &[]);
        let cases = [
            ("a~tplv-imgate-blur:3:3.webp", "unknown template"),
            ("a~tplv-imgate-resize:0:10.webp", "outside 1 to 4096"),
            ("a~tplv-imgate-resize:-5:10.webp", "not a size"),
            ("a~tplv-imgate-resize:abc:10.webp", "not a size"),
            ("a~tplv-imgate-resize:4097:10.webp", "outside 1 to 4096"),
            ("a~tplv-imgate-resize:10.webp", "two parameters"),
            ("a~tplv-imgate-resize:10:10.gif", "unknown output format"),
            ("a~tplv-imgate-resize:10:10", "no output format"),
            ("a~tplv-other-resize:10:10.webp", "not for this service"),
            ("a~tplv-imgate-noop:1.webp", "no parameters"),
            (
                "a~tplv-imgate-resize:+64:64.webp",
                "no sign or leading zeros (`64`)",
            ),
            (
                "a~tplv-imgate-crop:64:0064.webp",
                "no sign or leading zeros (`64`)",
            ),
        ];
        for (uri, fragment) in cases {
            let err = parse(uri, &r).expect("template").expect_err(uri);
            assert!(err.contains(fragment), "{uri}: {err}");
        }
        let allowed = rules(&templates, &[64, 128]);
        assert!(
            parse("a~tplv-imgate-crop:64:128.png", &allowed)
                .expect("t")
                .is_ok()
        );
        assert!(
            parse("a~tplv-imgate-crop:64:100.png", &allowed)
                .expect("t")
                .is_err()
        );
    }
}
