//! Group membership: a connection or a user in or out of a group (or of every group), and every
//! connection an OData filter matches into or out of groups at once.

use reqwest::Method;

use super::names::validate_group;
use super::payload::Payload;
use super::request::{
    connection_path, group_connection_path, hub_path, user_group_path, user_path, NO_CONTENT, OK,
};
use crate::client::{Client, ClientError, Request};

impl Client {
    /// `PUT groups/{group}/connections/{connection}`; success is 200.
    pub fn add_connection_to_group_request(
        &self,
        hub: &str,
        group: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = group_connection_path(hub, group, connection)?;
        Ok(self.bodyless(Method::PUT, path, Vec::new(), OK))
    }

    /// `DELETE groups/{group}/connections/{connection}`; success is 204.
    pub fn remove_connection_from_group_request(
        &self,
        hub: &str,
        group: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = group_connection_path(hub, group, connection)?;
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `DELETE connections/{connection}/groups`; success is 204.
    pub fn remove_connection_from_all_groups_request(
        &self,
        hub: &str,
        connection: &str,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/groups", connection_path(hub, connection)?);
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `PUT users/{user}/groups/{group}` (note the order, unlike connections); success is 200.
    pub fn add_user_to_group_request(
        &self,
        hub: &str,
        group: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        let path = user_group_path(hub, user, group)?;
        Ok(self.bodyless(Method::PUT, path, Vec::new(), OK))
    }

    /// `DELETE users/{user}/groups/{group}`; success is 204.
    pub fn remove_user_from_group_request(
        &self,
        hub: &str,
        group: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        let path = user_group_path(hub, user, group)?;
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `DELETE users/{user}/groups`; success is 204.
    pub fn remove_user_from_all_groups_request(
        &self,
        hub: &str,
        user: &str,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/groups", user_path(hub, user)?);
        Ok(self.bodyless(Method::DELETE, path, Vec::new(), NO_CONTENT))
    }

    /// `POST :addToGroups` with `{"groups":[...],"filter":"..."}`; success is 200.
    pub fn add_to_groups_request(
        &self,
        hub: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        self.groups_filter_request(hub, ":addToGroups", groups, filter)
    }

    /// `POST :removeFromGroups`, same body as `:addToGroups`; success is 200.
    pub fn remove_from_groups_request(
        &self,
        hub: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        self.groups_filter_request(hub, ":removeFromGroups", groups, filter)
    }

    fn groups_filter_request(
        &self,
        hub: &str,
        action: &str,
        groups: &[String],
        filter: &str,
    ) -> Result<Request, ClientError> {
        if groups.is_empty() {
            return Err(ClientError::Invalid("at least one group is needed".into()));
        }
        for g in groups {
            validate_group(g)?;
        }
        // A struct keeps the field order of the spec's examples: groups, then filter.
        #[derive(serde::Serialize)]
        struct Body<'a> {
            groups: &'a [String],
            filter: &'a str,
        }
        let body = serde_json::to_string(&Body { groups, filter })
            .map_err(|e| ClientError::Invalid(e.to_string()))?;
        let path = format!("{}/{action}", hub_path(hub)?);
        let mut req = self.bodyless(Method::POST, path, Vec::new(), OK);
        req.body = Some(Payload::json(body)?);
        Ok(req)
    }
}
