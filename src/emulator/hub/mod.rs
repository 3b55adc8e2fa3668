//! Hubs: their connections, users and groups, behind one API.
//!
//! Each hub has its own lock, so traffic on one hub never waits for another, and nothing
//! holds it for long: a fan-out chooses its receivers under the read lock and writes after
//! letting it go. A fan-out to the whole hub shares one roster of connections, made again
//! after a connect or disconnect; one filtered on a group alone (the Socket.IO extension's
//! `io.emit`) shares that group's, and one whose filter needs a group tests its members only.
//! A target whose task is idle (nothing queued, nothing half-sent) gets the message's frame
//! written straight to its socket (`wire.rs`): no task wake per client, which is most of what
//! a fan-out costs. Otherwise the message is queued for the connection's own task. Nothing
//! outside this module sees the hub's state; a connection and its queue are in `queue.rs`,
//! the hubs by name in `registry.rs`.
//!
//! REST operations also take a turn on the hub ([`Hub::turn`]): a large send is answered
//! before it is delivered, and the operations answered after it wait until it is.

mod queue;
mod registry;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use indexmap::IndexMap;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use super::filter::{Filter, Subject};
use super::message::{Message, Outbound};
use super::permissions::role_allows;
use crate::client::Protocol;

pub(crate) use queue::{Conn, Inbox};
pub(crate) use registry::Registry;

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

