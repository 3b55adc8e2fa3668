"""Shared fixtures: the built `wps` binary, one emulator for the session, clients.

The emulator runs as a real subprocess (`wps emulator --port 0`), exactly as a user or
a script starts it, so these tests also hold its start/stop contract.
"""

import base64
import json
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import websocket
from azure.messaging.webpubsubservice import WebPubSubServiceClient

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
# How long a test waits for something that must arrive, and how long it listens for
# something that must not.
RECV_TIMEOUT = 5.0
SILENCE = 0.5


def _build_and_locate() -> Path:
    explicit = os.environ.get("WPS_BIN")
    if explicit:
        return Path(explicit)
    # cargo honours CARGO_TARGET_DIR itself; metadata tells us where that put the binary.
    subprocess.run(["cargo", "build", "--quiet", "--bin", "wps"], cwd=REPO, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    target = Path(json.loads(meta.stdout)["target_directory"])
    return target / "debug" / "wps"


@pytest.fixture(scope="session")
def wps_bin() -> Path:
    path = _build_and_locate()
    assert path.is_file(), f"wps binary not found at {path}"
    return path


class Emulator:
    def __init__(self, proc: subprocess.Popen, connection_string: str):
        self.proc = proc
        self.connection_string = connection_string
        parts = dict(
            seg.split("=", 1) for seg in connection_string.strip().split(";") if seg
        )
        self.key = parts["AccessKey"]
        self.endpoint = parts["Endpoint"] + (":" + parts["Port"] if parts.get("Port") else "")
        self.port = int(parts["Port"]) if parts.get("Port") else 80


def _read_line(stream, timeout: float) -> str:
    out: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: out.put(stream.readline()), daemon=True).start()
    try:
        return out.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture(scope="session")
def emulator(wps_bin, tmp_path_factory) -> Emulator:
    cfg = tmp_path_factory.mktemp("emu-config")
    proc = subprocess.Popen(
        [str(wps_bin), "emulator", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(cfg),
    )
    line = _read_line(proc.stdout, START_TIMEOUT)
    if not line:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"the emulator printed no connection string within {START_TIMEOUT}s: {err}")
    assert line.startswith("Endpoint=http://127.0.0.1;Port="), line
    assert line.rstrip("\n").endswith(";"), line
    # stderr must be drained or a chatty emulator would block on a full pipe.
    stderr_lines: list = []
    threading.Thread(target=lambda: stderr_lines.extend(proc.stderr), daemon=True).start()
    emu = Emulator(proc, line.strip())
    yield emu
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the emulator did not stop within 15 s of SIGTERM")
    assert rc == 0, f"emulator exit status {rc}; stderr: {''.join(stderr_lines)[-2000:]}"
    # Exactly one line on stdout: the connection string.
    assert proc.stdout.read() == ""


def clean_env(config_dir: Path, **extra) -> dict:
    """A cleared environment: no WPS_*/WebPubSub* leaking in from the developer's shell."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(config_dir),
        "XDG_CONFIG_HOME": str(config_dir),
        "WPS_CONFIG": str(config_dir / "config.toml"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@pytest.fixture
def hub() -> str:
    """A fresh hub per test, so tests never see each other's connections."""
    return "h" + uuid.uuid4().hex[:12]


@pytest.fixture
def service(emulator, hub) -> WebPubSubServiceClient:
    return WebPubSubServiceClient.from_connection_string(emulator.connection_string, hub=hub)


class RawClient:
    """A plain websocket-client connection; `subprotocol=None` is a raw WebSocket client."""

    def __init__(self, url: str, subprotocol: str = None):
        self.subprotocol = subprotocol
        # Frames read while waiting for an ack, kept for the next reader.
        self._pending = []
        self.ws = websocket.create_connection(
            url,
            subprotocols=[subprotocol] if subprotocol else None,
            timeout=RECV_TIMEOUT,
            enable_multithread=True,
        )
        self.connection_id = None
        self.user_id = None
        self.connected = None
        if subprotocol:
            assert self.ws.getsubprotocol() == subprotocol
            first = self.next_json()
            assert first["type"] == "system" and first["event"] == "connected", first
            self.connected = first
            self.connection_id = first["connectionId"]
            self.user_id = first.get("userId")
        self._ack = 0

    def next_frame(self, timeout: float = RECV_TIMEOUT):
        """(opcode, payload) of the next data frame; text payload as str, binary as bytes."""
        if self._pending:
            return self._pending.pop(0)
        return self._read_frame(timeout)

    def _read_frame(self, timeout: float):
        self.ws.settimeout(timeout)
        opcode, data = self.ws.recv_data(control_frame=False)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return opcode, data.decode("utf-8")
        return opcode, data

    def next_json(self, timeout: float = RECV_TIMEOUT) -> dict:
        opcode, data = self.next_frame(timeout)
        assert opcode == websocket.ABNF.OPCODE_TEXT, (opcode, data)
        return json.loads(data)

    def next_message(self, timeout: float = RECV_TIMEOUT) -> dict:
        """Next `type: message` frame, skipping acks/pongs; acks reliable sequence ids."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.next_json(max(0.05, deadline - time.monotonic()))
            if msg.get("type") == "message":
                if "sequenceId" in msg:
                    self.send_json({"type": "sequenceAck", "sequenceId": msg["sequenceId"]})
                return msg

    def assert_silent(self, wait: float = SILENCE):
        assert not self._pending, f"expected nothing, got {self._pending!r}"
        self.ws.settimeout(wait)
        try:
            got = self.ws.recv_data(control_frame=False)
        except websocket.WebSocketTimeoutException:
            return
        raise AssertionError(f"expected nothing, got {got!r}")

    def send_json(self, obj: dict):
        self.ws.send(json.dumps(obj))

    def request(self, obj: dict, timeout: float = RECV_TIMEOUT) -> dict:
        """Send a message with a fresh ackId and return its ack."""
        self._ack += 1
        obj = dict(obj, ackId=self._ack)
        self.send_json(obj)
        deadline = time.monotonic() + timeout
        while True:
            frame = self._read_frame(max(0.05, deadline - time.monotonic()))
            if frame[0] == websocket.ABNF.OPCODE_TEXT:
                msg = json.loads(frame[1])
                if msg.get("type") == "ack" and msg.get("ackId") == self._ack:
                    return msg
            self._pending.append(frame)

    def expect_close(self, timeout: float = RECV_TIMEOUT):
        """Read until the close frame; returns (code, reason, frames seen before it)."""
        self.ws.settimeout(timeout)
        before = []
        while True:
            frame = self.ws.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                data = frame.data or b""
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                return code, data[2:].decode("utf-8", "replace"), before
            if frame.opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                before.append(frame.data)

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


JSON_PROTOCOL = "json.webpubsub.azure.v1"
RELIABLE_PROTOCOL = "json.reliable.webpubsub.azure.v1"


@pytest.fixture
def connect(service):
    """connect(user_id=None, roles=(), groups=(), protocol=JSON_PROTOCOL) -> RawClient."""
    made = []

    def _connect(user_id=None, roles=(), groups=(), protocol=JSON_PROTOCOL, svc=None):
        token = (svc or service).get_client_access_token(
            user_id=user_id, roles=list(roles) or None, groups=list(groups) or None
        )
        client = RawClient(token["url"], protocol)
        made.append(client)
        return client

    yield _connect
    for c in made:
        c.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
