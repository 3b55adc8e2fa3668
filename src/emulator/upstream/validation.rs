//! Abuse protection (CloudEvents webhook validation): before events go to a URL, the
//! emulator asks it with OPTIONS (GET when OPTIONS is 404) whether it takes them, carrying
//! `WebHook-Request-Origin: <emulator host>` and `ce-awpsversion: 1.0` (the handler library
//! ignores requests without it). The URL is the handler's template with `{event}` set to
//! `validate`. Delivery is allowed only by a 2xx with `WebHook-Allowed-Origin` equal to `*`
//! or to the origin (case-insensitive).
//!
//! Verdicts are kept per URL, as the official emulator keeps them: the first check blocks;
//! an allowed URL is checked again after a minute, a refused one after 1 s, then 2, 4 ...
//! up to a minute; meanwhile events use the last verdict and one background check runs.
//! A settings reload forgets every verdict.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::cloudevents::{ALLOWED_ORIGIN, AWPS_VERSION, REQUEST_ORIGIN};
use super::delivery::{self, Policy};
use super::settings::redact_url;
use super::{Inner, Report};

const ALLOWED_RECHECK: Duration = Duration::from_secs(60);
const REFUSED_FIRST_RECHECK: Duration = Duration::from_secs(1);
/// URLs remembered at once (a template with `{hub}` gives one per hub clients pick).
const MAX_RECORDS: usize = 1024;

type Verdict = Result<(), String>;

#[derive(Debug, Default)]
pub struct Validator {
    records: Mutex<HashMap<String, Arc<Record>>>,
    /// The settings generation the records belong to.
    generation: AtomicU64,
}

#[derive(Debug, Default)]
struct Record {
    state: Mutex<State>,
    /// Held by the one task doing the first check, so concurrent first events wait for it.
    first: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct State {
    verdict: Option<Verdict>,
    next_check: Instant,
    refused_interval: Duration,
    refreshing: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            verdict: None,
            next_check: Instant::now(),
            refused_interval: REFUSED_FIRST_RECHECK,
            refreshing: false,
        }
    }
}

/// Whether events may go to `url` (the validation URL); `Err` says why not.
pub async fn check(inner: &Arc<Inner>, url: &str) -> Verdict {
    let record = inner.validator.record(url, inner.settings.generation());
    loop {
        {
            let mut state = record.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(verdict) = state.verdict.clone() {
                if Instant::now() >= state.next_check && !state.refreshing {
                    state.refreshing = true;
                    let (inner, record, url) = (inner.clone(), record.clone(), url.to_string());
                    tokio::spawn(async move {
                        let verdict = ask(&inner, &url).await;
                        settle(&inner, &record, &url, verdict);
                    });
                }
                return verdict;
            }
        }
        let _first = record.first.lock().await;
        if record
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .verdict
            .is_some()
        {
            continue; // another task finished the first check while this one waited
        }
        let verdict = ask(inner, url).await;
        settle(inner, &record, url, verdict.clone());
        return verdict;
    }
}

impl Validator {
    fn record(&self, url: &str, generation: u64) -> Arc<Record> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.swap(generation, Ordering::AcqRel) != generation {
            records.clear();
        }
        if let Some(r) = records.get(url) {
            return r.clone();
        }
        if records.len() >= MAX_RECORDS {
            // Forget the ones nobody is waiting on; worst case, URLs are validated again.
            records.retain(|_, r| Arc::strong_count(r) > 1);
            if records.len() >= MAX_RECORDS {
                records.clear();
            }
        }
        records.entry(url.to_string()).or_default().clone()
    }
}

