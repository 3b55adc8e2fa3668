"""Wire parity: for every operation of the CLI, `wps` sends what the Python SDK sends.

A capturing HTTP server answers each request with the operation's success status and
records method, raw path + query, headers and body. Each case runs the official SDK call,
then the `wps` command with the same arguments, and compares the two captures. Where the
Python SDK has no wrapper (messageTtlSeconds, batch group operations) the case compares
against the SDK's own generated request builder or the SPEC example in rest-api.md.
"""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt
import pytest
from azure.core.rest import HttpRequest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from azure.messaging.webpubsubservice._operations import _operations as gen

import subprocess

from conftest import clean_env

KEY = "ParityKeyParityKeyParityKeyParityKey0123456789"
HUB = "chat"
API = "2024-12-01"

# Headers allowed to differ, and why (anything else must match exactly):
KNOWN_DIFFERENCES = {
    "authorization",  # compared below as decoded JWT header + claims (exp is time-dependent)
    "user-agent",  # product identity: azsdk-python-... vs wps/VERSION
    "accept-encoding",  # requests asks for gzip/deflate; wps does not decompress
    "x-ms-client-request-id",  # azure-core adds a random uuid per request
    "connection",  # hop-by-hop, a property of the HTTP client library
}

# Names with every character class that needs escaping in a path segment / query value.
GROUP = "team #1/a?b é"
USER = "user 1/é#?+&="
CONN = "conn/1 %é"
FILTER = "userId ne 'u1' and 'g 2' in groups"


class Capture:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with capture.lock:
                    capture.requests.append(
                        {
                            "method": self.command,
                            "target": self.path,
                            "headers": [(k.lower(), v) for k, v in self.headers.items()],
                            "body": body,
                            "time": time.time(),
                        }
                    )
                status, payload = success(self.command, self.path)
                self.send_response(status)
                if payload is not None:
                    data = json.dumps(payload).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self):
        with self.lock:
            out, self.requests = self.requests, []
        return out


def success(method: str, target: str):
    path = urlsplit(target).path
    if method == "GET":
        return 200, {"value": [{"connectionId": "c1", "userId": "u1"}]}
    if method == "POST" and path.endswith("/:send"):
        return 202, None
    if method == "POST" and path.endswith(("/:addToGroups", "/:removeFromGroups")):
        return 200, None
    if method in ("PUT", "HEAD"):
        return 200, None
    return 204, None  # DELETE, :closeConnections


@pytest.fixture(scope="module")
def capture():
    cap = Capture()
    yield cap
    cap.server.shutdown()


@pytest.fixture
def conn_str(capture):
    return f"Endpoint=http://127.0.0.1;Port={capture.port};AccessKey={KEY};Version=1.0;"


@pytest.fixture
def sdk(conn_str):
    return WebPubSubServiceClient.from_connection_string(conn_str, hub=HUB)


@pytest.fixture
def wps(wps_bin, conn_str, tmp_path):
    def run(*args, stdin: bytes = None, expect_rc: int = 0):
        proc = subprocess.run(
            [str(wps_bin), "--hub", HUB, "-o", "json", *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env=clean_env(tmp_path, WPS_CONNECTION_STRING=conn_str),
            timeout=60,
        )
        assert proc.returncode == expect_rc, (args, proc.returncode, proc.stderr.decode())
        return proc

    return run


def jwt_parts(req, port):
    auth = dict(req["headers"]).get("authorization", "")
    assert auth.startswith("Bearer "), auth
    token = auth[len("Bearer ") :]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token, KEY, algorithms=["HS256"], options={"verify_aud": False, "verify_exp": True}
    )
    # aud is the full request URL as sent, query included.
    assert claims["aud"] == f"http://127.0.0.1:{port}{req['target']}", claims
    assert set(claims) == {"aud", "exp"}, claims
    assert abs(claims["exp"] - req["time"] - 60) <= 2, claims["exp"] - req["time"]
    return header, claims


