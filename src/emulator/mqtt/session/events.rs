//! User events from an MQTT client (the service's "MQTT CloudEvents" reference, user
//! `{custom_event}` event): a PUBLISH to `$webpubsub/server/events/{event}` raises `{event}`
//! at the hub's event handler, and the handler's answer comes back to that client on
//! `$webpubsub/server/events/{event}/succeeded` (2xx) or `.../failed`.
//!
//! As for json clients' `event` messages (`ws::events`), one worker per connection calls the
//! handler in order while the session goes on, with at most [`MAX_PENDING_EVENTS`] waiting;
//! its answers come back to the session over a channel of the same size, and the session
//! acknowledges each PUBLISH (QoS 1 and 2) only once its answer is there. A client past the
//! cap is not keeping to its handler's pace and is disconnected (quota exceeded): MQTT 3.1.1
//! has no way to refuse one PUBLISH. Answers that come after the connection ended are
//! dropped; an unacknowledged QoS 1 request comes again from the client if its session
//! resumes. Imports no sibling.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::emulator::upstream::mqtt::MqttEventReply;
use crate::emulator::upstream::{self, Failure, Upstream};

/// Events a connection may have waiting for the handler, as json clients may.
pub(super) const MAX_PENDING_EVENTS: usize = 64;
/// The topic prefix of user events.
pub(super) const EVENTS_PREFIX: &str = "$webpubsub/server/events/";

/// One PUBLISH for the handler.
pub(super) struct Job {
    pub name: String,
    pub content_type: String,
    pub payload: Bytes,
    pub user_properties: Vec<(String, String)>,
    pub correlation_data: Option<Bytes>,
    pub qos: u8,
    pub pkid: u16,
}

/// A job and how its call went.
pub(super) struct Done {
    pub name: String,
    pub correlation_data: Option<Bytes>,
    pub qos: u8,
    pub pkid: u16,
    pub outcome: Result<MqttEventReply, Failure>,
}

/// The connection's queue of user events, its worker started on first use.
pub(super) struct Events {
    upstream: Upstream,
    view: Arc<upstream::Connection>,
    jobs: Option<mpsc::Sender<Job>>,
    done: Option<mpsc::Receiver<Done>>,
}

/// [`MAX_PENDING_EVENTS`] are waiting already.
pub(super) struct Full;

impl Events {
    pub fn new(upstream: Upstream, view: Arc<upstream::Connection>) -> Events {
        Events {
            upstream,
            view,
            jobs: None,
            done: None,
        }
    }

    /// Queues an event for the handler.
    pub fn submit(&mut self, job: Job) -> Result<(), Full> {
        if self.jobs.is_none() {
            let (jobs, rx) = mpsc::channel(MAX_PENDING_EVENTS);
            let (tx, done) = mpsc::channel(MAX_PENDING_EVENTS);
            tokio::spawn(work(self.upstream.clone(), self.view.clone(), rx, tx));
            self.jobs = Some(jobs);
            self.done = Some(done);
        }
        match &self.jobs {
            Some(jobs) => jobs.try_send(job).map_err(|_| Full),
            None => Err(Full),
        }
    }

    /// The next answered event; never resolves while no event was sent.
    pub async fn done(&mut self) -> Done {
        match &mut self.done {
            Some(rx) => match rx.recv().await {
                Some(done) => done,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }
}

/// The worker: ends when the session drops its sender, or its receiver (the connection is
/// over).
async fn work(
    upstream: Upstream,
    view: Arc<upstream::Connection>,
    mut jobs: mpsc::Receiver<Job>,
    done: mpsc::Sender<Done>,
) {
    while let Some(job) = jobs.recv().await {
        let outcome = upstream
            .mqtt_user_event(
                &view,
                &job.name,
                &job.content_type,
                job.payload,
                &job.user_properties,
            )
            .await;
        let answered = Done {
            name: job.name,
            correlation_data: job.correlation_data,
            qos: job.qos,
            pkid: job.pkid,
            outcome,
        };
        if done.send(answered).await.is_err() {
            return;
        }
    }
}

/// Whether `ct` is a MIME type (`type/subtype`, optional parameters), as the service asks of
/// a user event's Content Type, which becomes the request's `Content-Type`.
pub(super) fn is_mime_type(ct: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    let valid_essence = essence
        .split_once('/')
        .is_some_and(|(t, sub)| token(t) && token(sub));
    valid_essence && ct.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_must_be_mime_types() {
        for good in [
            "application/json",
            "text/plain; charset=utf-8",
            "application/vnd.x+json",
        ] {
            assert!(is_mime_type(good), "{good}");
        }
        for bad in [
            "",
            "json",
            "text/",
            "/plain",
            "a b/c",
            "text/plain\n",
            "é/x",
        ] {
            assert!(!is_mime_type(bad), "{bad:?}");
        }
    }
}
