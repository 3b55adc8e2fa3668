"""The official server SDK (azure-messaging-webpubsubservice) against `wps emulator`.

One test per data-plane operation of rest-api.md. Each asserts what the SDK returns or
raises and what real WebSocket clients receive (or do not receive).
"""

import base64
import json
import time

import jwt
import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.core.rest import HttpRequest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from azure.messaging.webpubsubservice._operations import _operations as gen
from websocket import ABNF

from conftest import SILENCE, RawClient, RELIABLE_PROTOCOL, b64

TEXT = ABNF.OPCODE_TEXT
BINARY = ABNF.OPCODE_BINARY


# ---------------------------------------------------------------- send_to_all


def test_send_to_all_text_reaches_raw_and_json_clients(service, connect):
    raw = connect(protocol=None)
    sub = connect()
    assert service.send_to_all("héllo", content_type="text/plain") is None
    assert raw.next_frame() == (TEXT, "héllo")
    msg = sub.next_message()
    assert msg["from"] == "server"
    assert msg["dataType"] == "text"
    assert msg["data"] == "héllo"
    assert "sequenceId" not in msg


def test_send_to_all_json_object(service, connect):
    raw = connect(protocol=None)
    sub = connect()
    service.send_to_all({"hello": "world", "n": [1, 2]})
    assert json.loads(raw.next_frame()[1]) == {"hello": "world", "n": [1, 2]}
    msg = sub.next_message()
    assert (msg["from"], msg["dataType"], msg["data"]) == (
        "server",
        "json",
        {"hello": "world", "n": [1, 2]},
    )


def test_send_to_all_plain_str_defaults_to_json_string(service, connect):
    # The SDK's default content type is application/json: a str arrives as a JSON string.
    raw = connect(protocol=None)
    sub = connect()
    service.send_to_all("hello")
    assert raw.next_frame() == (TEXT, '"hello"')
    msg = sub.next_message()
    assert (msg["dataType"], msg["data"]) == ("json", "hello")


def test_send_to_all_binary_every_byte(service, connect):
    raw = connect(protocol=None)
    sub = connect()
    body = bytes(range(256))
    service.send_to_all(body, content_type="application/octet-stream")
    assert raw.next_frame() == (BINARY, body)
    msg = sub.next_message()
    assert msg["dataType"] == "binary"
    assert base64.b64decode(msg["data"]) == body


def test_send_to_all_excluded(service, connect):
    a, b, c = connect(), connect(), connect()
    service.send_to_all(
        "x", content_type="text/plain", excluded=[a.connection_id, b.connection_id]
    )
    assert c.next_message()["data"] == "x"
    a.assert_silent()
    b.assert_silent()


def test_send_to_all_filter(service, connect):
    u1 = connect(user_id="u1")
    u2 = connect(user_id="u2")
    anon = connect()
    service.send_to_all("f", content_type="text/plain", filter="userId ne 'u1'")
    assert u2.next_message()["data"] == "f"
    u1.assert_silent()
    # Whether `null ne 'u1'` holds is not pinned down by the reference: drain, don't judge.
    try:
        anon.next_message(timeout=SILENCE)
    except Exception:
        pass
    service.send_to_all("n", content_type="text/plain", filter="userId eq null")
    assert anon.next_message()["data"] == "n"
    u1.assert_silent()
    u2.assert_silent()
    service.send_to_all("i", content_type="text/plain", filter="userId in ('u1', 'u2')")
    assert u1.next_message()["data"] == "i"
    assert u2.next_message()["data"] == "i"
    anon.assert_silent()


def test_send_to_all_filter_on_groups_and_connection(service, connect):
    a = connect(user_id="a", groups=["g1"])
    b = connect(user_id="b", groups=["g1", "g2"])
    c = connect(user_id="c")
    service.send_to_all(
        "m",
        content_type="text/plain",
        filter=f"'g1' in groups and connectionId ne '{a.connection_id}'",
    )
    assert b.next_message()["data"] == "m"
    a.assert_silent()
    c.assert_silent()


def test_send_to_all_bad_filter_is_400(service):
    with pytest.raises(HttpResponseError) as err:
        service.send_to_all("x", content_type="text/plain", filter="userId eq")
    assert err.value.status_code == 400


# -------------------------------------------------------------- send_to_group


GROUP = "team #1/a?b é"