/// Which connections an operation reaches.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Targets<'a> {
    All,
    Group(&'a str),
    User(&'a str),
    Connection(&'a str),
}

/// Connections in the table's order, shared by the sends that reach them all.
type Roster = Arc<[Arc<Conn>]>;

/// The connections a send reaches: a shared roster, or those picked for it.
enum Receivers {
    Roster(Roster),
    Picked(Vec<Arc<Conn>>),
}

impl Receivers {
    fn as_slice(&self) -> &[Arc<Conn>] {
        match self {
            Receivers::Roster(all) => all,
            Receivers::Picked(some) => some,
        }
    }
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
    /// In connection order, but for a disconnect, whose place the newest connection takes
    /// (`swap_remove`: a shift would cost every disconnect the whole table). A fan-out
    /// writes in this order: the kernel's socket state for consecutive connections lies close
    /// together, and a walk in hash order costs a large fan-out a sixth more time in the
    /// kernel (benches/ANALYSIS.md).
    conns: IndexMap<String, Entry>,
    users: HashMap<String, HashSet<String>>,
    groups: HashMap<String, HashSet<String>>,
    /// Every connection in the table's order, for fan-outs to the whole hub: made on the
    /// first such fan-out after a connect or disconnect, then shared by the next ones, which
    /// walk it without holding the hub's lock.
    roster: Mutex<Option<Arc<[Arc<Conn>]>>>,
    /// One group's members in the table's order, for sends whose filter is just that group
    /// (`'0~Lw~' in groups`: the Socket.IO extension's `io.emit`), shared like `roster` until
    /// the group or the table's order changes. One group only: a server broadcasts to its
    /// namespace over and over, and a roster per group would grow with the rooms.
    group_roster: Mutex<Option<(String, Roster)>>,
}

impl State {
    /// The entries an operation reaches, before exclusions and filters.
    fn entries<'s>(&'s self, targets: Targets<'_>) -> Box<dyn Iterator<Item = &'s Entry> + 's> {
        let members = |ids: Option<&'s HashSet<String>>| {
            ids.into_iter()
                .flatten()
                .filter_map(|id| self.conns.get(id))
        };
        match targets {
            Targets::All => Box::new(self.conns.values()),
            Targets::Group(g) => Box::new(members(self.groups.get(g))),
            Targets::User(u) => Box::new(members(self.users.get(u))),
            Targets::Connection(c) => Box::new(self.conns.get(c).into_iter()),
        }
    }

    /// The ids an operation reaches, before exclusions and filters.
    fn ids(&self, targets: Targets<'_>) -> Vec<String> {
        self.entries(targets).map(|e| e.conn.id.clone()).collect()
    }

    /// The connections a send reaches, before exclusions, chosen under the read lock.
    fn receivers(&self, targets: Targets<'_>, filter: Option<&Filter>) -> Receivers {
        if let (Targets::All, None) = (targets, filter) {
            let mut roster = self.roster.lock().unwrap_or_else(|e| e.into_inner());
            let roster =
                roster.get_or_insert_with(|| self.conns.values().map(|e| e.conn.clone()).collect());
            return Receivers::Roster(roster.clone());
        }
        if let (Targets::All, Some(f)) = (targets, filter) {
            if let Some(group) = f.only_group() {
                let mut slot = self.group_roster.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((cached, roster)) = slot.as_ref() {
                    if cached == group {
                        return Receivers::Roster(roster.clone());
                    }
                }
                let roster: Roster = self.members_passing(group, f).into();
                *slot = Some((group.to_string(), roster.clone()));
                return Receivers::Roster(roster);
            }
            if let Some(group) = f.required_group() {
                return Receivers::Picked(self.members_passing(group, f));
            }
        }
        Receivers::Picked(self.walk(targets, filter))
    }

    /// Every entry of `targets` tested against `filter`, in the table's order for the whole
    /// hub.
    fn walk(&self, targets: Targets<'_>, filter: Option<&Filter>) -> Vec<Arc<Conn>> {
        self.entries(targets)
            .filter(|e| filter.is_none_or(|f| f.matches(&e.subject())))
            .map(|e| e.conn.clone())
            .collect()
    }

    /// What [`State::walk`] picks of the whole hub for a filter that needs `group`: only the
    /// group's members can pass, so only they are tested, then put in the table's order (the
    /// order a fan-out writes in, see [`State::conns`]).
    fn members_passing(&self, group: &str, filter: &Filter) -> Vec<Arc<Conn>> {
        let Some(members) = self.groups.get(group) else {
            return Vec::new();
        };
        let mut picked: Vec<(usize, &Entry)> = members
            .iter()
            .filter_map(|id| self.conns.get_full(id))
            .filter(|(_, _, e)| filter.matches(&e.subject()))
            .map(|(at, _, e)| (at, e))
            .collect();
        picked.sort_unstable_by_key(|(at, _)| *at);
        picked.into_iter().map(|(_, e)| e.conn.clone()).collect()
    }

    fn add(&mut self, conn: Arc<Conn>) {
        *self.roster.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
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
        *self.roster.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        // The table's last entry took this one's place: the group roster's order is stale.
        *self
            .group_roster
            .get_mut()
            .unwrap_or_else(|e| e.into_inner()) = None;
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
        self.group_changed(group);
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

    /// Forgets the group roster if it is `group`'s.
    fn group_changed(&mut self, group: &str) {
        let slot = self
            .group_roster
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|(cached, _)| cached == group) {
            *slot = None;
        }
    }

    fn unindex(&mut self, group: &str, id: &str) {
        self.group_changed(group);
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

    /// The groups a connection is in now.
    pub fn groups_of(&self, id: &str) -> Vec<String> {
        self.read()
            .conns
            .get(id)
            .map(|e| e.groups.iter().cloned().collect())
            .unwrap_or_default()
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
        self.send_with(targets, filter, |conn| {
            if !excluded.contains(&conn.id) {
                conn.deliver(&message);
            }
        });
    }

    /// The walk of [`Hub::send`], with what it does to each receiver given. The receivers are
    /// chosen under the read lock and written to after it is let go: a fan-out to thousands
    /// of connections takes a worker thread for a while, and a connect or a join on another
    /// thread must not wait for it (with two workers, that stalled every hub).
    fn send_with(&self, targets: Targets<'_>, filter: Option<&Filter>, deliver: impl Fn(&Conn)) {
        let receivers = self.read().receivers(targets, filter);
        let conns = receivers.as_slice();
        // Each client's state is fetched ahead while the system call of the one before runs:
        // a connection two ahead, the socket state of the next.
        for (i, conn) in conns.iter().enumerate() {
            if let Some(ahead) = conns.get(i + 2) {
                ahead.prefetch();
            }
            if let Some(next) = conns.get(i + 1) {
                next.prefetch_line();
            }
            deliver(conn);
        }
    }

    /// The connections of `protocol` a send to the whole hub would reach now (not excluded,
    /// passing `filter`), for an operation that follows each one up (`:invoke`).
    pub fn receivers_of(
        &self,
        protocol: Protocol,
        excluded: &[String],
        filter: Option<&Filter>,
    ) -> Vec<Arc<Conn>> {
        let receivers = self.read().receivers(Targets::All, filter);
        receivers
            .as_slice()
            .iter()
            .filter(|c| c.protocol == protocol && !excluded.contains(&c.id))
            .cloned()
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A fan-out holds no lock while it writes: a connect, a join or a disconnect on another
    /// thread goes ahead at once, whichever way the receivers were chosen.
    #[test]
    fn a_fan_out_writes_without_holding_the_hub() {
        let hub = Hub::default();
        let mut inboxes = Vec::new();
        for i in 0..3 {
            let (conn, inbox) = Conn::new(
                format!("c{i}"),
                Some("u".into()),
                Protocol::Raw,
                vec![],
                None,
            );
            hub.connect(conn, &["g".into()]);
            inboxes.push(inbox);
        }
        let filter = Filter::parse("userId eq 'u'").expect("filter");
        let cases = [
            (Targets::All, None),
            (Targets::All, Some(&filter)),
            (Targets::Group("g"), None),
            (Targets::User("u"), None),
            (Targets::Connection("c1"), None),
        ];
        for (targets, filter) in cases {
            let written = std::cell::Cell::new(0);
            hub.send_with(targets, filter, |_| {
                assert!(
                    hub.state.try_write().is_ok(),
                    "{targets:?}: the hub is held"
                );
                written.set(written.get() + 1);
            });
            let expected = if matches!(targets, Targets::Connection(_)) {
                1
            } else {
                3
            };
            assert_eq!(written.get(), expected, "{targets:?}");
        }
    }

    /// A send to the whole hub with a filter that needs a group tests that group's members
    /// only: it must pick the very connections, in the very order, of the full walk.
    #[test]
    fn a_filter_that_needs_a_group_picks_what_the_full_walk_picks() {
        let hub = Hub::default();
        let mut inboxes = Vec::new();
        for i in 0..40 {
            let user = (i % 3 != 0).then(|| format!("u{}", i % 4));
            let (conn, inbox) = Conn::new(format!("c{i}"), user, Protocol::SocketIo, vec![], None);
            let mut groups = vec![];
            if i % 2 == 0 {
                groups.push("0~Lw~".to_string());
            }
            if i % 5 == 0 {
                groups.push("g5".to_string());
            }
            hub.connect(conn, &groups);
            inboxes.push(inbox);
        }
        // Gaps and moves in the table: a disconnect's place goes to the newest connection.
        for id in ["c4", "c11", "c20"] {
            hub.disconnect(id);
        }
        hub.add_connection_to_group("c39", "g5");
        let filters = [
            ("'0~Lw~' in groups", true),
            ("'g5' in groups", true),
            ("'none' in groups", true),
            ("'0~Lw~' in groups and userId ne 'u2'", true),
            ("userId eq 'u1' and 'g5' in groups", true),
            (
                "('0~Lw~' in groups and 'g5' in groups) and connectionId ne 'c10'",
                true,
            ),
            ("'0~Lw~' in groups and not ('g5' in groups)", true),
            (
                "'0~Lw~' in groups and ('g5' in groups or userId eq null)",
                true,
            ),
            ("'0~Lw~' in groups or 'g5' in groups", false),
            ("not ('0~Lw~' in groups)", false),
            ("userId eq 'u1' or 'g5' in groups", false),
            ("connectionId in groups", false),
            ("userId ne 'u2'", false),
        ];
        let state = hub.read();
        let ids = |conns: Vec<Arc<Conn>>| conns.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        for (text, shortcut) in filters {
            let filter = Filter::parse(text).expect("filter");
            assert_eq!(filter.required_group().is_some(), shortcut, "{text}");
            let full = ids(state.walk(Targets::All, Some(&filter)));
            let picked = ids(state
                .receivers(Targets::All, Some(&filter))
                .as_slice()
                .to_vec());
            assert_eq!(picked, full, "{text}");
            if let Some(group) = filter.required_group() {
                assert_eq!(ids(state.members_passing(group, &filter)), full, "{text}");
            }
        }
        // The case that matters: the root namespace's sockets, in the table's order.
        let root = Filter::parse("'0~Lw~' in groups").expect("filter");
        assert_eq!(ids(state.walk(Targets::All, Some(&root))).len(), 18);
        drop(state);

        // Its roster is shared by the sends that follow, and made again after a join or a
        // leave of the group, or a disconnect (which moves the table's last entry).
        let picked = |hub: &Hub| hub.read().receivers(Targets::All, Some(&root));
        type Change<'a> = (&'a str, &'a dyn Fn(&Hub), bool);
        let changes: [Change; 5] = [
            ("nothing", &|_| {}, false),
            (
                "another group",
                &|h| _ = h.add_connection_to_group("c3", "g5"),
                false,
            ),
            (
                "a join",
                &|h| _ = h.add_connection_to_group("c1", "0~Lw~"),
                true,
            ),
            (
                "a leave",
                &|h| h.remove_connection_from_group("c2", "0~Lw~"),
                true,
            ),
            ("a disconnect", &|h| h.disconnect("c7"), true),
        ];
        for (what, change, made_again) in changes {
            // Kept alive across the change, so a new roster cannot take its address.
            let before = picked(&hub);
            change(&hub);
            let after = picked(&hub);
            let full = ids(hub.read().walk(Targets::All, Some(&root)));
            assert_eq!(ids(after.as_slice().to_vec()), full, "after {what}");
            let shared = before.as_slice().as_ptr() == after.as_slice().as_ptr();
            assert_eq!(!shared, made_again, "after {what}");
        }
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
}