def comparable_headers(req):
    return sorted((k, v) for k, v in req["headers"] if k not in KNOWN_DIFFERENCES)


def assert_same(expected, actual, port):
    assert len(actual) == len(expected), (
        [(r["method"], r["target"]) for r in expected],
        [(r["method"], r["target"]) for r in actual],
    )
    for e, a in zip(expected, actual):
        assert a["method"] == e["method"]
        assert a["target"] == e["target"]  # path encoding and query order included
        assert a["body"] == e["body"]
        assert comparable_headers(a) == comparable_headers(e)
        he, ce = jwt_parts(e, port)
        ha, ca = jwt_parts(a, port)
        assert ha == he
        assert ca["aud"] == ce["aud"]


def check(capture, sdk_call, wps_run):
    capture.take()
    sdk_call()
    expected = capture.take()
    assert expected, "the SDK sent nothing"
    wps_run()
    actual = capture.take()
    assert_same(expected, actual, capture.port)
    return expected, actual


# ------------------------------------------------------------------ sends

SEND_CASES = {
    "all-text": (
        lambda s: s.send_to_all("hello é", content_type="text/plain"),
        ["send-all", "--text", "hello é"],
    ),
    "all-json": (
        lambda s: s.send_to_all({"hello": "wörld", "n": [1, 2.5, None]}),
        ["send-all", "--json", json.dumps({"hello": "wörld", "n": [1, 2.5, None]})],
    ),
    "all-excluded-filter": (
        lambda s: s.send_to_all(
            "hi", content_type="text/plain", excluded=["c1", CONN], filter=FILTER
        ),
        ["send-all", "--exclude", "c1", "--exclude", CONN, "--filter", FILTER, "--text", "hi"],
    ),
    "group": (
        lambda s: s.send_to_group(
            GROUP, "hi", content_type="text/plain", excluded=["c1"], filter=FILTER
        ),
        ["send-group", "--group", GROUP, "--exclude", "c1", "--filter", FILTER, "--text", "hi"],
    ),
    "group-json": (
        lambda s: s.send_to_group(GROUP, {"a": "é"}),
        ["send-group", "--group", GROUP, "--json", json.dumps({"a": "é"})],
    ),
    "user": (
        lambda s: s.send_to_user(USER, "hi", content_type="text/plain", filter=FILTER),
        ["send-user", "--user", USER, "--filter", FILTER, "--text", "hi"],
    ),
    "connection": (
        lambda s: s.send_to_connection(CONN, "hi", content_type="text/plain"),
        ["send-connection", "--connection", CONN, "--text", "hi"],
    ),
}


@pytest.mark.parametrize("case", SEND_CASES)
def test_send(capture, sdk, wps, case):
    sdk_call, args = SEND_CASES[case]
    check(capture, lambda: sdk_call(sdk), lambda: wps(*args))


def test_send_binary_file_and_stdin(capture, sdk, wps, tmp_path):
    body = bytes(range(256)) * 4
    path = tmp_path / "frame.bin"
    path.write_bytes(body)
    sdk_call = lambda: sdk.send_to_all(body, content_type="application/octet-stream")
    check(capture, sdk_call, lambda: wps("send-all", "--file", str(path)))
    check(capture, sdk_call, lambda: wps("send-all", stdin=body))
    group_call = lambda: sdk.send_to_group(GROUP, body, content_type="application/octet-stream")
    check(capture, group_call, lambda: wps("send-group", "--group", GROUP, stdin=body))


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("text/plain", "hé".encode()),
        ("application/json", b'{"a": 1}'),
        ("text/plain; charset=utf-8", "hé".encode()),  # parameters are sent as given
    ],
    ids=["text", "json", "text-charset"],
)
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_explicit_content_type(capture, sdk, wps, tmp_path, content_type, body, source):
    # design.md: --file and stdin are application/octet-stream unless --content-type says otherwise.
    path = tmp_path / "msg"
    path.write_bytes(body)
    payload = ["--file", str(path)] if source == "file" else []
    check(
        capture,
        # The SDK JSON-encodes whatever it is given as application/json (bytes become a
        # base64 string), so it gets the parsed object; json.dumps gives back the same bytes.
        lambda: sdk.send_to_group(
            GROUP, json.loads(body) if content_type == "application/json" else body,
            content_type=content_type),
        lambda: wps("send-group", "--group", GROUP, *payload, "--content-type", content_type,
                    stdin=body if source == "stdin" else None),
    )


