//! Checks of the parsers of request text: V4 signatures and their dates, the part list of a
//! chunked upload and its CRC32s, and template URLs.

use std::collections::BTreeMap;

use imgate::auth::v4::{self, SignatureHeader, SignedRequest};
use imgate::cdn::{FormatChoice, TemplateOp, TemplateRules, TemplateSettings, default_templates};
use imgate::ingest::session::{Crc32, PartList};
use imgate::media::FileType;
use imgate::pipeline::Operation;

const SECRET: &str = "fuzz-secret-key";

/// The input as a request: `METHOD path?query`, `Name: value` lines, a blank line, the body.
/// Whatever Authorization header it has is parsed and verified; the X-Date of every line
/// that parses as one turns back into the same text; and what `sign` makes of the request
/// verifies.
pub fn v4(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let request = SignedRequest {
        method,
        path,
        query,
        headers: &headers,
        body: body.as_bytes(),
    };
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("authorization")
            && let Some(parsed) = SignatureHeader::parse(value)
        {
            assert!(!parsed.signed_headers.is_empty());
            let _ = v4::verify(&parsed, &request, SECRET);
        }
        if let Some(unix) = v4::x_date_unix(value) {
            assert_eq!(&x_date(unix), value, "{unix}");
        }
    }
    signs_and_verifies(&request);
}

/// `20251015T112451Z` for a Unix time, from the service's own UTC formatting.
fn x_date(unix: i64) -> String {
    let utc = imgate::clock::format_utc(unix);
    let digits: String = utc.chars().filter(char::is_ascii_digit).collect();
    format!("{}T{}Z", &digits[..8], &digits[8..])
}

/// Signs the request's headers whose names HTTP allows, with its X-Date (or a fixed one
/// when it has none that parses), and verifies the result.
fn signs_and_verifies(request: &SignedRequest<'_>) {
    let token = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let visible = |value: &str| {
        value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    };
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, value)| token(name) && visible(value))
        .filter(|(name, _)| !name.eq_ignore_ascii_case("x-date"))
        .cloned()
        .collect();
    let date = request
        .headers
        .iter()
        .find(|(name, value)| {
            name.eq_ignore_ascii_case("x-date") && v4::x_date_unix(value).is_some()
        })
        .map_or("20251015T112451Z", |(_, value)| value.as_str());
    headers.push(("X-Date".to_owned(), date.to_owned()));
    let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    let signed = SignedRequest {
        headers: &headers,
        ..*request
    };
    let auth = v4::sign(
        &signed,
        "AKLTfuzz",
        SECRET,
        "cn-north-1",
        "ImageX",
        date,
        &names,
    );
    let parsed = SignatureHeader::parse(&auth).expect("the header `sign` makes parses");
    assert_eq!(v4::verify(&parsed, &signed, SECRET), Ok(()), "{auth}");
}

/// Every `:`/`,`-separated token that parses as a CRC32 prints and parses back the same; a
/// list that parses is numbered from 0 or 1 without a gap, and written out again parses the
/// same.
pub fn part_list(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for token in text.split([',', ':', '\n']).map(str::trim) {
        if let Ok(crc) = token.parse::<Crc32>() {
            assert_eq!(u32::from_str_radix(token, 16), Ok(crc.0));
            let printed = crc.to_string();
            assert_eq!(printed.len(), 8);
            assert_eq!(printed.parse::<Crc32>(), Ok(crc));
        }
    }
    let Ok(list) = PartList::parse(&text) else {
        return;
    };
    let first = list.0[0].0;
    assert!(first == 0 || first == 1, "first part {first}");
    for (offset, (number, _)) in (0..).zip(&list.0) {
        assert_eq!(*number, first + offset);
    }
    let again: Vec<String> = list
        .0
        .iter()
        .map(|(number, crc)| crc.map_or(format!("{number}:Ignore"), |c| format!("{number}:{c}")))
        .collect();
    assert_eq!(PartList::parse(&again.join(",")), Ok(list));
}

/// The input as an object URI, under open rules and under a list of allowed sizes: a
/// variant it names has sizes within the rules, one spelling, and a storage key that
/// names it again.
pub fn template(data: &[u8]) {
    let uri = String::from_utf8_lossy(data);
    let mut templates = default_templates();
    let preset = TemplateSettings {
        op: TemplateOp::Crop,
        width: Some(100),
        height: Some(100),
    };
    templates.insert("avatar".to_owned(), preset);
    for allowed in [&[][..], &[64, 128, 256]] {
        let rules = TemplateRules {
            service_id: "imgate",
            templates: &templates,
            max_side: 4096,
            allowed_sizes: allowed,
        };
        template_under(&uri, &rules, &templates);
    }
}

fn template_under(
    uri: &str,
    rules: &TemplateRules<'_>,
    templates: &BTreeMap<String, TemplateSettings>,
) {
    let Some(parsed) = imgate::cdn::parse_template(uri, rules) else {
        assert!(!uri.contains("~tplv-"), "{uri}");
        return;
    };
    let Ok(variant) = parsed else {
        return;
    };
    assert!(uri.starts_with(&variant.base));
    let name = variant.template.split(':').next().unwrap_or_default();
    let preset = templates.get(name).is_some_and(|t| t.width.is_some());
    if let Operation::Fit { width, height } | Operation::Fill { width, height } = variant.operation
        && !preset
    {
        for side in [width, height] {
            assert!((1..=rules.max_side).contains(&side), "{side}");
            assert!(rules.allowed_sizes.is_empty() || rules.allowed_sizes.contains(&side));
        }
        // One spelling per variant, or each spelling stores another copy of it.
        assert_eq!(
            variant.template,
            format!("{name}:{width}:{height}"),
            "{uri}"
        );
    }
    for format in [FileType::Webp, FileType::Jpeg, FileType::Png] {
        let key = variant.key(rules.service_id, format);
        let again = imgate::cdn::parse_template(&key, rules)
            .expect("a variant's key is a template URL")
            .expect("a variant's key is valid");
        assert_eq!(
            (&again.base, &again.template, again.operation),
            (&variant.base, &variant.template, variant.operation)
        );
        assert_eq!(again.format, FormatChoice::Exactly(format));
    }
}
