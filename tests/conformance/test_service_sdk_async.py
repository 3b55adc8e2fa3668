"""The official server SDK's async client (azure.messaging.webpubsubservice.aio, over
aiohttp) against `wps emulator`.

It signs each request exactly as the sync client does, but aiohttp (yarl) sends the URL
requoted: octets that a path or query may hold literally are decoded (`%27` becomes `'`), so
the token's audience and the request line differ in spelling, not in meaning. Every operation
that carries a filter, and a few whose names or reasons hold such octets, are run here and
checked the way test_service_sdk.py checks the sync client: by what real clients receive.
"""

import asyncio

import aiohttp
import pytest
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import HttpRequest
from azure.messaging.webpubsubservice.aio import WebPubSubServiceClient

from conftest import JSON_PROTOCOL, SILENCE, RawClient, b64

API = {"api-version": "2024-12-01"}


class AsyncService:
    """The async client on an event loop of its own, for tests written like the sync ones:
    `svc.call("send_to_all", ...)` runs one operation to completion. `sent` holds every
    request line aiohttp wrote (path and query, as on the wire)."""

    def __init__(self, connection_string: str, hub: str):
        self.loop = asyncio.new_event_loop()
        self.sent = []
        self.client = self.loop.run_until_complete(self._open(connection_string, hub))

    async def _open(self, connection_string, hub):
        async def on_request_start(session, ctx, params):
            self.sent.append(params.url.raw_path_qs)

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_request_start)
        self.session = aiohttp.ClientSession(trace_configs=[trace])
        transport = AioHttpTransport(session=self.session, session_owner=False)
        return WebPubSubServiceClient.from_connection_string(
            connection_string, hub=hub, transport=transport
        )

    def call(self, operation: str, *args, **kwargs):
        return self.loop.run_until_complete(getattr(self.client, operation)(*args, **kwargs))

    def send_request(self, request: HttpRequest):
        return self.loop.run_until_complete(self.client.send_request(request))

    def list_connections(self, **kwargs):
        async def go():
            return [m async for m in self.client.list_connections(**kwargs)]

        return self.loop.run_until_complete(go())

    def close(self):
        self.loop.run_until_complete(self.client.close())
        self.loop.run_until_complete(self.session.close())
        self.loop.close()


@pytest.fixture
def aservice(emulator, hub):
    svc = AsyncService(emulator.connection_string, hub)
    yield svc
    svc.close()


def test_async_send_to_all_filter_as_microsofts_recording(aservice, connect):
    # test_smoke_async.test_send_with_filter: the service answers this request 202.
    user1 = connect(user_id="user1")
    user2 = connect(user_id="user2")
    assert aservice.call(
        "send_to_all", "hi", content_type="text/plain", filter="userId ne 'user1'"
    ) is None
    # The premise: signed with %27, sent with the quotes as they are.
    assert aservice.sent[-1].endswith("&filter=userId%20ne%20'user1'"), aservice.sent
    assert user2.next_message()["data"] == "hi"
    user1.assert_silent()


def test_async_send_to_all_filter_in_list_and_excluded(aservice, connect):
    u1 = connect(user_id="u1")
    u2 = connect(user_id="u2")
    u3 = connect(user_id="u3")
    aservice.call(
        "send_to_all", {"k": "v"}, excluded=[u2.connection_id],
        filter="userId in ('u1', 'u2') or userId eq 'nobody'",
    )
    # Parentheses and commas travel unencoded too.
    assert "filter=userId%20in%20('u1',%20'u2')" in aservice.sent[-1], aservice.sent
    msg = u1.next_message()
    assert (msg["dataType"], msg["data"]) == ("json", {"k": "v"})
    u2.assert_silent()
    u3.assert_silent()


def test_async_send_to_group_filter_and_excluded(aservice, connect):
    group = "it's (g1)!"
    a = connect(user_id="a", groups=[group])
    b = connect(user_id="b", groups=[group])
    c = connect(user_id="c", groups=[group])
    outsider = connect(user_id="d")
    aservice.call(
        "send_to_group", group, "x", content_type="text/plain",
        excluded=[a.connection_id], filter="userId ne 'b' and 'it''s (g1)!' in groups",
    )
    assert "/groups/it's%20(g1)!/:send" in aservice.sent[-1], aservice.sent
    msg = c.next_message()
    assert (msg["from"], msg["group"], msg["data"]) == ("group", group, "x")
    a.assert_silent()
    b.assert_silent()
    outsider.assert_silent()


