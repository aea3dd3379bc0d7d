//! Chunked uploads: parts (numbered from 0 as the SDKs do, or from 1 as tt-uploader
//! does), the complete list that settles which parts make the file and in what order, and
//! the resume query.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{Target, check_length, expected_crc, hex_crc, parse_crc, small_body};
use crate::catalog::PartRecord;
use crate::error::ApiError;
use crate::http::imagex::reply::{HostError, host_ok};

fn check_chunked_id(target: &Target<'_>, id: &str) -> Result<(), ApiError> {
    if target.upload.chunked_id.as_deref() == Some(id) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!("unknown uploadID `{id}`")))
    }
}

pub async fn part(
    target: Target<'_>,
    req: &HttpRequest,
    id: &str,
    number: &str,
    payload: web::Payload,
) -> Result<HttpResponse, HostError> {
    check_chunked_id(&target, id)?;
    if target.upload.state == "uploaded" {
        return Err(ApiError::BadRequest(format!(
            "upload `{id}` is complete; its parts can no longer change"
        ))
        .into());
    }
    let settings = &target.state.settings.imagex;
    let number: i64 = number
        .parse()
        .ok()
        .filter(|n| (0..=i64::from(settings.max_parts)).contains(n))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "partNumber `{number}` is not 0 to {}",
                settings.max_parts
            ))
        })?;
    let uri = &target.upload.store_uri;
    let parts = target.state.catalog.parts(uri).await?;
    let is_new = parts.iter().all(|p| p.part_number != number);
    if is_new && parts.len() >= settings.max_parts as usize {
        return Err(ApiError::BadRequest(format!(
            "over the limit of {} parts (imagex.max_parts)",
            settings.max_parts
        ))
        .into());
    }
    let room = settings
        .max_file_bytes
        .saturating_sub(others_total(&parts, number));
    let (limit, limit_name) = if room < settings.max_part_bytes {
        (
            room,
            "upload limit (what is left of it after the other parts)",
        )
    } else {
        (settings.max_part_bytes, "part limit")
    };
    check_length(req, limit, limit_name)?;
    let crc = expected_crc(req)?;
    let staged = target
        .state
        .staging
        .write(
            &target.upload.upload_id,
            Some(number),
            payload,
            (limit, limit_name),
            crc,
        )
        .await?;
    // Parts written at the same time each saw room for themselves: check the total again.
    let others = others_total(&target.state.catalog.parts(uri).await?, number);
    if others + staged.size > settings.max_file_bytes {
        forget_part(&target, number).await?;
        return Err(ApiError::TooLarge(format!(
            "the parts add up to more than the upload limit of {} bytes",
            settings.max_file_bytes
        ))
        .into());
    }
    let record = PartRecord {
        part_number: number,
        size: staged.size as i64,
        crc32: hex_crc(staged.crc32),
    };
    target.state.catalog.record_part(uri, &record).await?;
    Ok(host_ok(json!({"hash": record.crc32})))
}

/// Drops a part from the catalog and then from staging.
async fn forget_part(target: &Target<'_>, number: i64) -> Result<(), ApiError> {
    let upload = &target.upload;
    target
        .state
        .catalog
        .forget_part(&upload.store_uri, number)
        .await?;
    target
        .state
        .staging
        .remove_part(&upload.upload_id, number)
        .await?;
    Ok(())
}

/// Bytes in the parts other than `except`.
fn others_total(parts: &[PartRecord], except: i64) -> u64 {
    parts
        .iter()
        .filter(|p| p.part_number != except)
        .map(|p| p.size as u64)
        .sum()
}

pub async fn resume(target: Target<'_>, id: &str) -> Result<HttpResponse, HostError> {
    check_chunked_id(&target, id)?;
    let parts = target.state.catalog.parts(&target.upload.store_uri).await?;
    let list: Vec<_> = parts
        .iter()
        .map(|p| json!({"partNumber": p.part_number, "crc32": p.crc32}))
        .collect();
    Ok(host_ok(json!({"partList": list})))
}