def test_send_to_group_text_json_binary(service, connect):
    # A raw client never learns its connection id: it joins the group through its user.
    raw = connect(user_id="raw user", protocol=None)
    member = connect(groups=[GROUP])
    outsider = connect()
    service.add_user_to_group(GROUP, "raw user")
    service.send_to_group(GROUP, "t", content_type="text/plain")
    service.send_to_group(GROUP, {"k": "v"})
    service.send_to_group(GROUP, b"\x00\x01\xff", content_type="application/octet-stream")
    m1, m2, m3 = member.next_message(), member.next_message(), member.next_message()
    assert (m1["from"], m1["group"], m1["dataType"], m1["data"]) == ("group", GROUP, "text", "t")
    assert m1.get("fromUserId") is None
    assert (m2["dataType"], m2["data"]) == ("json", {"k": "v"})
    assert (m3["dataType"], m3["data"]) == ("binary", "AAH/")
    assert raw.next_frame() == (TEXT, "t")
    assert raw.next_frame() == (TEXT, '{"k": "v"}')
    assert raw.next_frame() == (BINARY, b"\x00\x01\xff")
    outsider.assert_silent()


def test_send_to_group_excluded_and_filter(service, connect):
    a = connect(user_id="a", groups=["g"])
    b = connect(user_id="b", groups=["g"])
    c = connect(user_id="c", groups=["g"])
    service.send_to_group(
        "g", "x", content_type="text/plain", excluded=[a.connection_id], filter="userId ne 'b'"
    )
    assert c.next_message()["data"] == "x"
    a.assert_silent()
    b.assert_silent()


def test_send_to_missing_group_is_accepted(service):
    # Fire-and-forget: 202 even when nobody is in the group.
    assert service.send_to_group("nobody-here", "x", content_type="text/plain") is None


def test_send_to_whitespace_group_is_400(service):
    with pytest.raises(HttpResponseError) as err:
        service.send_to_group("   ", "x", content_type="text/plain")
    assert err.value.status_code == 400


# --------------------------------------------------------------- send_to_user


USER = "user 1/é#?"


def test_send_to_user_all_connections_of_the_user(service, connect):
    a1 = connect(user_id=USER)
    a2 = connect(user_id=USER, protocol=RELIABLE_PROTOCOL)
    other = connect(user_id="other")
    service.send_to_user(USER, {"to": "user"})
    for c in (a1, a2):
        msg = c.next_message()
        assert (msg["from"], msg["dataType"], msg["data"]) == ("server", "json", {"to": "user"})
    assert a2.connected["userId"] == USER
    other.assert_silent()


def test_send_to_user_filter(service, connect):
    a1 = connect(user_id="u")
    a2 = connect(user_id="u")
    service.send_to_user(
        "u", b"\x07", content_type="application/octet-stream",
        filter=f"connectionId ne '{a1.connection_id}'",
    )
    assert a2.next_message()["data"] == b64(b"\x07")
    a1.assert_silent()


# --------------------------------------------------------- send_to_connection


def test_send_to_connection(service, connect):
    a, b = connect(), connect()
    service.send_to_connection(a.connection_id, "only you", content_type="text/plain")
    assert a.next_message()["data"] == "only you"
    b.assert_silent()


def test_send_to_missing_connection_is_accepted(service):
    assert service.send_to_connection("no-such-conn", "x", content_type="text/plain") is None


# ------------------------------------------------------------- group membership


def test_add_and_remove_connection_to_group(service, connect):
    a, b = connect(), connect()
    assert service.group_exists("g") is False
    service.add_connection_to_group("g", a.connection_id)
    assert service.group_exists("g") is True
    service.send_to_group("g", "in", content_type="text/plain")
    assert a.next_message()["data"] == "in"
    b.assert_silent()
    service.remove_connection_from_group("g", a.connection_id)
    assert service.group_exists("g") is False
    service.send_to_group("g", "out", content_type="text/plain")
    a.assert_silent()


def test_add_missing_connection_to_group_is_not_found(service):
    with pytest.raises(ResourceNotFoundError):
        service.add_connection_to_group("g", "no-such-conn")


def test_remove_missing_connection_from_group_is_ok(service):
    assert service.remove_connection_from_group("g", "no-such-conn") is None


