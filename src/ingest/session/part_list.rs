//! The body of a chunked upload's complete: `1:crc,2:crc,...`, the parts that make the file,
//! numbered consecutively from 0 or 1, each once and in order. A CRC of `Ignore` (or none)
//! is not checked.

use super::crc::{BadCrc, Crc32};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartListError {
    #[error("the part list is empty")]
    Empty,
    #[error("part {0} is listed twice")]
    Twice(i64),
    #[error("parts out of order: {later} after {earlier}")]
    OutOfOrder { earlier: i64, later: i64 },
    #[error("part {0} is missing from the list")]
    Missing(i64),
    #[error("`{0}` is not `partNumber:crc32`")]
    BadEntry(String),
    #[error(transparent)]
    BadCrc(#[from] BadCrc),
}

/// A parsed part list: each part's number and the CRC32 the client says it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartList(pub Vec<(i64, Option<Crc32>)>);

impl PartList {
    pub fn parse(body: &str) -> Result<Self, PartListError> {
        let list = body
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        if list.is_empty() {
            return Err(PartListError::Empty);
        }
        if let Some(pair) = list.windows(2).find(|pair| pair[1].0 == pair[0].0) {
            return Err(PartListError::Twice(pair[0].0));
        }
        if let Some(pair) = list.windows(2).find(|pair| pair[1].0 < pair[0].0) {
            return Err(PartListError::OutOfOrder {
                earlier: pair[0].0,
                later: pair[1].0,
            });
        }
        let first = list[0].0.clamp(0, 1);
        for (expected, (number, _)) in (first..).zip(&list) {
            if *number != expected {
                return Err(PartListError::Missing(expected));
            }
        }
        Ok(Self(list))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_entry(entry: &str) -> Result<(i64, Option<Crc32>), PartListError> {
    let (number, crc) = entry.split_once(':').unwrap_or((entry, ""));
    let number: i64 = number
        .trim()
        .parse()
        .map_err(|_| PartListError::BadEntry(entry.chars().take(40).collect()))?;
    let crc = match crc.trim() {
        "" => None,
        c if c.eq_ignore_ascii_case("ignore") => None,
        c => Some(c.parse()?),
    };
    Ok((number, crc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_from_zero_or_one() {
        assert_eq!(
            PartList::parse("1:0000000a,2:Ignore").expect("ok").0,
            vec![(1, Some(Crc32(10))), (2, None)]
        );
        assert_eq!(
            PartList::parse("0:a, 1:b\n").expect("ok").0,
            vec![(0, Some(Crc32(10))), (1, Some(Crc32(11)))]
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
            let err = PartList::parse(body).expect_err(body).to_string();
            assert!(err.contains(fragment), "{body}: {err}");
        }
    }
}