pub async fn complete(
    target: Target<'_>,
    req: &HttpRequest,
    id: &str,
    payload: web::Payload,
) -> Result<HttpResponse, HostError> {
    check_chunked_id(&target, id)?;
    if target.upload.state == "uploaded" {
        // A complete sent again (its answer was lost): the file is already settled.
        let crc = target.upload.crc32.clone().unwrap_or_default();
        return Ok(host_ok(
            json!({"hash": crc, "key": target.upload.store_uri}),
        ));
    }
    let listed = parse_list(&small_body(req, payload).await?)?;
    let max_parts = target.state.settings.imagex.max_parts as usize;
    if listed.len() > max_parts {
        return Err(ApiError::BadRequest(format!(
            "over the limit of {max_parts} parts (imagex.max_parts)"
        ))
        .into());
    }
    let uri = &target.upload.store_uri;
    let mut recorded: HashMap<i64, PartRecord> = target
        .state
        .catalog
        .parts(uri)
        .await?
        .into_iter()
        .map(|p| (p.part_number, p))
        .collect();
    let mut total = 0u64;
    // The whole file's CRC32, combined from the parts' without reading them.
    let mut whole = crc32fast::Hasher::new();
    for (number, listed_crc) in &listed {
        let part = recorded
            .remove(number)
            .ok_or_else(|| ApiError::BadRequest(format!("part {number} was never uploaded")))?;
        let crc = parse_crc(&part.crc32)?;
        if let Some(listed_crc) = listed_crc
            && crc != *listed_crc
        {
            return Err(ApiError::BadRequest(format!(
                "CRC32 mismatch for part {number}: the list says {listed_crc:08x}, the part's is {crc:08x}"
            ))
            .into());
        }
        total += part.size as u64;
        whole.combine(&crc32fast::Hasher::new_with_initial_len(
            crc,
            part.size as u64,
        ));
    }
    let limit = target.state.settings.imagex.max_file_bytes;
    if total > limit {
        return Err(ApiError::TooLarge(format!(
            "the parts add up to {total} bytes, over the upload limit of {limit} bytes"
        ))
        .into());
    }
    // The listed parts are the file, read in order at commit, so nothing is copied here.
    // Parts sent but not listed are dropped.
    for unlisted in recorded.into_keys() {
        forget_part(&target, unlisted).await?;
    }
    let crc = hex_crc(whole.finalize());
    target
        .state
        .catalog
        .mark_uploaded(uri, total as i64, &crc)
        .await?;
    Ok(host_ok(json!({"hash": crc, "key": uri})))
}

/// `1:crc,2:crc,...`: consecutive part numbers from 0 or 1, each once, in order; a CRC of
/// `Ignore` (or none) is not checked.
fn parse_list(body: &str) -> Result<Vec<(i64, Option<u32>)>, ApiError> {
    let list = body
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(parse_entry)
        .collect::<Result<Vec<_>, _>>()?;
    if list.is_empty() {
        return Err(ApiError::BadRequest("the part list is empty".into()));
    }
    if let Some(pair) = list.windows(2).find(|pair| pair[1].0 == pair[0].0) {
        return Err(ApiError::BadRequest(format!(
            "part {} is listed twice",
            pair[0].0
        )));
    }
    if let Some(pair) = list.windows(2).find(|pair| pair[1].0 < pair[0].0) {
        return Err(ApiError::BadRequest(format!(
            "parts out of order: {} after {}",
            pair[1].0, pair[0].0
        )));
    }
    let first = list[0].0.clamp(0, 1);
    for (expected, (number, _)) in (first..).zip(&list) {
        if *number != expected {
            return Err(ApiError::BadRequest(format!(
                "part {expected} is missing from the list"
            )));
        }
    }
    Ok(list)
}

fn parse_entry(entry: &str) -> Result<(i64, Option<u32>), ApiError> {
    let (number, crc) = entry.split_once(':').unwrap_or((entry, ""));
    let number: i64 = number
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("`{entry}` is not `partNumber:crc32`")))?;
    let crc = match crc.trim() {
        "" => None,
        c if c.eq_ignore_ascii_case("ignore") => None,
        c => Some(parse_crc(c)?),
    };
    Ok((number, crc))
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn lists_from_zero_or_one() {
        assert_eq!(
            parse_list("1:0000000a,2:Ignore").expect("ok"),
            vec![(1, Some(10)), (2, None)]
        );
        assert_eq!(
            parse_list("0:a, 1:b\n").expect("ok"),
            vec![(0, Some(10)), (1, Some(11))]
        );
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        let cases = [
            ("1:a,1:a", "listed twice"),
            ("2:a,1:b", "out of order"),
            ("1:a,3:b", "part 2 is missing"),
            ("2:a", "part 1 is missing"),
            ("", "empty"),
            ("x:a", "not `partNumber:crc32`"),
            ("1:zz", "not a CRC32"),
        ];
        for (body, fragment) in cases {
            let err = parse_list(body).expect_err(body).to_string();
            assert!(err.contains(fragment), "{body}: {err}");
        }
    }
}