def test_remove_connection_from_all_groups(service, connect):
    a = connect(groups=["g1", "g2"])
    service.remove_connection_from_all_groups(a.connection_id)
    assert service.group_exists("g1") is False
    assert service.group_exists("g2") is False
    service.send_to_group("g1", "x", content_type="text/plain")
    a.assert_silent()


def test_add_and_remove_user_to_group(service, connect):
    u1 = connect(user_id=USER)
    u2 = connect(user_id=USER)
    other = connect(user_id="other")
    service.add_user_to_group(GROUP, USER)
    service.send_to_group(GROUP, "hi", content_type="text/plain")
    assert u1.next_message()["group"] == GROUP
    assert u2.next_message()["data"] == "hi"
    other.assert_silent()
    service.remove_user_from_group(GROUP, USER)
    assert service.group_exists(GROUP) is False
    service.send_to_group(GROUP, "bye", content_type="text/plain")
    u1.assert_silent()
    u2.assert_silent()


def test_add_missing_user_to_group_is_not_found(service):
    with pytest.raises(ResourceNotFoundError):
        service.add_user_to_group("g", "nobody")


def test_remove_user_from_all_groups(service, connect):
    u = connect(user_id="u", groups=["g1", "g2"])
    keep = connect(user_id="v", groups=["g1"])
    service.remove_user_from_all_groups("u")
    assert service.group_exists("g2") is False
    service.send_to_group("g1", "x", content_type="text/plain")
    assert keep.next_message()["data"] == "x"
    u.assert_silent()


# ------------------------------------------------------------------- closing


def _assert_closed(client: RawClient, reason: str):
    code, close_reason, before = client.expect_close()
    frames = [json.loads(f) for f in before]
    assert {"type": "system", "event": "disconnected", "message": reason} in frames
    assert code == 1000
    assert close_reason == reason


def test_close_connection_with_reason(service, connect):
    a, b = connect(), connect()
    service.close_connection(a.connection_id, reason="maintenance window")
    _assert_closed(a, "maintenance window")
    assert service.connection_exists(a.connection_id) is False
    assert service.connection_exists(b.connection_id) is True
    b.assert_silent()


def test_close_missing_connection_is_ok(service):
    assert service.close_connection("no-such-conn", reason="x") is None


def test_close_user_connections_excluded(service, connect):
    a1, a2 = connect(user_id="u"), connect(user_id="u")
    other = connect(user_id="v")
    service.close_user_connections("u", excluded=[a2.connection_id], reason="bye u")
    _assert_closed(a1, "bye u")
    assert service.connection_exists(a2.connection_id) is True
    assert service.user_exists("u") is True
    other.assert_silent()
    service.close_user_connections("u", reason="bye again")
    _assert_closed(a2, "bye again")
    assert service.user_exists("u") is False


def test_close_group_connections(service, connect):
    a = connect(groups=["g", "h"])
    b = connect(groups=["g"])
    c = connect(groups=["h"])
    service.close_group_connections("g", excluded=[b.connection_id], reason="group closed")
    _assert_closed(a, "group closed")
    # A closed connection leaves every group: h still has c only.
    service.send_to_group("h", "still", content_type="text/plain")
    assert c.next_message()["data"] == "still"
    assert service.connection_exists(b.connection_id) is True


def test_close_all_connections(service, connect):
    a, b, keep = connect(), connect(protocol=RELIABLE_PROTOCOL), connect()
    raw = connect(protocol=None)
    service.close_all_connections(excluded=[keep.connection_id], reason="shutdown")
    _assert_closed(a, "shutdown")
    _assert_closed(b, "shutdown")
    code, reason, before = raw.expect_close()
    assert (code, reason, before) == (1000, "shutdown", [])
    assert service.connection_exists(keep.connection_id) is True
    assert service.connection_exists(a.connection_id) is False


# -------------------------------------------------------------------- exists


