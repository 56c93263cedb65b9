"""What our functions send to X-Ray: segments that name the work, never what a handler returns.

Two API functions run as Lambda runs them with active tracing (a sampled `_X_AMZN_TRACE_ID`), their
X-Ray daemon a UDP socket on loopback that this test reads: GET /health, whose body carries a
sentinel version, and GET /swagger, whose body is a 1.5 MB page.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conftest import load_event

ROOT = Path(__file__).resolve().parents[3]
SENTINEL = f"version-{uuid.uuid4().hex}"
# Source: AWS X-Ray developer guide, "AWS X-Ray segment documents" (a segment document can be up to
# 64 kB); the SDK's UDP emitter sends each in one datagram, which cannot exceed 65,507 bytes either.
SEGMENT_LIMIT = 64 * 1024

# The functions' sample events (events/) through their handlers, with the local stack's Lambda context.
_INVOKE = """
import json, sys, time
from local._worker_main import LambdaContext
from system import health, swagger

events = json.loads(sys.argv[1])
answers = {
    path: module.lambda_handler(events[path], LambdaContext("probe-request", time.time() + 30))
    for path, module in (("/health", health), ("/swagger", swagger))
}
print(json.dumps({path: {"status": a["statusCode"], "bytes": len(a["body"])} for path, a in answers.items()}))
"""


def _datagrams(daemon: socket.socket, *, expected: int, deadline_s: float = 10.0) -> list[bytes]:
    """What reached the daemon: read until `expected` arrived, or the deadline passed."""
    received: list[bytes] = []
    deadline = time.monotonic() + deadline_s
    while len(received) < expected and time.monotonic() < deadline:
        daemon.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            received.append(daemon.recv(256 * 1024))
        except TimeoutError:
            break
    return received


def test_traced_handlers_send_their_work_but_not_what_they_return() -> None:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    port = daemon.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_", "_X_AMZN"))}
    env.update(
        PYTHONPATH=os.pathsep.join(
            map(str, (ROOT / "functions", ROOT / "layers" / "commerce" / "python", ROOT))
        ),
        AWS_LAMBDA_FUNCTION_NAME="probe",
        LAMBDA_TASK_ROOT=str(ROOT / "functions"),
        AWS_REGION="us-east-1",
        AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{port}",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
        _X_AMZN_TRACE_ID=f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1",
        POWERTOOLS_SERVICE_NAME="system",
        POWERTOOLS_METRICS_NAMESPACE="Commerce",
        APP_VERSION=SENTINEL,
    )
    events = {"/health": load_event("system.health.json"), "/swagger": load_event("system.swagger.json")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _INVOKE, json.dumps(events)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        answers = json.loads(done.stdout.strip().splitlines()[-1])
        assert answers["/health"]["status"] == 200
        assert answers["/swagger"]["status"] == 200
        assert answers["/swagger"]["bytes"] > SEGMENT_LIMIT  # the page alone would not fit a segment
        # Each entry point's subsegment and /health's traced method; the SDK streams each as it closes.
        datagrams = _datagrams(daemon, expected=3)
    finally:
        daemon.close()

    documents = [json.loads(d.split(b"\n", 1)[1]) for d in datagrams]  # a header line, then JSON
    names = {document["name"] for document in documents}
    assert names == {"## lambda_handler", "## system.health.health"}, names
    assert len(documents) == 3
    for datagram, document in zip(datagrams, documents, strict=True):
        assert len(datagram) <= SEGMENT_LIMIT, (document["name"], len(datagram))
        assert SENTINEL.encode() not in datagram, document["name"]
        recorded = json.dumps(document.get("metadata", {}))
        assert "response" not in recorded, (document["name"], recorded[:300])
