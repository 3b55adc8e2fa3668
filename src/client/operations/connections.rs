//! Closing connections, whether a connection, user or group exists, and a connection's
//! permissions on groups.

use reqwest::Method;

use super::names::{encode, validate_group, validate_id, Permission};
use super::request::{
    connection_path, excluded, group_path, hub_path, user_path, NO_CONTENT, OK, YES_NO,
};
use crate::client::{Client, ClientError, Request};

impl Client {
    /// Query of the close operations: `excluded`..., `reason`, `api-version`.
    fn close_request(&self, path: String, ids: &[String], reason: Option<&str>) -> Request {
        let mut query = excluded(ids);
        if let Some(r) = reason {
            query.push(("reason".into(), r.to_string()));
        }
        self.bodyless(Method::POST, path, query, NO_CONTENT)
    }

    /// `POST :closeConnections`; success is 204.
    pub fn close_all_connections_request(
        &self,
        hub: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", hub_path(hub)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `POST groups/{group}/:closeConnections`; success is 204.
    pub fn close_group_connections_request(
        &self,
        hub: &str,
        group: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", group_path(hub, group)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `POST users/{user}/:closeConnections`; success is 204.
    pub fn close_user_connections_request(
        &self,
        hub: &str,
        user: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/:closeConnections", user_path(hub, user)?);
        Ok(self.close_request(path, excluded, reason))
    }

    /// `DELETE connections/{connection}?reason`; success is 204.
    pub fn close_connection_request(
        &self,
        hub: &str,
        connection: &str,
        reason: Option<&str>,
    ) -> Result<Request, ClientError> {
        let path = connection_path(hub, connection)?;
        let mut req = self.close_request(path, &[], reason);
        req.method = Method::DELETE;
        Ok(req)
    }

    /// `HEAD connections/{connection}`: 200 yes, 404 no.
    pub fn connection_exists_request(
        &self,
        hub: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = connection_path(hub, connection)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `HEAD users/{user}`: 200 when the user has a connection, 404 otherwise.
    pub fn user_exists_request(&self, hub: &str, user: &str) -> Result<Request, ClientError> {
        let path = user_path(hub, user)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `HEAD groups/{group}`: 200 when the group has a connection, 404 otherwise.
    pub fn group_exists_request(&self, hub: &str, group: &str) -> Result<Request, ClientError> {
        let path = group_path(hub, group)?;
        Ok(self.bodyless(Method::HEAD, path, Vec::new(), YES_NO))
    }

    /// `permissions/{permission}/connections/{connection}?targetName&api-version`.
    fn permission_request(
        &self,
        method: Method,
        expect: &'static [u16],
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        validate_id("connection id", connection)?;
        if let Some(t) = target {
            validate_group(t)?;
        }
        let path = format!(
            "{}/permissions/{}/connections/{}",
            hub_path(hub)?,
            permission.as_str(),
            encode(connection)
        );
        let query = target
            .map(|t| vec![("targetName".to_string(), t.to_string())])
            .unwrap_or_default();
        Ok(self.bodyless(method, path, query, expect))
    }

    /// `PUT permissions/...`; success is 200.
    pub fn grant_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(Method::PUT, OK, hub, permission, connection, target)
    }

    /// `DELETE permissions/...`; success is 204.
    pub fn revoke_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(
            Method::DELETE,
            NO_CONTENT,
            hub,
            permission,
            connection,
            target,
        )
    }

    /// `HEAD permissions/...`: 200 yes, 404 no.
    pub fn check_permission_request(
        &self,
        hub: &str,
        permission: Permission,
        connection: &str,
        target: Option<&str>,
    ) -> Result<Request, ClientError> {
        self.permission_request(Method::HEAD, YES_NO, hub, permission, connection, target)
    }

    /// Sends an exists or check request (HEAD): 200 is yes, 404 is no, anything else an error.
    pub async fn head_exists(&self, req: &Request) -> Result<bool, ClientError> {
        Ok(self.execute(req).await?.status == 200)
    }
}