def test_exists_true_and_false(service, connect):
    a = connect(user_id=USER, groups=[GROUP])
    assert service.connection_exists(a.connection_id) is True
    assert service.user_exists(USER) is True
    assert service.group_exists(GROUP) is True
    assert service.connection_exists("nope") is False
    assert service.user_exists("nope") is False
    assert service.group_exists("nope") is False
    a.close()
    deadline = time.monotonic() + 5
    while service.connection_exists(a.connection_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.connection_exists(a.connection_id) is False
    assert service.user_exists(USER) is False
    assert service.group_exists(GROUP) is False


# --------------------------------------------------------------- permissions


def test_grant_revoke_has_permission(service, connect):
    a = connect()
    join = {"type": "joinGroup", "group": "g1"}
    ack = a.request(join)
    assert ack["success"] is False and ack["error"]["name"] == "Forbidden"
    assert service.has_permission("joinLeaveGroup", a.connection_id, target_name="g1") is False

    assert service.grant_permission("joinLeaveGroup", a.connection_id, target_name="g1") is None
    assert service.has_permission("joinLeaveGroup", a.connection_id, target_name="g1") is True
    assert service.has_permission("joinLeaveGroup", a.connection_id, target_name="g2") is False
    assert a.request(join)["success"] is True
    assert service.group_exists("g1") is True
    assert a.request({"type": "joinGroup", "group": "g2"})["error"]["name"] == "Forbidden"

    service.grant_permission("sendToGroup", a.connection_id, target_name="g1")
    ack = a.request({"type": "sendToGroup", "group": "g1", "dataType": "text", "data": "me"})
    assert ack["success"] is True
    assert a.next_message()["data"] == "me"

    assert service.revoke_permission("joinLeaveGroup", a.connection_id, target_name="g1") is None
    assert service.has_permission("joinLeaveGroup", a.connection_id, target_name="g1") is False
    assert a.request({"type": "leaveGroup", "group": "g1"})["error"]["name"] == "Forbidden"


def test_revoke_overrides_role(service, connect):
    a = connect(roles=["webpubsub.sendToGroup"])
    assert service.has_permission("sendToGroup", a.connection_id, target_name="g") is True
    service.revoke_permission("sendToGroup", a.connection_id, target_name="g")
    assert service.has_permission("sendToGroup", a.connection_id, target_name="g") is False
    ack = a.request({"type": "sendToGroup", "group": "g", "dataType": "text", "data": "x"})
    assert ack["error"]["name"] == "Forbidden"
    assert service.has_permission("sendToGroup", a.connection_id, target_name="other") is True


def test_grant_to_missing_connection_is_not_found(service):
    with pytest.raises(ResourceNotFoundError):
        service.grant_permission("sendToGroup", "no-such-conn", target_name="g")


def test_bad_permission_is_400(service, connect):
    a = connect()
    with pytest.raises(HttpResponseError) as err:
        service.grant_permission("fly", a.connection_id, target_name="g")
    assert err.value.status_code == 400


# ------------------------------------------------------------ list_connections


def test_list_connections_pages(service, connect):
    members = [connect(user_id=f"u{i}" if i % 2 else None, groups=["g"]) for i in range(5)]
    connect(groups=["other"])
    got = list(service.list_connections(group="g", maxpagesize=2))
    ids = sorted(m.connection_id for m in got)
    assert ids == sorted(c.connection_id for c in members)
    users = {m.connection_id: m.user_id for m in got}
    for c in members:
        assert users[c.connection_id] == c.user_id

    pages = list(service.list_connections(group="g", maxpagesize=2).by_page())
    assert [len(list(p)) for p in pages] == [2, 2, 1]

    top = list(service.list_connections(group="g", top=3, maxpagesize=2))
    assert len(top) == 3
    assert len({m.connection_id for m in top}) == 3


def test_list_connections_of_missing_group_is_empty(service):
    assert list(service.list_connections(group="nobody")) == []


# ------------------------------------------------------------- client tokens


def test_get_client_access_token_and_connect(service, emulator, hub):
    before = int(time.time())
    token = service.get_client_access_token(
        user_id="alice",
        roles=["webpubsub.sendToGroup.g1", "webpubsub.joinLeaveGroup.g1"],
        groups=["g1", "g2"],
        minutes_to_expire=30,
    )
    assert set(token) == {"baseUrl", "token", "url"}
    base = f"ws://127.0.0.1:{emulator.port}/client/hubs/{hub}"
    assert token["baseUrl"] == base
    assert token["url"] == f"{base}?access_token={token['token']}"
    claims = jwt.decode(token["token"], emulator.key, algorithms=["HS256"],
                        audience=f"http://127.0.0.1:{emulator.port}/client/hubs/{hub}")
    assert claims["sub"] == "alice"
    assert 1800 - 2 <= claims["exp"] - before <= 1800 + 2

    client = RawClient(token["url"], RELIABLE_PROTOCOL)
    try:
        assert client.connected["userId"] == "alice"
        assert client.connected["reconnectionToken"]
        # Initial groups from the token, with no role needed.
        service.send_to_group("g2", "welcome", content_type="text/plain")
        msg = client.next_message()
        assert (msg["group"], msg["data"], msg["sequenceId"]) == ("g2", "welcome", 1)
        # Roles from the token.
        ack = client.request({"type": "sendToGroup", "group": "g1", "dataType": "json",
                              "data": {"a": 1}, "noEcho": False})
        assert ack["success"] is True
        msg = client.next_message()
        assert (msg["group"], msg["data"], msg["fromUserId"], msg["sequenceId"]) == (
            "g1", {"a": 1}, "alice", 2)
        assert client.request({"type": "sendToGroup", "group": "g2", "dataType": "text",
                               "data": "x"})["error"]["name"] == "Forbidden"
    finally:
        client.close()


def test_expired_or_foreign_client_token_is_refused(service, emulator, hub):
    import websocket as ws_mod

    token = service.get_client_access_token(minutes_to_expire=-10)
    with pytest.raises(ws_mod.WebSocketBadStatusException) as err:
        RawClient(token["url"], RELIABLE_PROTOCOL)
    assert err.value.status_code == 401
    other = WebPubSubServiceClient.from_connection_string(
        emulator.connection_string.replace(emulator.key, "x" * 44), hub=hub
    )
    with pytest.raises(ws_mod.WebSocketBadStatusException) as err:
        RawClient(other.get_client_access_token()["url"], RELIABLE_PROTOCOL)
    assert err.value.status_code == 401


# --------------------------------------------------------------------- errors


def test_wrong_key_is_client_authentication_error(emulator, hub):
    bad = WebPubSubServiceClient.from_connection_string(
        emulator.connection_string.replace(emulator.key, "K" * 44), hub=hub
    )
    with pytest.raises(ClientAuthenticationError):
        bad.send_to_all("x", content_type="text/plain")
    with pytest.raises(ClientAuthenticationError):
        bad.close_all_connections()
    with pytest.raises(ClientAuthenticationError):
        list(bad.list_connections(group="g"))


def test_bad_hub_name_is_400(emulator):
    svc = WebPubSubServiceClient.from_connection_string(emulator.connection_string, hub="bad-hub!")
    with pytest.raises(HttpResponseError) as err:
        svc.send_to_all("x", content_type="text/plain")
    assert err.value.status_code == 400


def test_unknown_api_version_is_400(emulator, hub):
    svc = WebPubSubServiceClient.from_connection_string(
        emulator.connection_string, hub=hub, api_version="2000-01-01"
    )
    with pytest.raises(HttpResponseError) as err:
        svc.send_to_all("x", content_type="text/plain")
    assert err.value.status_code == 400


@pytest.mark.parametrize("version", ["2021-10-01", "2022-11-01", "2023-07-01", "2024-01-01"])
def test_older_api_versions_work(emulator, hub, connect, version):
    svc = WebPubSubServiceClient.from_connection_string(
        emulator.connection_string, hub=hub, api_version=version
    )
    a = connect(svc=svc)
    svc.send_to_connection(a.connection_id, "v", content_type="text/plain")
    assert a.next_message()["data"] == "v"


def test_oversize_body_is_413(service):
    with pytest.raises(HttpResponseError) as err:
        service.send_to_all(b"x" * (1024 * 1024 + 1), content_type="application/octet-stream")
    assert err.value.status_code == 413


def test_error_body_is_parsed_by_the_sdk(service):
    with pytest.raises(HttpResponseError) as err:
        service.send_to_all("x", content_type="text/plain", filter="(((")
    assert err.value.status_code == 400
    # A flat ErrorDetail body with a JSON content type: azure-core surfaces its code.
    assert err.value.error is not None and err.value.error.code


# ------------------------------------------- operations without an SDK wrapper
# The SDK's own pipeline (send_request: same signing, same client) carries the request;
# messageTtlSeconds goes through the SDK's generated request builders.

API = {"api-version": "2024-12-01"}


def _batch(service, hub, op, groups, filter=None):
    body = {"groups": groups}
    if filter is not None:
        body["filter"] = filter
    response = service.send_request(HttpRequest("POST", f"/api/hubs/{hub}/{op}", json=body, params=API))
    return response


def test_add_connections_to_groups_with_filter(service, connect, hub):
    a = connect(user_id="a")
    b = connect(user_id="b")
    response = _batch(service, hub, ":addToGroups", ["g1", "g2"], "userId eq 'a'")
    assert response.status_code == 200
    assert service.group_exists("g1") and service.group_exists("g2")
    service.send_to_group("g2", "batch", content_type="text/plain")
    assert a.next_message()["data"] == "batch"
    b.assert_silent()


def test_remove_connections_from_groups_with_filter(service, connect, hub):
    a = connect(user_id="a", groups=["g1", "g2"])
    b = connect(user_id="b", groups=["g1"])
    response = _batch(service, hub, ":removeFromGroups", ["g1"], f"connectionId eq '{a.connection_id}'")
    assert response.status_code == 200
    service.send_to_group("g1", "left", content_type="text/plain")
    assert b.next_message()["data"] == "left"
    a.assert_silent()
    assert service.group_exists("g2") is True


def test_batch_without_filter_selects_every_connection(service, connect, hub):
    a, b = connect(), connect()
    assert _batch(service, hub, ":addToGroups", ["all"]).status_code == 200
    service.send_to_group("all", "x", content_type="text/plain")
    assert a.next_message()["data"] == "x"
    assert b.next_message()["data"] == "x"


def test_batch_bad_body_or_filter_is_400(service, hub):
    assert _batch(service, hub, ":addToGroups", []).status_code == 400
    assert _batch(service, hub, ":addToGroups", ["g"], "userId eq").status_code == 400


def test_message_ttl_seconds(service, connect, hub, emulator):
    a = connect(user_id="u", groups=["g"])
    builders = [
        lambda ttl: gen.build_web_pub_sub_service_send_to_all_request(
            hub=hub, content=b"t", content_type="text/plain", message_ttl_seconds=ttl),
        lambda ttl: gen.build_web_pub_sub_service_send_to_group_request(
            group="g", hub=hub, content=b"t", content_type="text/plain", message_ttl_seconds=ttl),
        lambda ttl: gen.build_web_pub_sub_service_send_to_user_request(
            user_id="u", hub=hub, content=b"t", content_type="text/plain",
            message_ttl_seconds=ttl),
        lambda ttl: gen.build_web_pub_sub_service_send_to_connection_request(
            connection_id=a.connection_id, hub=hub, content=b"t", content_type="text/plain",
            message_ttl_seconds=ttl),
    ]
    for build in builders:
        assert service.send_request(build(30)).status_code == 202
        assert a.next_message()["data"] == "t"
        # Out of range (0-300): the service's 400 (the SDK does no client-side validation).
        # A fresh client each, so this test is about TTL only; connection reuse after a
        # rejected request is the next test's business.
        for bad in (301, -1):
            fresh = WebPubSubServiceClient.from_connection_string(
                emulator.connection_string, hub=hub)
            assert fresh.send_request(build(bad)).status_code == 400
    a.assert_silent()


def test_rejected_request_with_a_body_leaves_the_connection_usable(service, connect, hub):
    # The SDK reuses pooled keep-alive connections: a 4xx answered before the body was read
    # must not leave a connection that the server then drops under the next request.
    a = connect()
    for i in range(30):
        bad = gen.build_web_pub_sub_service_send_to_all_request(
            hub=hub, content=b"x" * 1000, content_type="text/plain", message_ttl_seconds=301)
        assert service.send_request(bad).status_code == 400
        bad_filter = gen.build_web_pub_sub_service_send_to_all_request(
            hub=hub, content=b"y" * 1000, content_type="text/plain", filter="((")
        assert service.send_request(bad_filter).status_code == 400
        service.send_to_connection(a.connection_id, str(i), content_type="text/plain")
        assert a.next_message()["data"] == str(i)


def test_health(service):
    response = service.send_request(HttpRequest("HEAD", "/api/health?api-version=2024-12-01"))
    assert response.status_code == 200


def test_unsupported_content_type_is_415(service, hub):
    response = service.send_request(
        HttpRequest("POST", f"/api/hubs/{hub}/:send", content=b"<a/>", params=API,
                    headers={"Content-Type": "application/xml"})
    )
    assert response.status_code == 415


def test_invalid_json_body_is_400(service, hub):
    response = service.send_request(
        HttpRequest("POST", f"/api/hubs/{hub}/:send", content=b"{not json", params=API,
                    headers={"Content-Type": "application/json"})
    )
    assert response.status_code == 400
