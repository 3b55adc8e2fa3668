//! MQTT sessions by client id: the live ones (so a new connection with the same id takes
//! over) and the ones kept after their connection ended, for a client that comes back with
//! Clean Start 0 ("persistent session" in the service's MQTT support list: kept for up to
//! 30 seconds; MQTT 5's Session Expiry Interval, capped there).
//!
//! A kept session has one timer (see `session::state`): its 5.0 will's delay, if any, then its
//! expiry; so timers are bounded like kept sessions.
//!
//! A kept session stays in its hub (groups, permissions, queued messages), so messages sent
//! while its client is away wait in its queue, behind the ones it had not acknowledged; it
//! ends at its expiry (the `disconnected` event), when its client comes back with Clean
//! Start 1, or when the emulator stops.
//!
//! The store is one map per emulator (`Shared::mqtt_sessions`), keyed by the hub's identity
//! (an `Arc<Hub>` that every entry holds, so the key cannot be reused while the entry exists)
//! and the client id, and bounded by the live connections plus [`MAX_KEPT`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::codec::Will;
use super::inflight::Inflight;
use crate::emulator::hub::{Conn, Hub, Inbox, Targets};
use crate::emulator::upstream;

/// Sessions kept at once across the emulator; past this a session ends with its connection.
pub(super) const MAX_KEPT: usize = 1000;
/// The longest a session is kept: the service keeps one "for up to 30 seconds".
pub(super) const MAX_EXPIRY: Duration = Duration::from_secs(30);

type Key = (usize, String);

/// A session waiting for its client.
pub(super) struct Kept {
    pub session_id: String,
    pub hub: Arc<Hub>,
    pub conn: Arc<Conn>,
    pub rx: Inbox,
    pub subscriptions: HashMap<String, u8>,
    /// QoS 1 messages the client had not acknowledged: sent again when it comes back.
    pub inflight: Inflight,
    /// QoS 2 packet ids of the client's waiting for PUBREL.
    pub awaiting_rel: HashSet<u16>,
    /// A 5.0 will whose delay has not run out: published when it does or the session ends,
    /// whichever comes first, and dropped if the client comes back before (MQTT 5 §3.1.3.2.2).
    pub will: Option<Will>,
    /// The claim of the connection that left it, which tells this stay from a later one of
    /// the same session (its timer must not end the next).
    pub generation: u64,
    /// For the `disconnected` event at its expiry: the view and how the last connection ended.
    pub view: Arc<upstream::Connection>,
    pub reason: Option<String>,
    pub ended: upstream::mqtt::MqttDisconnected,
}

enum Slot {
    /// A connection is serving the session; `generation` tells that connection from the one
    /// that took it over.
    Live {
        generation: u64,
        conn: Arc<Conn>,
    },
    Kept(Box<Kept>),
}

#[derive(Default)]
struct Store {
    slots: HashMap<Key, Slot>,
    kept: usize,
    next_generation: u64,
}

/// An emulator's MQTT sessions.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<Store>);

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

fn key(hub: &Arc<Hub>, client_id: &str) -> Key {
    (Arc::as_ptr(hub) as usize, client_id.to_string())
}

/// What a new connection finds under its client id.
pub(super) struct Claim {
    pub generation: u64,
    /// The kept session it resumes (Clean Start 0 only).
    pub resumed: Option<Box<Kept>>,
    /// A kept session that Clean Start 1 discarded, out of the hub already: the caller
    /// reports its end.
    pub discarded: Option<Box<Kept>>,
}

/// Where a session goes when its connection ends.
pub(super) enum Released {
    /// In the store, waiting for its client.
    Kept,
    /// A newer connection took the client id: the session is out of the hub already.
    TakenOver(Box<Kept>),
    /// Not kept (not asked for, or no room): out of the store, still in the hub, for the
    /// caller to publish its will and take it out.
    Ended(Box<Kept>),
}

