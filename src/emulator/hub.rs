//! Hubs: their connections, users and groups, behind one API.
//!
//! Each hub has its own lock, so traffic on one hub never waits for another. A fan-out holds
//! the read lock while it delivers. A target whose task is idle (nothing queued, nothing
//! half-sent) gets the message's frame written straight to its socket (`wire.rs`): no task
//! wake per client, which is most of what a fan-out costs. Otherwise the message is queued for
//! the connection's own task. Nothing outside this file sees the hub's state.
//!
//! REST operations also take a turn on the hub ([`Hub::turn`]): a large send is answered
//! before it is delivered, and the operations answered after it wait until it is.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::Poll;
use std::time::SystemTime;

use futures_util::task::AtomicWaker;
use indexmap::IndexMap;
use tokio::sync::{Notify, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use super::filter::{Filter, Subject};
use super::message::{Message, Outbound};
use super::permissions::role_allows;
use super::wire::{self, Direct, Line};
use crate::client::Protocol;

/// The two per-group permissions of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Permission {
    SendToGroup,
    JoinLeaveGroup,
}

impl Permission {
    /// The REST path segment (case-insensitive), as the service accepts it.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        [Permission::SendToGroup, Permission::JoinLeaveGroup]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(name))
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Permission::SendToGroup => "sendToGroup",
            Permission::JoinLeaveGroup => "joinLeaveGroup",
        }
    }
}

/// Most items a connection's outbound queue holds; a client that falls this far behind is
/// closed (1008), as the service closes it, instead of growing the emulator.
const MAX_QUEUED_FRAMES: usize = 8192;
/// Most payload bytes a connection's outbound queue holds (16 one-MiB messages).
const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// A connected client as the hub sees it; its queue leads to its session task.
///
/// The queue is a plain `VecDeque` under a mutex with one waker, not a channel: it costs
/// nothing until something is queued (a channel allocates about 1.8 KiB per connection up
/// front), and a push is one uncontended lock and one wake.
///
/// In declaration order (`repr(C)`), what a fan-out reads first: `line` and `queue` share the
/// first two cache lines, so a fan-out to thousands of connections misses once per
/// connection here instead of in three places.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Conn {
    /// The socket, when messages may be written to it directly (plain, JSON and protobuf
    /// clients on plain HTTP/1; reliable clients' frames differ per connection).
    line: Option<Line>,
    queue: Mutex<Queue>,
    pub protocol: Protocol,
    pub id: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    /// When it connected, for the dashboard.
    pub connected_at: SystemTime,
    /// The session task waiting for the queue.
    reader: AtomicWaker,
    overflowed: AtomicBool,
    overflow: Notify,
}

#[derive(Debug)]
struct Queue {
    items: VecDeque<Outbound>,
    bytes: usize,
    /// The session may be writing an item it took: a message written directly now could
    /// overtake it. Clear only while the session waits on an empty queue, so never before
    /// its first frame (`connected`) or after it starts closing.
    busy: bool,
    /// The session ended: nothing more is kept.
    closed: bool,
}

/// The session's end of a connection's queue; dropping it (the session ended) discards
/// whatever is queued and everything pushed later.
#[derive(Debug)]
pub(crate) struct Inbox(Arc<Conn>);

