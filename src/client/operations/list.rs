//! Listing a group's connections, page by page (`nextLink` followed on this client's own
//! endpoint).

use reqwest::Method;

use super::request::{group_path, parse_query, OK};
use crate::client::{Client, ClientError, Request};

/// One connection of a group, as `list_connections` pages carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// The connection's id (`connectionId`).
    pub connection_id: String,
    /// The user the connection authenticated as (`userId`), absent for anonymous ones.
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionPage {
    value: Vec<GroupMember>,
    #[serde(default)]
    next_link: Option<String>,
}

impl Client {
    /// `GET groups/{group}/connections?top&maxpagesize&api-version`: the first page.
    pub fn list_connections_request(
        &self,
        hub: &str,
        group: &str,
        top: Option<u32>,
        max_page_size: Option<u32>,
    ) -> Result<Request, ClientError> {
        let path = format!("{}/connections", group_path(hub, group)?);
        let mut query = Vec::new();
        if let Some(t) = top {
            query.push(("top".to_string(), t.to_string()));
        }
        if let Some(m) = max_page_size {
            query.push(("maxpagesize".to_string(), m.to_string()));
        }
        Ok(self.bodyless(Method::GET, path, query, OK))
    }

    /// The request for a page's `nextLink`: its path and query on this client's endpoint (a
    /// token is never sent to another host), with this client's api-version forced.
    pub fn next_page_request(&self, next_link: &str) -> Result<Request, ClientError> {
        let invalid =
            || ClientError::Invalid(format!("the service sent a bad nextLink: {next_link}"));
        let rest = match next_link.find("://") {
            Some(i) => {
                let after = &next_link[i + 3..];
                &after[after.find('/').ok_or_else(invalid)?..]
            }
            None => next_link,
        };
        let (path, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        if !path.starts_with("/api/") {
            return Err(invalid());
        }
        let mut query = parse_query(raw_query);
        match query.iter_mut().find(|(k, _)| k == "api-version") {
            Some(pair) => pair.1 = self.options.api_version.clone(),
            None => query.push(self.api_version()),
        }
        Ok(self.request(Method::GET, path.to_string(), query, OK))
    }

    /// Fetches one page of a group's connections, and the request for the next one.
    pub async fn list_connections_page(
        &self,
        req: &Request,
    ) -> Result<(Vec<GroupMember>, Option<Request>), ClientError> {
        let resp = self.execute(req).await?;
        let page: ConnectionPage = serde_json::from_slice(&resp.body).map_err(|e| {
            ClientError::Invalid(format!("the service sent an unreadable page: {e}"))
        })?;
        let next = match page.next_link.as_deref() {
            Some(link) if !link.is_empty() => Some(self.next_page_request(link)?),
            _ => None,
        };
        Ok((page.value, next))
    }

    /// Every connection in a group, following `nextLink` (each page signed anew).
    pub async fn list_connections(
        &self,
        hub: &str,
        group: &str,
        top: Option<u32>,
        max_page_size: Option<u32>,
    ) -> Result<Vec<GroupMember>, ClientError> {
        let mut next = Some(self.list_connections_request(hub, group, top, max_page_size)?);
        let mut all = Vec::new();
        while let Some(req) = next {
            let (members, following) = self.list_connections_page(&req).await?;
            all.extend(members);
            next = following;
        }
        Ok(all)
    }
}
