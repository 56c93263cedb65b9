"""`sam local start-api` serves the synthesized API, authorizer included, against a running local stack.

Runs where Docker, the SAM CLI, the Lambda base image and the SAM-ready template exist (`make sam-check`
gets them all); skipped, saying which is missing, anywhere else. Every function through
`sam local invoke` is tests/e2e/test_sample_events.py's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.net import free_port
from tests.e2e.conftest import ROOT, LocalStackProcess
from tests.e2e.test_saga import admin_token

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

START_DEADLINE_S = 180


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


@pytest.fixture(scope="module")
def sam_api(sam_local_stack: LocalStackProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sam local start-api` on a free port; yields its base URL."""
    from local.sam import run

    work = tmp_path_factory.mktemp("sam-api")
    env_vars = run.write_env_vars(sam_local_stack.state_dir, work / "env.json")
    sam = run.sam_executable()
    assert sam is not None
    port = free_port()
    command = run.sam_command(
        [sam, "local", "start-api", "--port", str(port), "--warm-containers", "LAZY"],
        run.SAM_TEMPLATE,
        env_vars,
    )
    log = (work / "start-api.log").open("wb")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=run.sam_environment(sam_local_stack.state_dir),
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"sam local start-api exited:\n{(work / 'start-api.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"sam local start-api did not listen within {START_DEADLINE_S} s")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)  # SAM stops and removes its warm containers
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_start_api_serves_a_protected_route_through_the_authorizer(
    sam_api: str, sam_local_stack: LocalStackProcess
) -> None:
    token = admin_token(sam_local_stack)

    status, body = _get(sam_api + "users/me", {"Authorization": f"Bearer {token}"})

    # The authorizer (its own container) allowed the token and passed the caller on in its context;
    # the route read the profile from the local stack's table.
    assert status == 200, body
    assert body["email"] == os.environ.get("DEV_ADMIN_EMAIL", "admin@example.com")
    assert "admin" in body["roles"]


def test_start_api_refuses_a_protected_route_without_a_token(sam_api: str) -> None:
    status, body = _get(sam_api + "users/me")

    # A TOKEN authorizer's identity source is missing, so the gateway answers 401 without invoking it.
    assert status == 401, body


def test_start_api_serves_a_public_route(sam_api: str) -> None:
    status, body = _get(sam_api + "health")

    assert status == 200, body
    assert body["status"] == "ok"