/// Stores a verdict and reports it when it differs from the last one (so stderr says why
/// a handler gets nothing once, not per event).
fn settle(inner: &Inner, record: &Record, url: &str, verdict: Verdict) {
    let mut state = record.state.lock().unwrap_or_else(|e| e.into_inner());
    let changed = state.verdict.as_ref().map(Result::is_ok) != Some(verdict.is_ok());
    state.next_check = Instant::now()
        + match verdict {
            Ok(()) => {
                state.refused_interval = REFUSED_FIRST_RECHECK;
                ALLOWED_RECHECK
            }
            Err(_) => {
                let wait = state.refused_interval;
                state.refused_interval = (wait * 2).min(ALLOWED_RECHECK);
                wait
            }
        };
    state.verdict = Some(verdict.clone());
    state.refreshing = false;
    drop(state);
    if changed {
        let shown = redact_url(url);
        (inner.options.report)(Report::Validation {
            url: &shown,
            refused: verdict.as_ref().err().map(String::as_str),
        });
    }
}

/// One validation exchange: OPTIONS, then GET if OPTIONS is 404; retried like events.
async fn ask(inner: &Inner, url: &str) -> Verdict {
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid handler URL: {e}"))?;
    let origin = &inner.origin;
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static(REQUEST_ORIGIN),
        HeaderValue::from_str(origin).map_err(|_| format!("invalid origin {origin:?}"))?,
    );
    headers.insert(
        HeaderName::from_static(AWPS_VERSION),
        HeaderValue::from_static("1.0"),
    );
    let mut last = None;
    for method in [Method::OPTIONS, Method::GET] {
        let delays = &inner.options.retry_delays;
        let attempts = delays.len() as u32 + 1;
        let policy = Policy {
            // Each attempt has its own limit; the whole is every attempt plus every delay.
            deadline: Instant::now()
                + inner.options.validation_timeout * attempts
                + delays.iter().sum::<Duration>()
                + Duration::from_secs(1),
            per_attempt: Some(inner.options.validation_timeout),
            retry_delays: delays,
            max_body: 64 * 1024,
        };
        let (outcome, _) = delivery::send(
            &inner.transport,
            method.clone(),
            &parsed,
            &headers,
            &bytes::Bytes::new(),
            &policy,
        )
        .await;
        let reply = outcome.map_err(|f| format!("validation {method} failed: {f}"))?;
        if reply.status == StatusCode::NOT_FOUND && method == Method::OPTIONS {
            last = Some(reply.status);
            continue;
        }
        return judge(reply.status, &reply.headers, origin, &method);
    }
    Err(format!(
        "validation OPTIONS and GET both answered {}",
        last.unwrap_or(StatusCode::NOT_FOUND)
    ))
}

fn judge(status: StatusCode, headers: &HeaderMap, origin: &str, method: &Method) -> Verdict {
    if !status.is_success() {
        return Err(format!("validation {method} answered {status}"));
    }
    let allowed: Vec<&str> = headers
        .get_all(ALLOWED_ORIGIN)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if allowed
        .iter()
        .any(|v| v.trim() == "*" || v.trim().eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    if allowed.is_empty() {
        Err(format!(
            "validation {method} answered {status} without WebHook-Allowed-Origin (expected * or {origin})"
        ))
    } else {
        Err(format!(
            "WebHook-Allowed-Origin is {:?}, which allows neither * nor {origin}",
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(ALLOWED_ORIGIN, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_must_be_star_or_ours() {
        let m = Method::OPTIONS;
        let ok = StatusCode::OK;
        assert!(judge(ok, &with(&["*"]), "localhost:8080", &m).is_ok());
        assert!(judge(ok, &with(&["LocalHost:8080"]), "localhost:8080", &m).is_ok());
        // The handler library sends its allowed list as repeated headers.
        assert!(judge(
            ok,
            &with(&["a.example", "localhost:8080"]),
            "localhost:8080",
            &m
        )
        .is_ok());
        let e = judge(ok, &with(&["other.example"]), "localhost:8080", &m).unwrap_err();
        assert!(e.contains("other.example"), "{e}");
        assert!(judge(ok, &with(&[]), "localhost:8080", &m)
            .unwrap_err()
            .contains("without"));
        assert!(judge(StatusCode::FORBIDDEN, &with(&["*"]), "h", &m)
            .unwrap_err()
            .contains("403"));
    }
}
