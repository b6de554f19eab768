//! Twilio 2010-style list pages over the store's keyset paging.
//!
//! A page body is `{"<key>": [...], "page", "page_size", "start", "end", "uri",
//! "first_page_uri", "next_page_uri", "previous_page_uri"}`. The helper libraries find the
//! records under the one key that is not one of those meta keys, and follow
//! `next_page_uri` until it is null — so no other key may appear beside the records.
//!
//! `next_page_uri` carries a `PageToken` naming the last record of the page (its creation
//! time and SID), so page N costs the same as page 0. Going backwards would need a reverse
//! scan the store does not offer, so `previous_page_uri` is always null.

use serde_json::{json, Value};
use switchyard_store::Page;

use crate::params::Params;
use crate::Error;

/// Twilio's default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Twilio's maximum page size.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The parameters every list accepts that are not filters.
const PAGING_PARAMS: [&str; 3] = ["Page", "PageSize", "PageToken"];

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The page number (only reported; the token decides where the page starts).
    pub page: u32,
    /// Records per page, 1..=1000.
    pub size: u32,
    /// Continue after this record (from `PageToken`).
    pub after: Option<(i64, String)>,
}

impl PageRequest {
    /// Read `Page`, `PageSize` and `PageToken`.
    pub fn from_params(params: &Params) -> Result<Self, Error> {
        let size = match params.get("PageSize") {
            None => DEFAULT_PAGE_SIZE,
            Some(s) => s
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    Error::param(
                        "PageSize",
                        format!("{s:?} is not a whole number from 1 to {MAX_PAGE_SIZE}"),
                    )
                })?,
        };
        let page = match params.get("Page") {
            None => 0,
            Some(s) => s
                .parse::<u32>()
                .map_err(|_| Error::param("Page", format!("{s:?} is not a whole number")))?,
        };
        let after = params
            .non_empty("PageToken")
            .map(decode_token)
            .transpose()?;
        // Without a token the list starts at its first record; a page number beyond 0
        // could only be honoured by scanning, so it must come with the token that
        // `next_page_uri` hands out.
        if page > 0 && after.is_none() {
            return Err(Error::param(
                "Page",
                "a Page beyond 0 needs the PageToken from the previous page's next_page_uri",
            ));
        }
        Ok(Self { page, size, after })
    }

    /// What to ask the store: one record more than the page, to learn whether more follow.
    pub fn store_page(&self) -> Page {
        Page {
            size: self.size + 1,
            after: self.after.clone(),
        }
    }
}

fn encode_token(date_created: i64, sid: &str) -> String {
    format!("PT{date_created}_{sid}")
}

fn decode_token(token: &str) -> Result<(i64, String), Error> {
    let bad = || Error::param("PageToken", format!("{token:?} was not issued by this API"));
    let rest = token.strip_prefix("PT").ok_or_else(bad)?;
    let (date, sid) = rest.split_once('_').ok_or_else(bad)?;
    // Exactly what encode_token writes: an optional '-', 1-18 digits, then a SID
    // (two capital letters and 32 lowercase hex digits).
    let digits = date.strip_prefix('-').unwrap_or(date);
    let (prefix, hex) = sid.split_at_checked(2).ok_or_else(bad)?;
    let well_formed = (1..=18).contains(&digits.len())
        && digits.bytes().all(|c| c.is_ascii_digit())
        && prefix.bytes().all(|c| c.is_ascii_uppercase())
        && hex.len() == 32
        && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Err(bad());
    }
    let date = date.parse::<i64>().map_err(|_| bad())?;
    Ok((date, sid.to_owned()))
}

/// One listed page, ready to render.
#[derive(Debug)]
pub struct Listing<'a> {
    /// The records' key in the body (`calls`, `accounts`, …).
    pub key: &'static str,
    /// The list's path (`/2010-04-01/Accounts/AC…/Calls.json`).
    pub path: String,
    /// The request's parameters (filters are carried into every link).
    pub params: &'a Params,
    /// The page asked for.
    pub request: &'a PageRequest,
}