def test_several_targets_send_one_request_each(capture, sdk, wps):
    def sdk_calls():
        for u in ("a", USER):
            sdk.send_to_user(u, "x", content_type="text/plain")

    capture.take()
    sdk_calls()
    expected = capture.take()
    wps("send-user", "--user", "a", "--user", USER, "--text", "x")
    actual = capture.take()
    # Bulk runs are concurrent: compare as sets of requests.
    key = lambda r: r["target"]
    assert_same(sorted(expected, key=key), sorted(actual, key=key), capture.port)


# messageTtlSeconds: not in the Python wrappers, so the SDK's own generated builders
# (the code its wrappers call) produce the reference request.
TTL_CASES = {
    "all": (
        lambda: gen.build_web_pub_sub_service_send_to_all_request(
            hub=HUB, content=b"hi", content_type="text/plain", excluded=["c1"],
            filter=FILTER, message_ttl_seconds=30),
        ["send-all", "--exclude", "c1", "--filter", FILTER, "--ttl", "30", "--text", "hi"],
    ),
    "group": (
        lambda: gen.build_web_pub_sub_service_send_to_group_request(
            hub=HUB, group=GROUP, content=b"hi", content_type="text/plain", message_ttl_seconds=300),
        ["send-group", "--group", GROUP, "--ttl", "300", "--text", "hi"],
    ),
    "user": (
        lambda: gen.build_web_pub_sub_service_send_to_user_request(
            hub=HUB, user_id=USER, content=b"hi", content_type="text/plain", filter=FILTER,
            message_ttl_seconds=1),
        ["send-user", "--user", USER, "--filter", FILTER, "--ttl", "1", "--text", "hi"],
    ),
    "connection": (
        lambda: gen.build_web_pub_sub_service_send_to_connection_request(
            hub=HUB, connection_id=CONN, content=b"hi", content_type="text/plain", message_ttl_seconds=0),
        ["send-connection", "--connection", CONN, "--ttl", "0", "--text", "hi"],
    ),
}


@pytest.mark.parametrize("case", TTL_CASES)
def test_send_with_ttl(capture, sdk, wps, case):
    build, args = TTL_CASES[case]
    expected, _ = check(capture, lambda: sdk.send_request(build()), lambda: wps(*args))
    assert "messageTtlSeconds=" in expected[0]["target"]


def test_ttl_query_matches_the_captured_shape(capture, wps):
    # rest-api.md: excluded..., api-version, filter, messageTtlSeconds.
    capture.take()
    wps("send-all", "--exclude", "c1", "--exclude", "c2", "--filter", "userId ne 'u1'",
        "--ttl", "30", "--text", "hi")
    (req,) = capture.take()
    assert req["target"] == (
        "/api/hubs/chat/:send?excluded=c1&excluded=c2&api-version=2024-12-01"
        "&filter=userId%20ne%20%27u1%27&messageTtlSeconds=30"
    )


# ------------------------------------------------------------ membership

