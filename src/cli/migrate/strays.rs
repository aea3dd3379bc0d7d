//! Originals the destination records and the source does not: deleted from the source
//! since an earlier run (a run copies, it never deletes), or uploaded to the destination.

use super::{Ends, MigrateError};

/// Originals read from the destination at a time.
const PAGE: i64 = 500;

/// URIs named on stderr at most.
const SHOWN: usize = 10;

/// Counts the destination's originals that the source has no record of, naming the first
/// few on stderr.
pub async fn count(ends: &Ends) -> Result<u64, MigrateError> {
    let mut strays = 0u64;
    let mut after: Option<String> = None;
    loop {
        let page = ends.to.originals_after(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.uri.clone());
        let uris: Vec<String> = page.into_iter().map(|o| o.uri).collect();
        let known = ends.from.recorded_hashes(&uris).await?;
        for uri in uris.iter().filter(|uri| !known.contains_key(*uri)) {
            if strays < SHOWN as u64 {
                eprintln!("imgate migrate: `{uri}` is recorded in the destination only");
            }
            strays += 1;
        }
    }
    Ok(strays)
}
