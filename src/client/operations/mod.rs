//! The typed data-plane operations: one method per REST call, paths and query order as the
//! official Python SDK sends them (see `sdk-captures.md`).//!
//! One file per concern: `names` (the naming rules and encoding), `payload` (bodies, send
//! options, metadata), `request` (paths, shared query pairs and the request itself; the one
//! place a request is put together), then the operations by what they act on: `send`, `groups`,
//! `connections` (close, exists, permissions), `list`, `raw`. The `async` methods are here,
//! each one line over its `*_request` twin.

mod connections;
mod groups;
mod list;
mod names;
mod payload;
mod raw;
mod request;
mod send;

pub use list::GroupMember;
pub use names::{
    encode, is_valid_group_name, is_valid_hub_name, validate_group, validate_hub, validate_id,
    Permission,
};
pub use payload::{metadata_headers, Payload, SendOptions};

#[cfg(doc)]
use super::MAX_MESSAGE_BYTES;
use super::{Client, ClientError, Response};

/// The `async` methods: each sends what its `*_request` twin builds (after the same local
/// checks, [`ClientError::Invalid`] before anything is sent) and succeeds on the status that
/// request expects; any other status is a [`ClientError::Status`].
macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident = $build:ident($($arg:ident: $ty:ty),*) -> $out:ty => $map:expr; )*) => {
        impl Client {$(
            $(#[$doc])*
            pub async fn $name(&self, $($arg: $ty),*) -> Result<$out, ClientError> {
                let req = self.$build($($arg),*)?;
                self.execute(&req).await.map($map)
            }
        )*}
    };
}

fn response(resp: Response) -> Response {
    resp
}

fn yes(resp: Response) -> bool {
    resp.status == 200
}

