"""MQTT clients against the emulator with the real paho-mqtt client (pinned in
requirements.txt), MQTT 3.1.1 and 5.0 over WebSocket, with URLs minted by the official
service SDK (`client_protocol="Mqtt"`): connect, subscribe, REST sends on the topic and on
`$webpubsub/server/messages`, messages to and from a json client, a refused wildcard
subscription, bad tokens, and a kept session's unacknowledged message resent (DUP) on resume.
"""

import json
import queue
import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from conftest import RECV_TIMEOUT, b64

SERVER_TOPIC = "$webpubsub/server/messages"
ROLES = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]
VERSIONS = {"3.1.1": mqtt.MQTTv311, "5.0": mqtt.MQTTv5}


class Paho:
    """One paho client on its own network thread; what it hears lands in queues."""

    def __init__(self, url: str, version: int, client_id: str = None):
        self.version = version
        self.client_id = client_id or "c" + uuid.uuid4().hex[:12]
        self.connacks: "queue.Queue" = queue.Queue()
        self.messages: "queue.Queue" = queue.Queue()
        self.subacks: "queue.Queue" = queue.Queue()
        self.acks: "queue.Queue" = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=version,
            transport="websockets",
            reconnect_on_failure=False,
        )
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.client.ws_set_options(path=f"{parsed.path}?{parsed.query}")
        self.client.on_connect = lambda c, u, flags, rc, props: self.connacks.put((rc, flags))
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subacks.put(codes)
        self.client.on_publish = lambda c, u, mid, rc, props: self.acks.put(rc)

    def connect(self):
        """Connects and returns the CONNACK's reason code."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        rc, _flags = self.connacks.get(timeout=RECV_TIMEOUT)
        return rc

    def subscribe(self, topic: str):
        """The SUBACK's reason code for one filter."""
        self.client.subscribe(topic, qos=1)
        return self.subacks.get(timeout=RECV_TIMEOUT)[0]

    def publish(self, topic: str, payload: bytes, content_type: str = None):
        props = None
        if content_type and self.version == mqtt.MQTTv5:
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = content_type
        self.client.publish(topic, payload, qos=1, properties=props)
        rc = self.acks.get(timeout=RECV_TIMEOUT)
        assert not rc.is_failure, rc

    def next_message(self):
        return self.messages.get(timeout=RECV_TIMEOUT)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mqtt_client(service):
    """mqtt_client(version, user_id=None, roles=()) -> connected Paho."""
    made = []

    def _make(version, user_id=None, roles=()):
        token = service.get_client_access_token(
            user_id=user_id, roles=list(roles) or None, client_protocol="Mqtt"
        )
        assert "/clients/mqtt/hubs/" in token["url"], token["url"]
        client = Paho(token["url"], VERSIONS[version])
        made.append(client)
        rc = client.connect()
        assert rc == 0 and not rc.is_failure, rc
        return client

    yield _make
    for c in made:
        c.close()


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_rest_sends_arrive_on_the_topic_and_on_the_server_topic(service, mqtt_client, version):
    c = mqtt_client(version, user_id="alice", roles=ROLES)
    granted = c.subscribe("room")
    assert granted.value == 1, granted

    service.send_to_group("room", "to the room", content_type="text/plain")
    msg = c.next_message()
    assert (msg.topic, msg.payload) == ("room", b"to the room")

    service.send_to_user("alice", "to alice", content_type="text/plain")
    msg = c.next_message()
    assert (msg.topic, msg.payload) == (SERVER_TOPIC, b"to alice")
    assert msg.qos == 1
    if version == "5.0":
        assert msg.properties.ContentType == "text/plain"

    service.send_to_all({"n": 1})
    msg = c.next_message()
    assert msg.topic == SERVER_TOPIC
    assert json.loads(msg.payload) == {"n": 1}

    service.send_to_connection(c.client_id, b"\x00\x01", content_type="application/octet-stream")
    msg = c.next_message()
    assert (msg.topic, msg.payload) == (SERVER_TOPIC, b"\x00\x01")

    # The client id is the connection id for REST.
    assert service.connection_exists(c.client_id)


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_mqtt_and_json_clients_talk_through_a_group(mqtt_client, connect, version):
    js = connect(user_id="js", roles=ROLES)
    assert js.request({"type": "joinGroup", "group": "room"})["success"] is True
    c = mqtt_client(version, user_id="mq", roles=ROLES)
    c.subscribe("room")

    c.publish("room", b"from mqtt", content_type="text/plain")
    msg = js.next_message()
    assert (msg["from"], msg["group"], msg["fromUserId"]) == ("group", "room", "mq")
    if version == "5.0":
        assert (msg["dataType"], msg["data"]) == ("text", "from mqtt")
    else:
        # 3.1.1 has no content type: binary.
        assert (msg["dataType"], msg["data"]) == ("binary", b64(b"from mqtt"))
    # Its own message comes back to the MQTT subscriber too.
    assert c.next_message().payload == b"from mqtt"

    ack = js.request(
        {"type": "sendToGroup", "group": "room", "dataType": "json", "data": {"hi": "mqtt"}}
    )
    assert ack["success"] is True, ack
    msg = c.next_message()
    assert msg.topic == "room"
    assert json.loads(msg.payload) == {"hi": "mqtt"}
    if version == "5.0":
        assert msg.properties.ContentType == "application/json"


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_wildcard_and_unpermitted_subscriptions_are_refused(mqtt_client, version):
    c = mqtt_client(version, roles=["webpubsub.joinLeaveGroup.mine"])
    wildcard = c.subscribe("a/#")
    assert wildcard.is_failure, wildcard
    if version == "5.0":
        assert wildcard.value == 0xA2, wildcard  # wildcard subscriptions not supported
    assert c.subscribe("theirs").is_failure
    assert c.subscribe("mine").value == 1


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_bad_tokens_are_refused_at_the_upgrade(emulator, hub, version):
    base = f"ws://127.0.0.1:{emulator.port}/clients/mqtt/hubs/{hub}"
    for url in (f"{base}?access_token=not.a.token", base):
        c = Paho(url, VERSIONS[version])
        with pytest.raises(Exception) as err:
            c.connect()
        assert "handshake" in str(err.value).lower() or "401" in str(err.value), err.value
        c.client.loop_stop()