MEMBERSHIP_CASES = {
    "add-connection": (
        lambda s: s.add_connection_to_group(GROUP, CONN),
        ["add-to-group", "--group", GROUP, "--connection", CONN],
    ),
    "add-user": (
        lambda s: s.add_user_to_group(GROUP, USER),
        ["add-to-group", "--group", GROUP, "--user", USER],
    ),
    "remove-connection": (
        lambda s: s.remove_connection_from_group(GROUP, CONN),
        ["remove-from-group", "--group", GROUP, "--connection", CONN],
    ),
    "remove-user": (
        lambda s: s.remove_user_from_group(GROUP, USER),
        ["remove-from-group", "--group", GROUP, "--user", USER],
    ),
    "remove-connection-all-groups": (
        lambda s: s.remove_connection_from_all_groups(CONN),
        ["remove-from-group", "--all-groups", "--connection", CONN],
    ),
    "remove-user-all-groups": (
        lambda s: s.remove_user_from_all_groups(USER),
        ["remove-from-group", "--all-groups", "--user", USER],
    ),
}


@pytest.mark.parametrize("case", MEMBERSHIP_CASES)
def test_membership(capture, sdk, wps, case):
    sdk_call, args = MEMBERSHIP_CASES[case]
    check(capture, lambda: sdk_call(sdk), lambda: wps(*args))


@pytest.mark.parametrize(
    "args,path",
    [
        (["add-to-group", "--group", "group1", "--group", GROUP, "--filter", FILTER], ":addToGroups"),
        (["remove-from-group", "--group", "group1", "--group", GROUP, "--filter", FILTER],
         ":removeFromGroups"),
    ],
    ids=["add", "remove"],
)
def test_batch_groups_match_spec_example(capture, wps, args, path):
    # No Python method: compare with the SPEC example (rest-api.md "Request bodies").
    capture.take()
    wps(*args)
    (req,) = capture.take()
    assert req["method"] == "POST"
    assert req["target"] == f"/api/hubs/chat/{path}?api-version={API}"
    headers = dict(req["headers"])
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(req["body"]))
    body = json.loads(req["body"])
    assert body == {"groups": ["group1", GROUP], "filter": FILTER}
    assert list(body) == ["groups", "filter"]
    jwt_parts(req, capture.port)


# --------------------------------------------------------------- closing

CLOSE_CASES = {
    "connection": (
        lambda s: s.close_connection(CONN, reason="bye & good night"),
        ["close", "--connection", CONN, "--reason", "bye & good night"],
    ),
    "user": (
        lambda s: s.close_user_connections(USER, excluded=["c1", CONN], reason="bye"),
        ["close", "--user", USER, "--exclude", "c1", "--exclude", CONN, "--reason", "bye"],
    ),
    "group": (
        lambda s: s.close_group_connections(GROUP, excluded=["c1"], reason="a=b+c"),
        ["close", "--group", GROUP, "--exclude", "c1", "--reason", "a=b+c"],
    ),
    "all": (
        lambda s: s.close_all_connections(excluded=["c1", "c2"], reason="maintenance"),
        ["close", "--all", "--exclude", "c1", "--exclude", "c2", "--reason", "maintenance"],
    ),
    "all-no-reason": (
        lambda s: s.close_all_connections(),
        ["close", "--all"],
    ),
}


@pytest.mark.parametrize("case", CLOSE_CASES)
def test_close(capture, sdk, wps, case):
    sdk_call, args = CLOSE_CASES[case]
    check(capture, lambda: sdk_call(sdk), lambda: wps(*args))


# ----------------------------------------------------------- permissions

PERMISSIONS = {"send-to-group": "sendToGroup", "join-leave-group": "joinLeaveGroup"}


@pytest.mark.parametrize("flag", PERMISSIONS)
@pytest.mark.parametrize("verb", ["grant", "revoke", "check"])
def test_permissions(capture, sdk, wps, verb, flag):
    perm = PERMISSIONS[flag]
    method = {"grant": sdk.grant_permission, "revoke": sdk.revoke_permission,
              "check": sdk.has_permission}[verb]
    check(
        capture,
        lambda: method(perm, CONN, target_name=GROUP),
        lambda: wps(verb, "--connection", CONN, "--permission", flag, "--group", GROUP),
    )


# ---------------------------------------------------------------- exists