def test_async_send_to_user_filter(aservice, connect):
    user = "o'brien&co;x=y+z@w"
    a1 = connect(user_id=user)
    a2 = connect(user_id=user)
    other = connect(user_id="other")
    aservice.call(
        "send_to_user", user, b"\x07", content_type="application/octet-stream",
        filter=f"connectionId ne '{a1.connection_id}'",
    )
    # aiohttp decodes ' & ; = @ in a path, and keeps + encoded.
    assert "/users/o'brien&co;x=y%2Bz@w/:send" in aservice.sent[-1], aservice.sent
    assert a2.next_message()["data"] == b64(b"\x07")
    a1.assert_silent()
    other.assert_silent()


def test_async_send_to_connection(aservice, connect):
    a, b = connect(), connect()
    aservice.call("send_to_connection", a.connection_id, "only you", content_type="text/plain")
    assert a.next_message()["data"] == "only you"
    b.assert_silent()


def _batch(aservice, hub, op, groups, filter):
    request = HttpRequest(
        "POST", f"/api/hubs/{hub}/{op}", json={"groups": groups, "filter": filter}, params=API
    )
    return aservice.send_request(request)


def test_async_add_and_remove_connections_to_groups_with_filter(aservice, connect, hub):
    a = connect(user_id="a'1")
    b = connect(user_id="b")
    assert _batch(aservice, hub, ":addToGroups", ["g1", "g2"], "userId eq 'a''1'").status_code == 200
    assert aservice.call("group_exists", "g2") is True
    aservice.call("send_to_group", "g2", "batch", content_type="text/plain")
    assert a.next_message()["data"] == "batch"
    b.assert_silent()
    response = _batch(aservice, hub, ":removeFromGroups", ["g2"], f"connectionId eq '{a.connection_id}'")
    assert response.status_code == 200
    assert aservice.call("group_exists", "g2") is False
    assert aservice.call("group_exists", "g1") is True


def test_async_membership_exists_and_list_connections(aservice, connect):
    user = "user (1)!"
    u1 = connect(user_id=user)
    u2 = connect(user_id=user)
    other = connect(user_id="other")
    assert aservice.call("user_exists", user) is True
    assert aservice.call("add_user_to_group", "g'1", user) is None
    listed = aservice.list_connections(group="g'1", maxpagesize=1)
    assert sorted(m.connection_id for m in listed) == sorted([u1.connection_id, u2.connection_id])
    aservice.call("send_to_group", "g'1", "members", content_type="text/plain")
    assert u1.next_message()["data"] == "members"
    assert u2.next_message()["data"] == "members"
    other.assert_silent()
    assert aservice.call("remove_user_from_group", "g'1", user) is None
    assert aservice.call("group_exists", "g'1") is False


def test_async_close_user_connections_with_a_reason(aservice, connect):
    a1, a2 = connect(user_id="u"), connect(user_id="u")
    reason = "it's over (for now)!"
    aservice.call("close_user_connections", "u", excluded=[a2.connection_id], reason=reason)
    code, close_reason, before = a1.expect_close()
    assert (code, close_reason) == (1000, reason)
    assert aservice.call("connection_exists", a2.connection_id) is True
    assert aservice.call("connection_exists", a1.connection_id) is False


def test_async_client_access_token_connects(aservice, connect, emulator, hub):
    token = aservice.loop.run_until_complete(
        aservice.client.get_client_access_token(user_id="alice", groups=["g"])
    )
    assert token["baseUrl"] == f"ws://127.0.0.1:{emulator.port}/client/hubs/{hub}"
    alice = RawClient(token["url"], JSON_PROTOCOL)
    try:
        assert alice.user_id == "alice"
        aservice.call("send_to_group", "g", "hello alice", content_type="text/plain",
                      filter="userId eq 'alice'")
        assert alice.next_message()["data"] == "hello alice"
        alice.assert_silent(SILENCE)
    finally:
        alice.close()