operations! {
    /// Sends a message to every connection of the hub: `POST /api/hubs/{hub}/:send`; 202
    /// (accepted, not delivered: there is no delivery receipt). Refused before sending: a bad
    /// name, an empty id, a TTL over 300, a body over [`MAX_MESSAGE_BYTES`].
    send_to_all = send_to_all_request(hub: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to every connection in a group:
    /// `POST /api/hubs/{hub}/groups/{group}/:send`; 202, also when the group is empty.
    send_to_group = send_to_group_request(hub: &str, group: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to every connection of a user:
    /// `POST /api/hubs/{hub}/users/{userId}/:send`; 202, also when the user has none.
    /// `opts.excluded` is not sent (the service takes none here).
    send_to_user = send_to_user_request(hub: &str, user: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Sends a message to one connection:
    /// `POST /api/hubs/{hub}/connections/{connectionId}/:send`; 202. Only `opts.ttl_seconds`
    /// is sent.
    send_to_connection = send_to_connection_request(hub: &str, connection: &str, payload: &Payload, opts: &SendOptions) -> Response => response;
    /// Whether a connection is open: `HEAD /api/hubs/{hub}/connections/{connectionId}`;
    /// 200 is `true`, 404 `false`.
    connection_exists = connection_exists_request(hub: &str, connection: &str) -> bool => yes;
    /// Whether a user has at least one connection: `HEAD /api/hubs/{hub}/users/{userId}`;
    /// 200 is `true`, 404 `false`.
    user_exists = user_exists_request(hub: &str, user: &str) -> bool => yes;
    /// Whether a group has at least one connection: `HEAD /api/hubs/{hub}/groups/{group}`;
    /// 200 is `true`, 404 `false`.
    group_exists = group_exists_request(hub: &str, group: &str) -> bool => yes;
    /// Whether a connection holds a permission, on `target` (a group) or on every group when
    /// `None`: `HEAD /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`;
    /// 200 is `true`, 404 `false`.
    check_permission = check_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> bool => yes;
    /// Grants a permission on `target` (a group) or on every group when `None`:
    /// `PUT /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`; 200.
    /// A missing connection is a 404 [`ClientError::Status`].
    grant_permission = grant_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> Response => response;
    /// Revokes a permission: `DELETE /api/hubs/{hub}/permissions/{permission}/connections/{connectionId}`;
    /// 204, also when the connection does not exist.
    revoke_permission = revoke_permission_request(hub: &str, permission: Permission, connection: &str, target: Option<&str>) -> Response => response;
    /// Adds a connection to a group:
    /// `PUT /api/hubs/{hub}/groups/{group}/connections/{connectionId}`; 200. A missing
    /// connection is a 404 [`ClientError::Status`].
    add_connection_to_group = add_connection_to_group_request(hub: &str, group: &str, connection: &str) -> Response => response;
    /// Adds a user (all of its connections) to a group:
    /// `PUT /api/hubs/{hub}/users/{userId}/groups/{group}`; 200.
    add_user_to_group = add_user_to_group_request(hub: &str, group: &str, user: &str) -> Response => response;
    /// Removes a connection from a group:
    /// `DELETE /api/hubs/{hub}/groups/{group}/connections/{connectionId}`; 204, also when it
    /// was not a member.
    remove_connection_from_group = remove_connection_from_group_request(hub: &str, group: &str, connection: &str) -> Response => response;
    /// Removes a user from a group:
    /// `DELETE /api/hubs/{hub}/users/{userId}/groups/{group}`; 204, also when it was not a member.
    remove_user_from_group = remove_user_from_group_request(hub: &str, group: &str, user: &str) -> Response => response;
    /// Removes a connection from every group it is in:
    /// `DELETE /api/hubs/{hub}/connections/{connectionId}/groups`; 204.
    remove_connection_from_all_groups = remove_connection_from_all_groups_request(hub: &str, connection: &str) -> Response => response;
    /// Removes a user from every group it is in:
    /// `DELETE /api/hubs/{hub}/users/{userId}/groups`; 204.
    remove_user_from_all_groups = remove_user_from_all_groups_request(hub: &str, user: &str) -> Response => response;
    /// Adds every connection matching an OData `filter` to each of `groups`:
    /// `POST /api/hubs/{hub}/:addToGroups` with `{"groups":[...],"filter":"..."}`; 200, even
    /// when nothing matches. An empty `filter` selects every connection of the hub; an empty
    /// `groups` is a [`ClientError::Invalid`].
    add_to_groups = add_to_groups_request(hub: &str, groups: &[String], filter: &str) -> Response => response;
    /// Removes every connection matching an OData `filter` from each of `groups`:
    /// `POST /api/hubs/{hub}/:removeFromGroups`, same body as [`add_to_groups`](Self::add_to_groups); 200.
    remove_from_groups = remove_from_groups_request(hub: &str, groups: &[String], filter: &str) -> Response => response;
    /// Closes every connection of the hub but the `excluded` ones, with an optional close
    /// `reason`: `POST /api/hubs/{hub}/:closeConnections`; 204.
    close_all_connections = close_all_connections_request(hub: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes every connection in a group but the `excluded` ones:
    /// `POST /api/hubs/{hub}/groups/{group}/:closeConnections`; 204.
    close_group_connections = close_group_connections_request(hub: &str, group: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes every connection of a user but the `excluded` ones:
    /// `POST /api/hubs/{hub}/users/{userId}/:closeConnections`; 204.
    close_user_connections = close_user_connections_request(hub: &str, user: &str, excluded: &[String], reason: Option<&str>) -> Response => response;
    /// Closes one connection with an optional `reason`:
    /// `DELETE /api/hubs/{hub}/connections/{connectionId}`; 204, also when it does not exist.
    close_connection = close_connection_request(hub: &str, connection: &str, reason: Option<&str>) -> Response => response;
}

#[cfg(test)]
mod tests {
    use reqwest::Method;

    use super::*;
    use crate::client::{ClientOptions, ConnectionString, Request, MAX_MESSAGE_BYTES};

    fn client() -> Client {
        let cs =
            ConnectionString::parse("Endpoint=http://localhost;Port=9;AccessKey=k;Version=1.0;")
                .unwrap();
        Client::new(cs, ClientOptions::default()).unwrap()
    }

    #[test]
    fn send_to_all_query_order_matches_capture() {
        let c = client();
        let opts = SendOptions {
            excluded: vec!["c1".into(), "c2".into()],
            filter: Some("userId ne 'u1'".into()),
            ttl_seconds: None,
            ..SendOptions::default()
        };
        let req = c
            .send_to_all_request("chat", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:send?excluded=c1&excluded=c2&api-version=2024-12-01&filter=userId%20ne%20%27u1%27"
        );
    }

    #[test]
    fn group_and_user_paths_match_capture() {
        let c = client();
        let opts = SendOptions {
            excluded: vec!["c1".into()],
            filter: Some("'g2' in groups".into()),
            ttl_seconds: None,
            ..SendOptions::default()
        };
        let req = c
            .send_to_group_request("chat", "team #1/a?b", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/team%20%231%2Fa%3Fb/:send?excluded=c1&api-version=2024-12-01&filter=%27g2%27%20in%20groups"
        );
        let req = c
            .send_to_user_request("chat", "user 1/é", &Payload::text("hi"), &opts)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/users/user%201%2F%C3%A9/:send?api-version=2024-12-01&filter=%27g2%27%20in%20groups"
        );
    }

    #[test]
    fn local_validation() {
        assert!(validate_hub("chat").is_ok());
        assert!(validate_hub("1chat").is_err());
        assert!(validate_hub("bad-hub!").is_err());
        assert!(validate_hub(&"a".repeat(129)).is_err());
        assert!(validate_group("   ").is_err());
        assert!(validate_group(&"g".repeat(1025)).is_err());
        assert!(Payload::json("{nope").is_err());
        let c = client();
        let big = Payload::binary(vec![0u8; MAX_MESSAGE_BYTES + 1]);
        assert!(c
            .send_to_all_request("chat", &big, &SendOptions::default())
            .is_err());
        let opts = SendOptions {
            ttl_seconds: Some(301),
            ..Default::default()
        };
        assert!(c
            .send_to_all_request("chat", &Payload::text("x"), &opts)
            .is_err());
    }

    /// Each URL equals the one captured from the Python SDK (host aside).
    #[test]
    fn management_urls_match_captures() {
        let c = client();
        let base = "http://localhost:9/api/hubs/chat";
        let v = "api-version=2024-12-01";
        let ex = vec!["c1".to_string()];
        let cases: Vec<(Request, &str, String)> = vec![
            (
                c.add_connection_to_group_request("chat", "g1", "conn1")
                    .unwrap(),
                "PUT",
                format!("{base}/groups/g1/connections/conn1?{v}"),
            ),
            (
                c.remove_connection_from_group_request("chat", "g1", "conn1")
                    .unwrap(),
                "DELETE",
                format!("{base}/groups/g1/connections/conn1?{v}"),
            ),
            (
                c.remove_connection_from_all_groups_request("chat", "conn1")
                    .unwrap(),
                "DELETE",
                format!("{base}/connections/conn1/groups?{v}"),
            ),
            (
                c.add_user_to_group_request("chat", "g1", "user1").unwrap(),
                "PUT",
                format!("{base}/users/user1/groups/g1?{v}"),
            ),
            (
                c.remove_user_from_group_request("chat", "g1", "user1")
                    .unwrap(),
                "DELETE",
                format!("{base}/users/user1/groups/g1?{v}"),
            ),
            (
                c.remove_user_from_all_groups_request("chat", "user1")
                    .unwrap(),
                "DELETE",
                format!("{base}/users/user1/groups?{v}"),
            ),
            (
                c.close_all_connections_request("chat", &ex, Some("maintenance"))
                    .unwrap(),
                "POST",
                format!("{base}/:closeConnections?excluded=c1&reason=maintenance&{v}"),
            ),
            (
                c.close_group_connections_request("chat", "g1", &ex, Some("bye"))
                    .unwrap(),
                "POST",
                format!("{base}/groups/g1/:closeConnections?excluded=c1&reason=bye&{v}"),
            ),
            (
                c.close_user_connections_request("chat", "user1", &ex, Some("bye"))
                    .unwrap(),
                "POST",
                format!("{base}/users/user1/:closeConnections?excluded=c1&reason=bye&{v}"),
            ),
            (
                c.close_connection_request("chat", "conn1", Some("bye"))
                    .unwrap(),
                "DELETE",
                format!("{base}/connections/conn1?reason=bye&{v}"),
            ),
            (
                c.connection_exists_request("chat", "conn1").unwrap(),
                "HEAD",
                format!("{base}/connections/conn1?{v}"),
            ),
            (
                c.group_exists_request("chat", "g1").unwrap(),
                "HEAD",
                format!("{base}/groups/g1?{v}"),
            ),
            (
                c.user_exists_request("chat", "user1").unwrap(),
                "HEAD",
                format!("{base}/users/user1?{v}"),
            ),
            (
                c.grant_permission_request("chat", Permission::SendToGroup, "conn1", Some("g1"))
                    .unwrap(),
                "PUT",
                format!("{base}/permissions/sendToGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.revoke_permission_request(
                    "chat",
                    Permission::JoinLeaveGroup,
                    "conn1",
                    Some("g1"),
                )
                .unwrap(),
                "DELETE",
                format!("{base}/permissions/joinLeaveGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.check_permission_request("chat", Permission::SendToGroup, "conn1", Some("g1"))
                    .unwrap(),
                "HEAD",
                format!("{base}/permissions/sendToGroup/connections/conn1?targetName=g1&{v}"),
            ),
            (
                c.list_connections_request("chat", "g1", Some(10), None)
                    .unwrap(),
                "GET",
                format!("{base}/groups/g1/connections?top=10&{v}"),
            ),
        ];
        for (req, method, url) in cases {
            assert_eq!(req.method.as_str(), method, "{url}");
            assert_eq!(c.url(&req), url);
            assert!(req.body.is_none(), "{url}");
            let accept = if method == "HEAD" {
                "*/*"
            } else {
                "application/json"
            };
            assert_eq!(req.accept, accept, "{url}");
        }
    }

    #[test]
    fn names_are_encoded_in_management_paths() {
        let c = client();
        let req = c
            .add_user_to_group_request("chat", "team #1/a?b", "user 1/é")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/users/user%201%2F%C3%A9/groups/team%20%231%2Fa%3Fb?api-version=2024-12-01"
        );
        let req = c.close_connection_request("chat", "c 1", None).unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/connections/c%201?api-version=2024-12-01"
        );
        let req = c
            .grant_permission_request("chat", Permission::JoinLeaveGroup, "c1", None)
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/permissions/joinLeaveGroup/connections/c1?api-version=2024-12-01"
        );
        assert!(c.close_connection_request("chat", "", None).is_err());
        assert!(c
            .add_connection_to_group_request("chat", " ", "c1")
            .is_err());
    }

    #[test]
    fn batch_group_body_is_groups_then_filter() {
        let c = client();
        let req = c
            .add_to_groups_request("chat", &["g1".into(), "g 2".into()], "userId eq 'u1'")
            .unwrap();
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:addToGroups?api-version=2024-12-01"
        );
        let body = req.body.unwrap();
        assert_eq!(body.content_type, "application/json");
        assert_eq!(
            &body.body[..],
            br#"{"groups":["g1","g 2"],"filter":"userId eq 'u1'"}"#
        );
        let req = c
            .remove_from_groups_request("chat", &["g1".into()], "")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:removeFromGroups?api-version=2024-12-01"
        );
        assert!(c.add_to_groups_request("chat", &[], "x").is_err());
    }

    #[test]
    fn next_link_keeps_host_private_and_forces_api_version() {
        let c = client();
        let req = c
            .next_page_request("https://evil.example/api/hubs/chat/groups/g1/connections?top=5&maxpagesize=2&continuationToken=a%2Fb&api-version=2020-01-01")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/g1/connections?top=5&maxpagesize=2&continuationToken=a%2Fb&api-version=2024-12-01"
        );
        let req = c
            .next_page_request("/api/hubs/chat/groups/g1/connections?continuationToken=t")
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/groups/g1/connections?continuationToken=t&api-version=2024-12-01"
        );
        assert!(c.next_page_request("https://x/other").is_err());
    }

    #[test]
    fn raw_requests_keep_the_query_order_and_add_api_version() {
        let c = client();
        let req = c
            .raw_request(
                Method::POST,
                "/api/hubs/chat/:send?excluded=c1",
                &[("filter".into(), "userId eq 'u 1'".into())],
                Some(Payload::text("hi")),
            )
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/hubs/chat/:send?excluded=c1&filter=userId%20eq%20%27u%201%27&api-version=2024-12-01"
        );
        let req = c
            .raw_request(
                Method::HEAD,
                "/api/health",
                &[("api-version".into(), "2024-01-01".into())],
                None,
            )
            .unwrap();
        assert_eq!(
            c.url(&req),
            "http://localhost:9/api/health?api-version=2024-01-01"
        );
        assert_eq!(req.accept, "*/*");
        assert!(c.raw_request(Method::GET, "/hubs/chat", &[], None).is_err());
        let req = c
            .raw_request(Method::GET, "/_emulator/api/hubs", &[], None)
            .unwrap();
        assert_eq!(c.url(&req), "http://localhost:9/_emulator/api/hubs");
        assert!(c
            .raw_request(Method::GET, "/api/hubs/a b", &[], None)
            .is_err());
        assert!(c
            .raw_request(Method::GET, "/api/hubs/chat/users/é", &[], None)
            .is_err());
        assert!(c
            .raw_request(Method::GET, "/api/hubs/chat/users/%C3%A9", &[], None)
            .is_ok());
    }
}
