"""The official client SDK (azure-messaging-webpubsubclient) against `wps emulator`.

Reliable subprotocol (the SDK default) unless a test says JSON. Tokens come from the
server SDK's get_client_access_token, as an application would get them.
"""

import queue
import socket
import time

import pytest
from azure.messaging.webpubsubclient import WebPubSubClient, WebPubSubClientCredential
from azure.messaging.webpubsubclient.models import (
    CallbackType,
    SendMessageError,
    WebPubSubDataType,
    WebPubSubProtocolType,
)

WAIT = 10.0
QUIET = 0.7


class Events:
    """Every callback of one client, in queues, so tests can wait for each kind."""

    def __init__(self, client: WebPubSubClient):
        self.queues = {t: queue.Queue() for t in CallbackType}
        for t in CallbackType:
            # STOPPED passes no argument; the others pass one args object.
            client.subscribe(t, lambda *a, q=self.queues[t]: q.put(a[0] if a else None))

    def next(self, kind: CallbackType, timeout: float = WAIT):
        try:
            return self.queues[kind].get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {kind.value} callback within {timeout}s") from None

    def none(self, kind: CallbackType, wait: float = QUIET):
        try:
            got = self.queues[kind].get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected {kind.value} callback: {vars(got)}")


@pytest.fixture
def make_client(service):
    """make_client(user_id=None, roles=(), protocol=reliable, **client kwargs) -> (client, events)."""
    made = []

    def _make(user_id=None, roles=(), groups=(), protocol=None, **kwargs):
        def url():
            return service.get_client_access_token(
                user_id=user_id, roles=list(roles) or None, groups=list(groups) or None
            )["url"]

        # The SDK can miss an ack that arrives before it starts waiting (a race in 1.1.0) and
        # then sits out the whole ack_timeout: keep it short so such waits stay cheap.
        kwargs.setdefault("ack_timeout", 2.0)
        # open() has the same race on its handshake wait (start_timeout, 30 s by default).
        kwargs.setdefault("start_timeout", 5.0)
        kwargs.setdefault("message_retry_total", 0)
        if protocol is not None:
            kwargs["protocol_type"] = protocol
        client = WebPubSubClient(WebPubSubClientCredential(url), **kwargs)
        events = Events(client)
        client.open()
        made.append(client)
        connected = events.next(CallbackType.CONNECTED)
        client.connected_args = connected
        return client, events

    yield _make
    for c in made:
        try:
            c.close()
        except Exception:
            pass


ALL_ROLES = ("webpubsub.joinLeaveGroup", "webpubsub.sendToGroup")