impl Listing<'_> {
    fn link(&self, page: u32, token: Option<&str>) -> String {
        let mut pairs = self.params.without(&PAGING_PARAMS);
        pairs.push(("PageSize".into(), self.request.size.to_string()));
        pairs.push(("Page".into(), page.to_string()));
        if let Some(t) = token {
            pairs.push(("PageToken".into(), t.to_owned()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{}", self.path, query)
    }

    /// The body of a page of `rows` (as returned by the store for
    /// [`PageRequest::store_page`]); `cursor` gives a row's (date_created, sid).
    pub fn body<T>(
        &self,
        mut rows: Vec<T>,
        cursor: impl Fn(&T) -> (i64, String),
        render: impl Fn(&T) -> Value,
    ) -> Value {
        let size = self.request.size as usize;
        let more = rows.len() > size;
        rows.truncate(size);
        let next = match rows.last() {
            Some(last) if more => {
                let (date, sid) = cursor(last);
                Some(self.link(self.request.page + 1, Some(&encode_token(date, &sid))))
            }
            _ => None,
        };
        let start = u64::from(self.request.page) * u64::from(self.request.size);
        let end = (start + rows.len() as u64).saturating_sub(1).max(start);
        let current_token = self
            .request
            .after
            .as_ref()
            .map(|(d, s)| encode_token(*d, s));
        let records: Vec<Value> = rows.iter().map(render).collect();
        json!({
            self.key: records,
            "page": self.request.page,
            "page_size": self.request.size,
            "start": start,
            "end": end,
            "uri": self.link(self.request.page, current_token.as_deref()),
            "first_page_uri": self.link(0, None),
            "next_page_uri": next,
            "previous_page_uri": Value::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let sid = "CA0123456789abcdef0123456789abcdef";
        let t = encode_token(1_700_000_000_000, sid);
        assert_eq!(
            decode_token(&t).unwrap(),
            (1_700_000_000_000, sid.to_owned())
        );
        for bad in [
            "",
            "PT",
            "PTx_CA",
            "PT1_short",
            "XX1_CA0123456789abcdef0123456789abcdef",
        ] {
            assert!(decode_token(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_size_bounds() {
        let ok = Params::parse(b"PageSize=1000").unwrap();
        assert_eq!(PageRequest::from_params(&ok).unwrap().size, 1000);
        for bad in ["PageSize=0", "PageSize=1001", "PageSize=x", "Page=2"] {
            let e = PageRequest::from_params(&Params::parse(bad.as_bytes()).unwrap()).unwrap_err();
            assert!(
                e.to_string().starts_with(bad.split('=').next().unwrap()),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn next_link_only_when_more_rows_exist_and_keeps_filters() {
        let params = Params::parse(b"To=%2B1555&PageSize=2").unwrap();
        let request = PageRequest::from_params(&params).unwrap();
        let listing = Listing {
            key: "calls",
            path: "/x.json".into(),
            params: &params,
            request: &request,
        };
        let rows = vec![
            (3, "CA0123456789abcdef0123456789abcde3"),
            (2, "CA0123456789abcdef0123456789abcde2"),
            (1, "CA0123456789abcdef0123456789abcde1"),
        ];
        let body = listing.body(rows.clone(), |r| (r.0, r.1.to_owned()), |r| json!(r.1));
        assert_eq!(body["calls"].as_array().unwrap().len(), 2);
        assert_eq!(
            body["next_page_uri"],
            "/x.json?To=%2B1555&PageSize=2&Page=1&PageToken=PT2_CA0123456789abcdef0123456789abcde2"
        );
        assert_eq!(
            (body["start"].as_u64(), body["end"].as_u64()),
            (Some(0), Some(1))
        );
        let last = listing.body(
            rows[..2].to_vec(),
            |r| (r.0, r.1.to_owned()),
            |r| json!(r.1),
        );
        assert!(last["next_page_uri"].is_null());
    }
}
