"""The official SDKs over TLS against `wps emulator --tls`, with Entra ID.

azure-core refuses to send a bearer token over http, so an app that signs in with
`DefaultAzureCredential` can only reach an emulator that serves https. Here the emulator makes
its development certificate (`--tls`) and trusts a test issuer (`--entra-issuer-key`); the
tests trust the printed CA the way a user would (REQUESTS_CA_BUNDLE for requests, SSL_CERT_FILE
for websocket-client's OpenSSL) and hand the SDK a credential that returns RS256 tokens from
that issuer, as Entra ID would.
"""

import queue
import re
import signal
import subprocess
import threading
import time
import uuid

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ServiceRequestError
from azure.messaging.webpubsubclient import WebPubSubClient, WebPubSubClientCredential
from azure.messaging.webpubsubclient.models import CallbackType, WebPubSubDataType
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import JSON_PROTOCOL, START_TIMEOUT, Emulator, RawClient, _read_line, clean_env

SCOPE = "https://webpubsub.azure.com/.default"
ENTRA_AUDIENCE = "https://webpubsub.azure.com"


class Issuer:
    """Stands in for Entra ID: an RSA key pair whose public half the emulator trusts."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(self, lifetime: int = 3600) -> AccessToken:
        now = int(time.time())
        claims = {
            "aud": ENTRA_AUDIENCE,
            "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "oid": "11111111-1111-1111-1111-111111111111",
            "tid": "00000000-0000-0000-0000-000000000000",
        }
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test"})
        return AccessToken(token, now + lifetime)


class IssuerCredential:
    """A `TokenCredential`, as `DefaultAzureCredential` is one: the SDK asks for the Web
    PubSub scope and gets an access token for it."""

    def __init__(self, issuer: Issuer):
        self.issuer = issuer
        self.scopes = []

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        self.scopes.append(scopes)
        return self.issuer.token()


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def tls_emulator(wps_bin, tmp_path_factory, issuer):
    """`wps emulator --tls --entra-issuer-key`; yields (Emulator, path of the CA's PEM)."""
    home = tmp_path_factory.mktemp("emu-tls")
    pub = home / "issuer.pub.pem"
    pub.write_bytes(issuer.public_pem)
    proc = subprocess.Popen(
        [str(wps_bin), "emulator", "--port", "0", "--tls", "--entra-issuer-key", str(pub)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(home),
    )
    line = _read_line(proc.stdout, START_TIMEOUT)
    if not line:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"the emulator printed no connection string within {START_TIMEOUT}s: {err}")
    assert line.startswith("Endpoint=https://127.0.0.1;Port="), line
    # The CA's path comes first on stderr, as a user reads it.
    ca = None
    stderr_lines = []
    while ca is None:
        err = _read_line(proc.stderr, START_TIMEOUT)
        assert err, f"no SSL_CERT_FILE=... on stderr: {stderr_lines}"
        stderr_lines.append(err)
        found = re.search(r"SSL_CERT_FILE=(\S+)", err)
        ca = found and found.group(1)
    threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True).start()
    yield Emulator(proc, line.strip()), ca
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the emulator did not stop within 15 s of SIGTERM")
    assert rc == 0, f"emulator exit status {rc}; stderr: {''.join(stderr_lines)[-2000:]}"


@pytest.fixture
def trusted(tls_emulator, monkeypatch):
    """The environment a user sets after reading the emulator's hint."""
    emu, ca = tls_emulator
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    return emu


@pytest.fixture
def tls_hub() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def entra_service(trusted, issuer, tls_hub):
    credential = IssuerCredential(issuer)
    service = WebPubSubServiceClient(
        endpoint=trusted.endpoint, hub=tls_hub, credential=credential
    )
    service.test_credential = credential
    return service


@pytest.fixture
def raw_clients():
    made = []
    yield made
    for c in made:
        c.close()


def test_endpoint_is_https_and_the_ca_is_a_pem_file(tls_emulator):
    emu, ca = tls_emulator
    assert emu.endpoint.startswith("https://127.0.0.1:")
    with open(ca) as f:
        assert f.read().startswith("-----BEGIN CERTIFICATE-----")