/// Registers a new connection for `client_id`, under the store's lock so no other connection
/// with the id comes between: a connection serving the id is closed (taken over), a kept
/// session is resumed (Clean Start 0) or discarded, then `register` puts the new connection
/// in the hub (it is given the resumed session, whose connection is there already).
impl Sessions {
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn claim(
        &self,
        hub: &Arc<Hub>,
        client_id: &str,
        clean_start: bool,
        taken_over_reason: &str,
        register: impl FnOnce(Option<&Kept>) -> Arc<Conn>,
    ) -> Claim {
        let mut store = self.lock();
        let k = key(hub, client_id);
        let (mut resumed, mut discarded) = (None, None);
        match store.slots.remove(&k) {
            Some(Slot::Kept(kept)) => {
                store.kept -= 1;
                if clean_start {
                    hub.disconnect_conn(&kept.conn);
                    discarded = Some(kept);
                } else {
                    resumed = Some(kept);
                }
            }
            Some(Slot::Live { conn, .. }) => {
                // Out of the hub at once, then told why; its session ends with it.
                hub.close(Targets::Connection(&conn.id), &[], taken_over_reason);
            }
            None => {
                // Not an MQTT session: leave it be... but an id is one connection in a hub.
                if hub.has_connection(client_id) {
                    hub.close(Targets::Connection(client_id), &[], taken_over_reason);
                }
            }
        }
        let conn = register(resumed.as_deref());
        store.next_generation += 1;
        let generation = store.next_generation;
        store.slots.insert(k, Slot::Live { generation, conn });
        Claim {
            generation,
            resumed,
            discarded,
        }
    }

    /// The connection of `generation` is over. With `keep`, its session is kept, when there is
    /// room and the connection was not taken over; otherwise it comes back for the caller to
    /// end (taken over: out of the hub already; ended: still in it, for its will).
    pub(super) fn release(
        &self,
        client_id: &str,
        generation: u64,
        mut session: Box<Kept>,
        keep: bool,
    ) -> Released {
        let mut store = self.lock();
        let k = key(&session.hub, client_id);
        let ours = matches!(
            store.slots.get(&k),
            Some(Slot::Live { generation: g, .. }) if *g == generation
        );
        if !ours {
            // The slot is the new connection's.
            return Released::TakenOver(session);
        }
        if keep && store.kept < MAX_KEPT {
            store.kept += 1;
            session.generation = generation;
            store.slots.insert(k, Slot::Kept(session));
            return Released::Kept;
        }
        store.slots.remove(&k);
        Released::Ended(session)
    }

    /// Takes the will out of the kept session if it is still the stay that `generation` left
    /// (its delay ran out): the will and the connection to publish it as.
    pub(super) fn take_will(
        &self,
        hub: &Arc<Hub>,
        client_id: &str,
        generation: u64,
    ) -> Option<(Will, Arc<Conn>)> {
        let mut store = self.lock();
        match store.slots.get_mut(&key(hub, client_id)) {
            Some(Slot::Kept(kept)) if kept.generation == generation => {
                let will = kept.will.take()?;
                Some((will, kept.conn.clone()))
            }
            _ => None,
        }
    }

    /// Takes the kept session out of the store and the hub if it is still the stay that
    /// `generation` left (its expiry).
    pub(super) fn expire(
        &self,
        hub: &Arc<Hub>,
        client_id: &str,
        generation: u64,
    ) -> Option<Box<Kept>> {
        let mut store = self.lock();
        let k = key(hub, client_id);
        match store.slots.get(&k) {
            Some(Slot::Kept(kept)) if kept.generation == generation => {}
            _ => return None,
        }
        store.kept -= 1;
        match store.slots.remove(&k) {
            Some(Slot::Kept(kept)) => {
                hub.disconnect_conn(&kept.conn);
                Some(kept)
            }
            _ => None,
        }
    }
}