@pytest.mark.parametrize(
    "protocol", [None, WebPubSubProtocolType.JSON], ids=["reliable", "json"]
)
def test_connected_callback(service, make_client, protocol):
    client, events = make_client(user_id="alice", protocol=protocol)
    args = client.connected_args
    assert args.connection_id
    assert args.user_id == "alice"
    assert client.is_connected()
    assert service.connection_exists(args.connection_id) is True
    assert service.user_exists("alice") is True
    client.close()
    events.next(CallbackType.STOPPED)
    deadline = time.monotonic() + 5
    while service.connection_exists(args.connection_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.connection_exists(args.connection_id) is False


@pytest.mark.parametrize(
    "protocol", [None, WebPubSubProtocolType.JSON], ids=["reliable", "json"]
)
def test_join_send_leave_group_each_data_type(service, make_client, protocol):
    sender, sender_events = make_client(user_id="s", roles=ALL_ROLES, protocol=protocol)
    receiver, events = make_client(user_id="r", roles=ALL_ROLES, protocol=protocol)
    receiver.join_group("room")
    sender.join_group("room")
    assert service.group_exists("room") is True

    sender.send_to_group("room", "hi", WebPubSubDataType.TEXT)
    sender.send_to_group("room", {"k": [1, "é"]}, WebPubSubDataType.JSON)
    sender.send_to_group("room", memoryview(b"\x00\x01\xff"), WebPubSubDataType.BINARY)

    got = [events.next(CallbackType.GROUP_MESSAGE) for _ in range(3)]
    assert [(m.group, m.from_user_id) for m in got] == [("room", "s")] * 3
    assert (got[0].data_type, got[0].data) == (WebPubSubDataType.TEXT, "hi")
    assert (got[1].data_type, got[1].data) == (WebPubSubDataType.JSON, {"k": [1, "é"]})
    assert got[2].data_type == WebPubSubDataType.BINARY
    assert bytes(got[2].data) == b"\x00\x01\xff"
    if protocol is None:
        seq = [m.sequence_id for m in got]
        assert seq == sorted(seq) and len(set(seq)) == 3 and min(seq) >= 1
    # Without no_echo the sender hears itself too.
    echoed = [sender_events.next(CallbackType.GROUP_MESSAGE) for _ in range(3)]
    assert [m.data_type for m in echoed] == [m.data_type for m in got]

    receiver.leave_group("room")
    sender.send_to_group("room", "after leave", WebPubSubDataType.TEXT)
    assert sender_events.next(CallbackType.GROUP_MESSAGE).data == "after leave"
    events.none(CallbackType.GROUP_MESSAGE)


def test_send_to_group_no_echo(make_client):
    sender, sender_events = make_client(roles=ALL_ROLES)
    other, other_events = make_client(roles=ALL_ROLES)
    sender.join_group("g")
    other.join_group("g")
    sender.send_to_group("g", "quiet", WebPubSubDataType.TEXT, no_echo=True)
    assert other_events.next(CallbackType.GROUP_MESSAGE).data == "quiet"
    sender_events.none(CallbackType.GROUP_MESSAGE)


def test_send_to_group_needs_no_membership(make_client):
    sender, sender_events = make_client(roles=("webpubsub.sendToGroup.g",))
    member, events = make_client(roles=("webpubsub.joinLeaveGroup.g",))
    member.join_group("g")
    sender.send_to_group("g", "from outside", WebPubSubDataType.TEXT)
    assert events.next(CallbackType.GROUP_MESSAGE).data == "from outside"
    sender_events.none(CallbackType.GROUP_MESSAGE)


def test_rest_sends_arrive_as_group_and_server_messages(service, make_client):
    client, events = make_client(user_id="u", groups=("g",))
    service.send_to_group("g", "grp", content_type="text/plain")
    m = events.next(CallbackType.GROUP_MESSAGE)
    assert (m.group, m.data_type, m.data, m.from_user_id) == ("g", WebPubSubDataType.TEXT, "grp", None)

    service.send_to_all("all", content_type="text/plain")
    service.send_to_user("u", {"n": 1})
    service.send_to_connection(
        client.connected_args.connection_id, b"\xfe\x00", content_type="application/octet-stream"
    )
    got = [events.next(CallbackType.SERVER_MESSAGE) for _ in range(3)]
    assert (got[0].data_type, got[0].data) == (WebPubSubDataType.TEXT, "all")
    assert (got[1].data_type, got[1].data) == (WebPubSubDataType.JSON, {"n": 1})
    assert got[2].data_type == WebPubSubDataType.BINARY and bytes(got[2].data) == b"\xfe\x00"
    seq = [m.sequence_id for m in got]
    assert seq == sorted(seq) and len(set(seq)) == 3


def test_send_event_without_handler_fails_with_ack_error(make_client):
    client, events = make_client()
    with pytest.raises(SendMessageError) as err:
        client.send_event("myevent", {"k": "v"}, WebPubSubDataType.JSON)
    # An ack with an error came back (a timeout would leave the name empty).
    assert err.value.error_detail is not None
    assert err.value.error_detail.name
    assert err.value.error_detail.name != "Forbidden"
    # The connection survives the refused event.
    assert client.is_connected()
    events.none(CallbackType.DISCONNECTED)


@pytest.mark.parametrize(
    "protocol", [None, WebPubSubProtocolType.JSON], ids=["reliable", "json"]
)
def test_forbidden_without_role(service, make_client, protocol):
    client, events = make_client(protocol=protocol)
    with pytest.raises(SendMessageError) as err:
        client.join_group("g")
    assert err.value.error_detail.name == "Forbidden"
    assert service.group_exists("g") is False
    with pytest.raises(SendMessageError) as err:
        client.send_to_group("g", "x", WebPubSubDataType.TEXT)
    assert err.value.error_detail.name == "Forbidden"
    assert client.is_connected()
    # A role for one group is no role for another.
    scoped, _ = make_client(roles=("webpubsub.joinLeaveGroup.a",), protocol=protocol)
    scoped.join_group("a")
    with pytest.raises(SendMessageError) as err:
        scoped.join_group("b")
    assert err.value.error_detail.name == "Forbidden"


def test_granted_permission_lets_the_client_join(service, make_client):
    client, events = make_client()
    cid = client.connected_args.connection_id
    service.grant_permission("joinLeaveGroup", cid, target_name="g")
    client.join_group("g")
    service.send_to_group("g", "welcome", content_type="text/plain")
    assert events.next(CallbackType.GROUP_MESSAGE).data == "welcome"


@pytest.mark.parametrize(
    "protocol", [None, WebPubSubProtocolType.JSON], ids=["reliable", "json"]
)
def test_rest_close_fires_disconnected_with_reason(service, make_client, protocol):
    client, events = make_client(roles=ALL_ROLES, protocol=protocol)
    client.join_group("g")
    old = client.connected_args.connection_id
    service.close_connection(old, reason="kicked by admin")
    disconnected = events.next(CallbackType.DISCONNECTED, timeout=15)
    assert disconnected.message == "kicked by admin"
    assert service.connection_exists(old) is False
    # The SDK then reconnects with a fresh connection and rejoins its groups.
    again = events.next(CallbackType.CONNECTED, timeout=15)
    assert again.connection_id != old
    deadline = time.monotonic() + 10
    while not service.group_exists("g") and time.monotonic() < deadline:
        time.sleep(0.05)
    service.send_to_group("g", "back", content_type="text/plain")
    assert events.next(CallbackType.GROUP_MESSAGE).data == "back"


def test_dropped_transport_is_recovered_without_loss(service, make_client):
    client, events = make_client(user_id="r", roles=ALL_ROLES)
    client.join_group("g")
    cid = client.connected_args.connection_id

    service.send_to_connection(cid, "before 0", content_type="text/plain")
    assert events.next(CallbackType.SERVER_MESSAGE).data == "before 0"

    # Cut the TCP connection under the SDK: no close frame, as a network drop would.
    client._ws.sock.sock.shutdown(socket.SHUT_RDWR)
    sent = []
    for i in range(20):
        text = f"during {i}"
        if i % 2:
            service.send_to_group("g", text, content_type="text/plain")
        else:
            service.send_to_connection(cid, text, content_type="text/plain")
        sent.append(text)
        time.sleep(0.02)

    received = []
    deadline = time.monotonic() + 20
    while len(received) < len(sent) and time.monotonic() < deadline:
        for kind in (CallbackType.SERVER_MESSAGE, CallbackType.GROUP_MESSAGE):
            try:
                received.append(events.queues[kind].get(timeout=0.05))
            except queue.Empty:
                pass
    texts = sorted(m.data for m in received)
    assert texts == sorted(sent), f"missing {set(sent) - set(texts)}"
    # Exactly once, in the order sent.
    events.none(CallbackType.SERVER_MESSAGE)
    events.none(CallbackType.GROUP_MESSAGE, wait=0.1)
    ordered = [m.data for m in sorted(received, key=lambda m: m.sequence_id)]
    assert ordered == sent
    # Recovered, not reconnected: same connection, no disconnected/connected callbacks.
    events.none(CallbackType.DISCONNECTED, wait=0.1)
    events.none(CallbackType.CONNECTED, wait=0.1)
    assert service.connection_exists(cid) is True
    assert client.is_connected()
    service.send_to_connection(cid, "after", content_type="text/plain")
    assert events.next(CallbackType.SERVER_MESSAGE).data == "after"