def test_key_credential_over_https_and_wss(trusted, tls_hub, raw_clients):
    service = WebPubSubServiceClient.from_connection_string(trusted.connection_string, hub=tls_hub)
    token = service.get_client_access_token(user_id="k1")
    assert token["url"].startswith(f"wss://127.0.0.1:{trusted.port}/client/hubs/{tls_hub}?")
    client = RawClient(token["url"], JSON_PROTOCOL)
    raw_clients.append(client)
    service.send_to_all("over tls", content_type="text/plain")
    msg = client.next_message()
    assert msg["data"] == "over tls", msg
    assert service.connection_exists(client.connection_id)


def test_entra_token_over_https_generate_token_and_paging(
    trusted, entra_service, tls_hub, raw_clients
):
    service = entra_service
    # get_client_access_token asks the emulator (:generateToken) under Entra ID.
    token = service.get_client_access_token(user_id="u1", groups=["g"], minutes_to_expire=5)
    claims = jwt.decode(token["token"], options={"verify_signature": False})
    assert claims["aud"] == f"https://127.0.0.1:{trusted.port}/client/hubs/{tls_hub}"
    assert claims["sub"] == "u1" and claims["webpubsub.group"] == ["g"]
    assert token["url"].startswith("wss://")
    for _ in range(3):
        client = RawClient(
            service.get_client_access_token(user_id="u1", groups=["g"])["url"], JSON_PROTOCOL
        )
        raw_clients.append(client)

    service.send_to_group("g", {"hello": "entra"}, content_type="application/json")
    for client in raw_clients:
        assert client.next_message()["data"] == {"hello": "entra"}

    # One connection a page: every page after the first comes from the emulator's nextLink,
    # which must be https for the SDK to follow it to this port.
    pages = service.list_connections(group="g", maxpagesize=1)
    listed = sorted(m.connection_id for m in pages)
    assert listed == sorted(c.connection_id for c in raw_clients)

    service.send_to_user("u1", "to the user", content_type="text/plain")
    for client in raw_clients:
        assert client.next_message()["data"] == "to the user"
    assert service.user_exists("u1")
    service.close_connection(raw_clients[0].connection_id, reason="done")
    assert not service.connection_exists(raw_clients[0].connection_id)
    assert set(service.test_credential.scopes) == {(SCOPE,)}


def test_client_sdk_over_wss_with_an_entra_signed_in_server(entra_service):
    service = entra_service
    roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]

    def url():
        return service.get_client_access_token(user_id="c1", roles=roles)["url"]

    client = WebPubSubClient(
        WebPubSubClientCredential(url), ack_timeout=2.0, start_timeout=10.0, message_retry_total=0
    )
    connected, messages = queue.Queue(), queue.Queue()
    client.subscribe(CallbackType.CONNECTED, connected.put)
    client.subscribe(CallbackType.GROUP_MESSAGE, messages.put)
    client.open()
    try:
        assert connected.get(timeout=10).user_id == "c1"
        client.join_group("room")
        service.send_to_group("room", "from the server", content_type="text/plain")
        got = messages.get(timeout=10)
        assert (got.group, got.data) == ("room", "from the server")
        client.send_to_group("room", "from the client", WebPubSubDataType.TEXT)
        assert messages.get(timeout=10).data == "from the client"
    finally:
        client.close()


def test_the_sdk_will_not_send_a_bearer_token_over_http(emulator, issuer, hub):
    # Why TLS matters: the same credential against the plain-http emulator never leaves.
    service = WebPubSubServiceClient(
        endpoint=emulator.endpoint, hub=hub, credential=IssuerCredential(issuer)
    )
    with pytest.raises(ServiceRequestError, match="non-TLS"):
        service.get_client_access_token()


def test_untrusted_certificate_is_refused(tls_emulator, tls_hub, monkeypatch):
    emu, _ = tls_emulator
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    service = WebPubSubServiceClient.from_connection_string(
        emu.connection_string, hub=tls_hub, retry_total=0
    )
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        service.send_to_all("x", content_type="text/plain")