EXISTS_CASES = {
    "connection": (lambda s: s.connection_exists(CONN), ["exists", "--connection", CONN]),
    "user": (lambda s: s.user_exists(USER), ["exists", "--user", USER]),
    "group": (lambda s: s.group_exists(GROUP), ["exists", "--group", GROUP]),
}


@pytest.mark.parametrize("case", EXISTS_CASES)
def test_exists(capture, sdk, wps, case):
    sdk_call, args = EXISTS_CASES[case]
    check(capture, lambda: sdk_call(sdk), lambda: wps(*args))


# ---------------------------------------------------------------- listing


def test_list_connections(capture, sdk, wps):
    check(
        capture,
        lambda: list(sdk.list_connections(group=GROUP, top=10)),
        lambda: wps("list-connections", "--group", GROUP, "--top", "10"),
    )
    check(
        capture,
        lambda: list(sdk.list_connections(group=GROUP, maxpagesize=5)),
        lambda: wps("list-connections", "--group", GROUP, "--max-page-size", "5"),
    )


# ------------------------------------------------------------- raw `api`


def test_api_matches_the_named_operation(capture, sdk, wps):
    check(
        capture,
        lambda: sdk.send_to_all("hi", content_type="text/plain"),
        lambda: wps("api", "POST", "/api/hubs/chat/:send", "--text", "hi"),
    )
    check(
        capture,
        lambda: sdk.close_connection(CONN, reason="bye"),
        lambda: wps("api", "DELETE", "/api/hubs/chat/connections/conn%2F1%20%25%C3%A9",
                    "--query", "reason=bye"),
    )


# ------------------------------------------------------------------ token


@pytest.mark.parametrize(
    "kwargs,args",
    [
        ({}, []),
        (
            {"user_id": "user1", "roles": ["webpubsub.joinLeaveGroup.g1", "webpubsub.sendToGroup"],
             "groups": ["g1", "g 2"], "minutes_to_expire": 30},
            ["--user", "user1", "--role", "webpubsub.joinLeaveGroup.g1",
             "--role", "webpubsub.sendToGroup", "--group", "g1", "--group", "g 2",
             "--expires", "30"],
        ),
        ({"user_id": "u", "client_protocol": "MQTT"}, ["--user", "u", "--client-type", "mqtt"]),
        ({"user_id": "u", "client_protocol": "SocketIO"},
         ["--user", "u", "--client-type", "socketio"]),
    ],
    ids=["default", "full", "mqtt", "socketio"],
)
def test_token_claims_match(capture, sdk, wps, kwargs, args):
    expected = sdk.get_client_access_token(**kwargs)
    proc = wps("token", *args)
    assert capture.take() == [], "a key-signed token needs no request"
    out = proc.stdout.decode()
    m = re.search(r"(wss?://[^\s\"]+)\?access_token=([A-Za-z0-9_\-.]+)", out)
    assert m, out
    assert m.group(1) == expected["baseUrl"]
    token = m.group(2)
    assert jwt.get_unverified_header(token) == jwt.get_unverified_header(expected["token"])
    opts = {"verify_aud": False}
    got = jwt.decode(token, KEY, algorithms=["HS256"], options=opts)
    want = jwt.decode(expected["token"], KEY, algorithms=["HS256"], options=opts)
    assert set(got) == set(want)
    for claim in ("aud", "sub", "role", "webpubsub.group"):
        assert got.get(claim) == want.get(claim), claim
    assert got["exp"] - got["iat"] == want["exp"] - want["iat"]
    assert abs(got["iat"] - want["iat"]) <= 2


# ------------------------------------------------------ configuration paths


def test_api_version_override(capture, conn_str, wps):
    old = WebPubSubServiceClient.from_connection_string(conn_str, hub=HUB, api_version="2024-01-01")
    check(
        capture,
        lambda: old.close_user_connections(USER, excluded=["c1"], reason="r"),
        lambda: wps("--api-version", "2024-01-01", "close", "--user", USER, "--exclude", "c1",
                    "--reason", "r"),
    )