def _keeper(url: str, version: int, client_id: str) -> mqtt.Client:
    """A paho client that keeps its session (3.1.1 Clean Session 0; 5.0 Clean Start 0 with a
    session expiry) and acknowledges nothing by itself."""
    kwargs = {"clean_session": False} if version == mqtt.MQTTv311 else {}
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=version,
        transport="websockets",
        reconnect_on_failure=False,
        manual_ack=True,
        **kwargs,
    )


@pytest.mark.parametrize("version", ["3.1.1", "5.0"])
def test_an_unacknowledged_message_comes_again_with_dup_on_resume(service, version):
    token = service.get_client_access_token(roles=ROLES, client_protocol="Mqtt")
    parsed = urlparse(token["url"])
    client_id = "k" + uuid.uuid4().hex[:12]
    connect_kwargs = {"keepalive": 30}
    if VERSIONS[version] == mqtt.MQTTv5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 60
        connect_kwargs.update(clean_start=False, properties=props)

    def session():
        c = _keeper(token["url"], VERSIONS[version], client_id)
        connacks, messages, subacks = queue.Queue(), queue.Queue(), queue.Queue()
        c.ws_set_options(path=f"{parsed.path}?{parsed.query}")
        c.on_connect = lambda cl, u, flags, rc, p: connacks.put(flags)
        c.on_message = lambda cl, u, msg: messages.put(msg)
        c.on_subscribe = lambda cl, u, mid, codes, p: subacks.put(codes)
        c.connect(parsed.hostname, parsed.port, **connect_kwargs)
        c.loop_start()
        flags = connacks.get(timeout=RECV_TIMEOUT)
        return c, flags, messages, subacks

    c, flags, messages, subacks = session()
    assert not flags.session_present
    c.subscribe("kept", qos=1)
    subacks.get(timeout=RECV_TIMEOUT)
    service.send_to_group("kept", "unacked", content_type="text/plain")
    first = messages.get(timeout=RECV_TIMEOUT)
    assert (first.payload, first.dup) == (b"unacked", False)
    # Not acknowledged (manual acks); the session is kept across a DISCONNECT.
    c.disconnect()
    c.loop_stop()

    c, flags, messages, _ = session()
    try:
        assert flags.session_present
        again = messages.get(timeout=RECV_TIMEOUT)
        assert (again.payload, again.dup, again.mid) == (b"unacked", True, first.mid)
        c.ack(again.mid, again.qos)
    finally:
        c.disconnect()
        c.loop_stop()