impl Inbox {
    /// The next queued item, once there is one.
    pub async fn recv(&mut self) -> Outbound {
        // A session whose queue never empties still lets its other work (the socket, timers)
        // in, as a tokio channel would.
        tokio::task::consume_budget().await;
        std::future::poll_fn(|cx| {
            if let Some(out) = self.0.pop() {
                return Poll::Ready(out);
            }
            // From here until the next pop, the fan-out may write straight to the socket.
            self.0.reader.register(cx.waker());
            // A push between the first look and the registration woke nobody.
            match self.0.pop() {
                Some(out) => Poll::Ready(out),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// The session is about to close the socket: nothing may be written to it directly
    /// from now on (a frame after the close frame breaks the protocol).
    pub fn hold(&self) {
        self.0.lock_queue().busy = true;
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut queue = self.0.lock_queue();
        queue.closed = true;
        queue.items = VecDeque::new();
        queue.bytes = 0;
    }
}

impl Conn {
    /// A connection and the receiving end of its outbound queue.
    pub fn new(
        id: String,
        user_id: Option<String>,
        protocol: Protocol,
        roles: Vec<String>,
        line: Option<Line>,
    ) -> (Arc<Conn>, Inbox) {
        let conn = Arc::new(Conn {
            id,
            user_id,
            protocol,
            roles,
            connected_at: SystemTime::now(),
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                bytes: 0,
                busy: true,
                closed: false,
            }),
            line,
            reader: AtomicWaker::new(),
            overflowed: AtomicBool::new(false),
            overflow: Notify::new(),
        });
        (conn.clone(), Inbox(conn))
    }

    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next item, marking the session busy with it; with none, the session is idle.
    fn pop(&self) -> Option<Outbound> {
        let mut queue = self.lock_queue();
        let Some(out) = queue.items.pop_front() else {
            queue.busy = false;
            return None;
        };
        queue.busy = true;
        queue.bytes -= out.size();
        if queue.items.is_empty() && queue.items.capacity() > 64 {
            // A burst is over: give its memory back.
            queue.items = VecDeque::new();
        }
        Some(out)
    }

    /// Queues something for this connection's socket without ever waiting: a full queue
    /// marks the connection overflowed (its session closes it) and drops the item. A finished
    /// session drops it too.
    pub fn push(&self, out: Outbound) {
        if self.overflowed.load(Ordering::Relaxed) {
            return;
        }
        let size = out.size();
        {
            let mut queue = self.lock_queue();
            if queue.closed {
                return;
            }
            if queue.items.len() >= MAX_QUEUED_FRAMES || queue.bytes + size > MAX_QUEUED_BYTES {
                drop(queue);
                self.overflowed.store(true, Ordering::Relaxed);
                self.overflow.notify_one();
            } else {
                queue.bytes += size;
                queue.items.push_back(out);
            }
        }
        self.reader.wake();
    }

    /// Sends a message: written straight to the socket when the session is idle and the
    /// socket takes it, queued otherwise. A frame the socket takes only in part is finished
    /// by the session (a `Flush` item), and anything later queues behind it.
    pub fn deliver(&self, message: &Arc<Message>) {
        if let Some(line) = &self.line {
            let mut queue = self.lock_queue();
            if queue.closed {
                return;
            }
            if !queue.busy && queue.items.is_empty() {
                if let Some(frame) = message.wire_frame(self.protocol) {
                    match line.write(&frame) {
                        Direct::Sent => return,
                        Direct::Partial => {
                            queue.items.push_back(Outbound::Flush);
                            drop(queue);
                            self.reader.wake();
                            return;
                        }
                        Direct::Refused => {}
                    }
                }
            }
        }
        self.push(Outbound::Data(message.clone()));
    }

    /// Asks the CPU to fetch what [`Conn::deliver`] reads first.
    pub fn prefetch(&self) {
        wire::prefetch((self as *const Conn).cast());
    }

    /// Asks the CPU to fetch the socket state [`Conn::deliver`] writes through (this
    /// connection's own fields should be fetched already).
    pub fn prefetch_line(&self) {
        if let Some(line) = &self.line {
            line.prefetch();
        }
    }

    /// Whether the queue has overflowed (its session must close the connection).
    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Resolves once the queue has overflowed.
    pub async fn overflowed(&self) {
        if !self.overflowed.load(Ordering::Relaxed) {
            self.overflow.notified().await;
        }
    }
}

/// Which connections an operation reaches.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Targets<'a> {
    All,
    Group(&'a str),
    User(&'a str),
    Connection(&'a str),
}

/// A connection as the dashboard shows it: a copy, taken under the hub's read lock.
#[derive(Debug, Clone)]
pub(crate) struct ConnSnapshot {
    pub connection_id: String,
    pub user_id: Option<String>,
    pub protocol: Protocol,
    pub roles: Vec<String>,
    /// Sorted.
    pub groups: Vec<String>,
    pub connected_at: SystemTime,
}

/// One member of a group, as the paged list shows it.
#[derive(Debug)]
pub(crate) struct Member {
    pub connection_id: String,
    pub user_id: Option<String>,
}

#[derive(Debug)]
struct Entry {
    conn: Arc<Conn>,
    groups: HashSet<String>,
    /// Rights changed over REST, which few connections have: boxed, so an entry in the
    /// hub's table stays small (the table holds a slot per connection, and more).
    rights: Option<Box<Rights>>,
}

#[derive(Debug, Default)]
struct Rights {
    /// Per-group rights granted over REST.
    granted: HashSet<(Permission, String)>,
    /// Per-group rights revoked over REST; a revoke beats any role.
    revoked: HashSet<(Permission, String)>,
}

impl Entry {
    fn subject(&self) -> Subject<'_> {
        Subject {
            connection_id: &self.conn.id,
            user_id: self.conn.user_id.as_deref(),
            protocol: self.conn.protocol,
            groups: &self.groups,
        }
    }

    /// A REST revoke wins, then a REST grant, then the token's roles (any group, one group,
    /// or a wildcard pattern).
    fn allowed(&self, permission: Permission, group: &str) -> bool {
        if let Some(rights) = &self.rights {
            let key = (permission, group.to_string());
            if rights.revoked.contains(&key) {
                return false;
            }
            if rights.granted.contains(&key) {
                return true;
            }
        }
        self.conn
            .roles
            .iter()
            .any(|role| role_allows(role, permission.as_str(), group))
    }
}

#[derive(Debug, Default)]
struct State {
    /// In connection order, which is the order a fan-out writes in: the kernel's socket
    /// state for consecutive connections lies close together, and a walk in hash order
    /// costs a large fan-out a sixth more time in the kernel (benches/ANALYSIS.md).
    conns: IndexMap<String, Entry>,
    users: HashMap<String, HashSet<String>>,
    groups: HashMap<String, HashSet<String>>,
}

impl State {
    /// The ids an operation reaches, before exclusions and filters.
    fn ids(&self, targets: Targets<'_>) -> Vec<String> {
        let set = |s: Option<&HashSet<String>>| s.map(|s| s.iter().cloned().collect());
        match targets {
            Targets::All => self.conns.keys().cloned().collect(),
            Targets::Group(g) => set(self.groups.get(g)).unwrap_or_default(),
            Targets::User(u) => set(self.users.get(u)).unwrap_or_default(),
            Targets::Connection(c) if self.conns.contains_key(c) => vec![c.to_string()],
            Targets::Connection(_) => Vec::new(),
        }
    }

    fn add(&mut self, conn: Arc<Conn>) {
        if let Some(u) = &conn.user_id {
            self.users
                .entry(u.clone())
                .or_default()
                .insert(conn.id.clone());
        }
        let entry = Entry {
            conn: conn.clone(),
            groups: HashSet::new(),
            rights: None,
        };
        self.conns.insert(conn.id.clone(), entry);
    }

    fn remove(&mut self, id: &str) -> Option<Entry> {
        let entry = self.conns.swap_remove(id)?;
        if let Some(u) = &entry.conn.user_id {
            if let Some(set) = self.users.get_mut(u) {
                set.remove(id);
                if set.is_empty() {
                    self.users.remove(u);
                }
            }
        }
        for g in &entry.groups {
            self.unindex(g, id);
        }
        Some(entry)
    }

    fn join(&mut self, id: &str, group: &str) -> bool {
        let Some(entry) = self.conns.get_mut(id) else {
            return false;
        };
        entry.groups.insert(group.to_string());
        self.groups
            .entry(group.to_string())
            .or_default()
            .insert(id.to_string());
        true
    }

    fn leave(&mut self, id: &str, group: &str) {
        if let Some(entry) = self.conns.get_mut(id) {
            entry.groups.remove(group);
        }
        self.unindex(group, id);
    }

    fn leave_all(&mut self, id: &str) {
        let groups: Vec<String> = self
            .conns
            .get(id)
            .map(|e| e.groups.iter().cloned().collect())
            .unwrap_or_default();
        for g in groups {
            self.leave(id, &g);
        }
    }

    fn unindex(&mut self, group: &str, id: &str) {
        if let Some(set) = self.groups.get_mut(group) {
            set.remove(id);
            if set.is_empty() {
                self.groups.remove(group);
            }
        }
    }
}

/// Why a client's own request was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Denied;

/// One hub: its state behind its own lock.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    state: RwLock<State>,
    /// The order of the REST API's operations on this hub: see [`Hub::turn`].
    order: Arc<tokio::sync::RwLock<()>>,
}

impl Hub {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A poisoned lock means a panic elsewhere already; the data is still consistent
        // enough for an emulator, so keep serving.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// One REST operation's turn, held until it has taken effect: shared with the operations
    /// in flight, but only after a send that had the hub to itself ([`Hub::sole_turn`]) has been
    /// delivered, so a caller's operations take effect in the order they were answered.
    pub async fn turn(&self) -> OwnedRwLockReadGuard<()> {
        self.order.clone().read_owned().await
    }

    /// The turn of a send answered before it is delivered: once the operations in flight are
    /// done, held by the delivery until its last write.
    pub async fn sole_turn(&self) -> OwnedRwLockWriteGuard<()> {
        self.order.clone().write_owned().await
    }

    /// How many connections `targets` holds now (before exclusions and filters).
    pub fn reach(&self, targets: Targets<'_>) -> usize {
        let state = self.read();
        let len = |s: Option<&HashSet<String>>| s.map_or(0, HashSet::len);
        match targets {
            Targets::All => state.conns.len(),
            Targets::Group(g) => len(state.groups.get(g)),
            Targets::User(u) => len(state.users.get(u)),
            Targets::Connection(c) => usize::from(state.conns.contains_key(c)),
        }
    }

    /// A new connection, already in its initial groups (they need no role).
    pub fn connect(&self, conn: Arc<Conn>, groups: &[String]) {
        let mut state = self.write();
        let id = conn.id.clone();
        state.add(conn);
        for g in groups {
            state.join(&id, g);
        }
    }

    /// Takes a connection out of the hub, its user and every group.
    pub fn disconnect(&self, id: &str) {
        self.write().remove(id);
    }

    /// Takes this very connection out of the hub, unless another one has taken over its id
    /// since (an MQTT client reconnecting with the same client id).
    pub fn disconnect_conn(&self, conn: &Arc<Conn>) {
        let mut state = self.write();
        if state
            .conns
            .get(&conn.id)
            .is_some_and(|e| Arc::ptr_eq(&e.conn, conn))
        {
            state.remove(&conn.id);
        }
    }

    /// The protocol of a connection still in the hub.
    pub fn protocol_of(&self, id: &str) -> Option<Protocol> {
        self.read().conns.get(id).map(|e| e.conn.protocol)
    }

    pub fn has_connection(&self, id: &str) -> bool {
        self.read().conns.contains_key(id)
    }

    pub fn has_user(&self, user: &str) -> bool {
        self.read().users.contains_key(user)
    }

    pub fn has_group(&self, group: &str) -> bool {
        self.read().groups.contains_key(group)
    }

    /// Adds a connection to a group; false when there is no such connection.
    pub fn add_connection_to_group(&self, id: &str, group: &str) -> bool {
        self.write().join(id, group)
    }

    pub fn remove_connection_from_group(&self, id: &str, group: &str) {
        self.write().leave(id, group);
    }

    pub fn remove_connection_from_all_groups(&self, id: &str) {
        self.write().leave_all(id);
    }

    /// Adds every connection of a user to a group; false when the user has none.
    pub fn add_user_to_group(&self, user: &str, group: &str) -> bool {
        let mut state = self.write();
        let ids = state.ids(Targets::User(user));
        for id in &ids {
            state.join(id, group);
        }
        !ids.is_empty()
    }

    pub fn remove_user_from_group(&self, user: &str, group: &str) {
        let mut state = self.write();
        for id in state.ids(Targets::User(user)) {
            state.leave(&id, group);
        }
    }

    pub fn remove_user_from_all_groups(&self, user: &str) {
        let mut state = self.write();
        for id in state.ids(Targets::User(user)) {
            state.leave_all(&id);
        }
    }

    /// Adds (or removes) every connection that passes `filter` (all, without one) to each
    /// group. A filter can be as large as a request body, so it runs on a copy of the
    /// connections taken under the read lock, not under the write lock that blocks every
    /// connect, join and send of the hub; connections gone meanwhile are skipped.
    pub fn change_groups_by_filter(&self, add: bool, groups: &[String], filter: Option<&Filter>) {
        let ids: Vec<String> = match filter {
            None => self.read().conns.keys().cloned().collect(),
            Some(f) => {
                let subjects: Vec<(String, Option<String>, Protocol, HashSet<String>)> = self
                    .read()
                    .conns
                    .values()
                    .map(|e| {
                        let c = &e.conn;
                        (
                            c.id.clone(),
                            c.user_id.clone(),
                            c.protocol,
                            e.groups.clone(),
                        )
                    })
                    .collect();
                subjects
                    .into_iter()
                    .filter(|(id, user, protocol, groups)| {
                        f.matches(&Subject {
                            connection_id: id,
                            user_id: user.as_deref(),
                            protocol: *protocol,
                            groups,
                        })
                    })
                    .map(|(id, ..)| id)
                    .collect()
            }
        };
        let mut state = self.write();
        for id in &ids {
            for g in groups {
                if add {
                    state.join(id, g);
                } else {
                    state.leave(id, g);
                }
            }
        }
    }

    /// Sends one message to the targets that are not excluded and pass `filter`.
    pub fn send(
        &self,
        targets: Targets<'_>,
        excluded: &[String],
        filter: Option<&Filter>,
        message: Arc<Message>,
    ) {
        // Delivered under the read lock (connects and leaves wait for a large fan-out to end),
        // in the table's order: copying the targets out first touched each connection twice,
        // a cache miss each time, a tenth of a 19,000-client fan-out.
        let state = self.read();
        let deliver = |entry: &Entry| {
            if !excluded.contains(&entry.conn.id)
                && filter.is_none_or(|f| f.matches(&entry.subject()))
            {
                entry.conn.deliver(&message);
            }
        };
        match targets {
            // The widest fan-out: walk the hub once, without copying any connection id. Each
            // client's state is fetched ahead while the system call of the one before runs:
            // a connection two ahead, the socket state of the next.
            Targets::All => {
                let entry = |i| state.conns.get_index(i).map(|(_, e)| e);
                for i in 0..state.conns.len() {
                    if let Some(ahead) = entry(i + 2) {
                        ahead.conn.prefetch();
                    }
                    if let Some(next) = entry(i + 1) {
                        next.conn.prefetch_line();
                    }
                    if let Some(this) = entry(i) {
                        deliver(this);
                    }
                }
            }
            _ => {
                for id in state.ids(targets) {
                    if let Some(entry) = state.conns.get(&id) {
                        deliver(entry);
                    }
                }
            }
        }
    }

    /// Closes the targets that are not excluded: removed from the hub at once, then told why.
    pub fn close(&self, targets: Targets<'_>, excluded: &[String], reason: &str) {
        let mut state = self.write();
        for id in state.ids(targets) {
            if excluded.contains(&id) {
                continue;
            }
            if let Some(entry) = state.remove(&id) {
                entry.conn.push(Outbound::Close {
                    code: 1000,
                    reason: reason.to_string(),
                });
            }
        }
    }

    /// REST grant: an exact-group allow that also lifts an earlier revoke of that group;
    /// false when there is no such connection.
    pub fn grant(&self, id: &str, permission: Permission, group: &str) -> bool {
        let mut state = self.write();
        let Some(entry) = state.conns.get_mut(id) else {
            return false;
        };
        let key = (permission, group.to_string());
        let rights = entry.rights.get_or_insert_default();
        rights.revoked.remove(&key);
        rights.granted.insert(key);
        true
    }

    /// REST revoke: an exact-group deny that beats any role or pattern.
    pub fn revoke(&self, id: &str, permission: Permission, group: &str) {
        if let Some(entry) = self.write().conns.get_mut(id) {
            let key = (permission, group.to_string());
            let rights = entry.rights.get_or_insert_default();
            rights.granted.remove(&key);
            rights.revoked.insert(key);
        }
    }

    /// Whether a connection may `permission` on `group` (false when it does not exist).
    pub fn allowed(&self, id: &str, permission: Permission, group: &str) -> bool {
        self.read()
            .conns
            .get(id)
            .is_some_and(|e| e.allowed(permission, group))
    }

    /// A client's own join or leave, checked against its rights under the same lock.
    pub fn join_or_leave(&self, id: &str, group: &str, join: bool) -> Result<(), Denied> {
        let mut state = self.write();
        let allowed = state
            .conns
            .get(id)
            .is_some_and(|e| e.allowed(Permission::JoinLeaveGroup, group));
        if !allowed {
            return Err(Denied);
        }
        if join {
            state.join(id, group);
        } else {
            state.leave(id, group);
        }
        Ok(())
    }

    /// A copy of every connection (ordered by connection time, then id) for the dashboard;
    /// groups and users can be derived from it. Read-only, under the read lock.
    pub fn snapshot(&self) -> Vec<ConnSnapshot> {
        let state = self.read();
        let mut conns: Vec<ConnSnapshot> = state
            .conns
            .values()
            .map(|e| {
                let mut groups: Vec<String> = e.groups.iter().cloned().collect();
                groups.sort_unstable();
                ConnSnapshot {
                    connection_id: e.conn.id.clone(),
                    user_id: e.conn.user_id.clone(),
                    protocol: e.conn.protocol,
                    roles: e.conn.roles.clone(),
                    groups,
                    connected_at: e.conn.connected_at,
                }
            })
            .collect();
        drop(state);
        conns.sort_by(|a, b| {
            (a.connected_at, &a.connection_id).cmp(&(b.connected_at, &b.connection_id))
        });
        conns
    }

    /// Up to `take` members of a group after connection id `after`, ordered by id, and
    /// whether more follow.
    pub fn members_page(
        &self,
        group: &str,
        after: Option<&str>,
        take: usize,
    ) -> (Vec<Member>, bool) {
        let state = self.read();
        let mut ids: Vec<&String> = state
            .groups
            .get(group)
            .map(|m| {
                m.iter()
                    .filter(|id| after.is_none_or(|a| id.as_str() > a))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort_unstable();
        let more = ids.len() > take;
        ids.truncate(take);
        let members = ids
            .into_iter()
            .map(|id| Member {
                connection_id: id.clone(),
                user_id: state.conns.get(id).and_then(|e| e.conn.user_id.clone()),
            })
            .collect();
        (members, more)
    }
}

/// All hubs and the connection-id counter.
#[derive(Debug)]
pub(crate) struct Registry {
    hubs: RwLock<HashMap<String, Arc<Hub>>>,
    next_id: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            hubs: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }
}

impl Registry {
    /// The hub by name if a client ever connected to it; REST calls must not create hubs.
    pub fn get(&self, name: &str) -> Option<Arc<Hub>> {
        let hubs = self.hubs.read().unwrap_or_else(|e| e.into_inner());
        hubs.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The hub by name; hub names are case-insensitive, as in the official emulator.
    pub fn hub(&self, name: &str) -> Arc<Hub> {
        let key = name.to_ascii_lowercase();
        if let Some(h) = self
            .hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return h.clone();
        }
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    /// Forgets a hub that has no connections left and that nobody is using, so a client
    /// cannot make the emulator keep one hub per name it ever tried.
    pub fn release(&self, name: &str) {
        let key = name.to_ascii_lowercase();
        let mut hubs = self.hubs.write().unwrap_or_else(|e| e.into_inner());
        // Under the registry's write lock nobody can take a new handle; the map's own is 1.
        if hubs
            .get(&key)
            .is_some_and(|h| Arc::strong_count(h) == 1 && h.read().conns.is_empty())
        {
            hubs.remove(&key);
        }
    }

    /// How many hubs are held (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.hubs.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Every hub a client ever connected to, by (lowercased) name, for the dashboard.
    pub fn all(&self) -> Vec<(String, Arc<Hub>)> {
        let hubs = self.hubs.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<(String, Arc<Hub>)> =
            hubs.iter().map(|(k, h)| (k.clone(), h.clone())).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn new_connection_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let salt: u32 = rand::random();
        format!("{n:x}-{salt:08x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_hub_nobody_holds_is_released() {
        let registry = Registry::default();
        let hub = registry.hub("Chat");
        let (conn, _rx) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        hub.connect(conn, &[]);
        registry.release("chat");
        assert_eq!(registry.len(), 1, "in use");
        hub.disconnect("c");
        registry.release("chat");
        assert_eq!(registry.len(), 1, "a handle is still held");
        drop(hub);
        registry.release("CHAT");
        assert_eq!(registry.len(), 0);
    }

    #[test]
    fn revoke_beats_roles_and_grant_lifts_it() {
        let hub = Hub::default();
        let roles = vec!["webpubsub.joinLeaveGroups.room*".into()];
        let (conn, _rx) = Conn::new("c".into(), None, Protocol::Json, roles, None);
        hub.connect(conn, &[]);
        let join = Permission::JoinLeaveGroup;
        assert!(hub.allowed("c", join, "room"));
        hub.revoke("c", join, "room");
        assert!(!hub.allowed("c", join, "room"));
        assert!(hub.allowed("c", join, "room-other"));
        assert!(hub.grant("c", join, "room"));
        assert!(hub.grant("c", join, "lobby"));
        assert!(hub.allowed("c", join, "room"));
        assert!(hub.allowed("c", join, "lobby"));
        assert!(!hub.allowed("c", Permission::SendToGroup, "lobby"));
        assert!(!hub.grant("nobody", join, "room"));
    }

    #[test]
    fn indexes_follow_joins_leaves_and_disconnects() {
        let hub = Hub::default();
        let (a, _ra) = Conn::new("a".into(), Some("u".into()), Protocol::Raw, vec![], None);
        let (b, _rb) = Conn::new("b".into(), Some("u".into()), Protocol::Raw, vec![], None);
        hub.connect(a, &["g1".into()]);
        hub.connect(b, &[]);
        assert!(hub.add_user_to_group("u", "g2"));
        assert!(!hub.add_user_to_group("nobody", "g2"));
        let (page, more) = hub.members_page("g2", None, 1);
        assert_eq!(page[0].connection_id, "a");
        assert!(more);
        hub.remove_user_from_all_groups("u");
        assert!(!hub.has_group("g1") && !hub.has_group("g2"));
        hub.disconnect("a");
        hub.disconnect("b");
        assert!(!hub.has_user("u"));
    }

    #[test]
    fn a_full_queue_overflows_and_drops_instead_of_growing() {
        let (conn, _inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        for _ in 0..MAX_QUEUED_FRAMES {
            conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        }
        assert!(!conn.is_overflowed());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        assert!(conn.is_overflowed());
        assert_eq!(conn.lock_queue().items.len(), MAX_QUEUED_FRAMES);
    }

    #[test]
    fn bytes_count_against_the_queue_and_leave_it_when_taken() {
        let (conn, _inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        let big = bytes::Bytes::from(vec![0u8; MAX_QUEUED_BYTES / 2]);
        conn.push(Outbound::Binary(big.clone()));
        conn.push(Outbound::Binary(big.clone()));
        assert!(!conn.is_overflowed());
        assert!(conn.pop().is_some());
        assert_eq!(conn.lock_queue().bytes, MAX_QUEUED_BYTES / 2);
        conn.push(Outbound::Binary(big.clone()));
        conn.push(Outbound::Binary(big));
        assert!(conn.is_overflowed());
    }

    #[test]
    fn nothing_is_kept_for_a_session_that_ended() {
        let (conn, inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        drop(inbox);
        assert!(conn.lock_queue().items.is_empty());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"y")));
        assert!(conn.lock_queue().items.is_empty());
        assert!(!conn.is_overflowed());
    }

    #[tokio::test]
    async fn a_turn_comes_after_a_sole_turn_taken_before_it_and_a_sole_turn_after_turns_in_flight()
    {
        /// A task taking a turn, given a chance to run.
        async fn pending(hub: &Arc<Hub>, sole: bool) -> tokio::task::JoinHandle<()> {
            let hub = hub.clone();
            let task = tokio::spawn(async move {
                if sole {
                    drop(hub.sole_turn().await);
                } else {
                    drop(hub.turn().await);
                }
            });
            tokio::task::yield_now().await;
            task
        }
        let hub = Arc::new(Hub::default());
        // Operations in flight share the hub; a sole turn waits for all of them.
        let (first, second) = (hub.turn().await, hub.turn().await);
        let sole = pending(&hub, true).await;
        assert!(
            !sole.is_finished(),
            "a sole turn while others are in flight"
        );
        drop(first);
        tokio::task::yield_now().await;
        assert!(
            !sole.is_finished(),
            "a sole turn while one is still in flight"
        );
        drop(second);
        sole.await.expect("the sole turn once the others are done");
        // An operation answered after a deferred send waits for its delivery.
        let delivering = hub.sole_turn().await;
        let next = pending(&hub, false).await;
        assert!(!next.is_finished(), "a turn during a delivery");
        drop(delivering);
        next.await.expect("the turn once the delivery is done");
    }

    #[tokio::test]
    async fn the_inbox_wakes_for_a_push_made_while_it_waits() {
        let (conn, mut inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        let pusher = conn.clone();
        let waiting = tokio::spawn(async move { inbox.recv().await });
        tokio::task::yield_now().await;
        pusher.push(Outbound::Binary(bytes::Bytes::from_static(b"z")));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken within 5 s")
            .expect("task");
        assert!(matches!(got, Outbound::Binary(b) if &b[..] == b"z"));
    }

    /// What reaches the socket directly and what waits for the session: nothing before the
    /// session took its first item (`connected` goes first), nothing while it holds one or
    /// anything is queued (it would overtake them), nothing once it closes.
    #[tokio::test]
    async fn only_an_idle_session_gets_messages_straight_on_its_socket() {
        use crate::emulator::message::{DataKind, Source};
        use crate::emulator::wire::Wire;
        use tokio::io::AsyncReadExt;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let wire = Wire::new(listener.accept().await.unwrap().0);
        let (conn, inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], Some(wire.line()));
        let text = |t: &'static [u8]| Message::new(Source::Server, DataKind::Text, t.into());
        let queued = |conn: &Conn| conn.lock_queue().items.len();

        conn.deliver(&text(b"1"));
        assert_eq!(queued(&conn), 1, "before the session's first frame");
        assert!(inbox.0.pop().is_some());
        conn.deliver(&text(b"2"));
        assert_eq!(queued(&conn), 1, "while the session writes what it took");
        assert!(inbox.0.pop().is_some());
        assert!(inbox.0.pop().is_none());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"ack")));
        conn.deliver(&text(b"3"));
        assert_eq!(queued(&conn), 2, "behind something queued");
        assert!(inbox.0.pop().is_some() && inbox.0.pop().is_some());
        assert!(inbox.0.pop().is_none());

        conn.deliver(&text(b"4"));
        assert_eq!(queued(&conn), 0, "idle: written directly");
        let mut frame = [0u8; 3];
        client.read_exact(&mut frame).await.unwrap();
        assert_eq!(frame, [0x81, 1, b'4']);

        inbox.hold();
        conn.deliver(&text(b"5"));
        assert_eq!(queued(&conn), 1, "after the session started closing");
        drop(inbox);
        conn.deliver(&text(b"6"));
        assert_eq!(queued(&conn), 0, "the session ended");
    }
}