def test_endpoint_and_key_instead_of_connection_string(capture, sdk, wps_bin, tmp_path):
    def run():
        proc = subprocess.run(
            [str(wps_bin), "send-group", "--group", GROUP, "--text", "hi"],
            input=b"",
            capture_output=True,
            env=clean_env(tmp_path, WPS_ENDPOINT=f"http://127.0.0.1:{capture.port}",
                          WPS_ACCESS_KEY=KEY, WPS_HUB=HUB),
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr.decode()

    check(capture, lambda: sdk.send_to_group(GROUP, "hi", content_type="text/plain"), run)


# ------------------------------------------------------------------ reverse proxy

# Behind API Management or an Application Gateway the SDK is built with reverse_proxy_endpoint:
# requests go to the proxy (here the capturing server), the token's audience stays the
# service's URL. `wps --reverse-proxy` (or WPS_REVERSE_PROXY) must send exactly the same.
SERVICE = "https://contoso.webpubsub.azure.com"

PROXY_CASES = {
    "send-group": (
        lambda s: s.send_to_group(GROUP, "hi", content_type="text/plain", filter=FILTER),
        ["send-group", "--group", GROUP, "--filter", FILTER, "--text", "hi"],
    ),
    "add-user": (
        lambda s: s.add_user_to_group(GROUP, USER),
        ["add-to-group", "--group", GROUP, "--user", USER],
    ),
    "exists": (
        lambda s: s.connection_exists(CONN),
        ["exists", "--connection", CONN],
    ),
    "close": (
        lambda s: s.close_connection(CONN, reason="bye"),
        ["close", "--connection", CONN, "--reason", "bye"],
    ),
    "list": (
        lambda s: list(s.list_connections(group=GROUP, top=5)),
        ["list-connections", "--group", GROUP, "--top", "5"],
    ),
}


@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize("case", PROXY_CASES)
def test_reverse_proxy(capture, wps_bin, tmp_path, case, how):
    proxy = f"http://127.0.0.1:{capture.port}"
    conn = f"Endpoint={SERVICE};AccessKey={KEY};Version=1.0;"
    sdk = WebPubSubServiceClient.from_connection_string(
        conn, hub=HUB, reverse_proxy_endpoint=proxy
    )
    sdk_call, args = PROXY_CASES[case]
    capture.take()
    sdk_call(sdk)
    expected = capture.take()
    assert expected, "the SDK sent nothing to the proxy"

    extra = {"WPS_CONNECTION_STRING": conn}
    flag = []
    if how == "flag":
        flag = ["--reverse-proxy", proxy]
    else:
        extra["WPS_REVERSE_PROXY"] = proxy
    proc = subprocess.run(
        [str(wps_bin), "--hub", HUB, "-o", "json", *flag, *args],
        input=b"",
        capture_output=True,
        env=clean_env(tmp_path, **extra),
        timeout=60,
    )
    assert proc.returncode == 0, (args, proc.returncode, proc.stderr.decode())
    actual = capture.take()

    assert len(actual) == len(expected)
    for e, a in zip(expected, actual):
        assert a["method"] == e["method"]
        assert a["target"] == e["target"]
        assert a["body"] == e["body"]
        assert comparable_headers(a) == comparable_headers(e)
        auth = lambda r: dict(r["headers"])["authorization"][len("Bearer ") :]
        decode = lambda r: jwt.decode(
            auth(r), KEY, algorithms=["HS256"], options={"verify_aud": False}
        )
        assert jwt.get_unverified_header(auth(a)) == jwt.get_unverified_header(auth(e))
        # The audience is the service's own URL, not the proxy's.
        assert decode(e)["aud"] == f"{SERVICE}{e['target']}", decode(e)
        assert decode(a)["aud"] == decode(e)["aud"]
