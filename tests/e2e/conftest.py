"""End-to-end fixtures: the real local stack (`python -m local serve`) as a subprocess on free ports.

Use the session fixture `local_stack` in any e2e test and drive it as a real client would:

    def test_health(local_stack: LocalStackProcess) -> None:
        status, headers, body = local_stack.request("GET", "/health")
        assert status == 200

    def test_event(local_stack: LocalStackProcess) -> None:
        local_stack.client("events").put_events(Entries=[...])     # boto3 against the AWS stand-in
        queue = local_stack.queue_url("SomeQueueLogicalId")           # physical ids by logical id
        assert wait_for(lambda: ..., timeout=20)                      # poll with a deadline, never sleep

The template is `.local/cdk.out/Commerce-dev.template.json` (synthesized through `make synth-local`
when missing or stale), or `$LOCAL_TEMPLATE` when set. Failed SQS messages are retried at once
(`--sqs-retry-delay 0`) so that redrive to a DLQ takes a moment instead of visibility timeouts.
The stack's own log is `<state dir>/serve.log` (its tail is shown when the stack fails to start),
each function's log `<state dir>/logs/<LogicalId>.log`.

`dev_stack` is another stack, one per test module, started exactly as the README says (`make dev`,
ports and state directory from PORT, AWS_PORT, CDN_PORT, STRIPE_PORT, LOCAL_STATE) and freshly
seeded: what the docs' commands and the events/ samples are run against.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.launch import Ports, StackDidNotStart, StackProcess, start_make_dev, start_stack
from local.net import free_port

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
STACK_NAME = "Commerce-dev"


@dataclass
class LocalStackProcess:
    base_url: str  # the ApiUrl, ending in "/"
    aws_endpoint: str
    outputs: dict[str, Any]
    template: dict[str, Any]
    state_dir: Path
    process: subprocess.Popen[bytes]
    physical_ids: dict[str, Any] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        timeout: float = 35,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to the local API; never raises for HTTP error statuses."""
        body = data if data is not None else (None if json_body is None else json.dumps(json_body).encode())
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        request = urllib.request.Request(
            self.base_url + path.lstrip("/"), data=body, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def json(
        self, method: str, path: str, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        status, _, raw = self.request(method, path, json_body, headers)
        return status, (json.loads(raw) if raw else None)

    def client(self, service: str) -> Any:
        factory: Any = boto3.client  # the stubs' overloads want a literal service name
        return factory(
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def physical(self, logical_id: str) -> str:
        """What `Ref` gives for a resource (table name, queue URL, function name, ...)."""
        return str(self.physical_ids[logical_id]["ref"])

    def attribute(self, logical_id: str, name: str) -> str:
        return str(self.physical_ids[logical_id]["attrs"][name])

    def queue_url(self, logical_id: str) -> str:
        return self.physical(logical_id)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v.get("Type") == resource_type}

    def log_tail(self, lines: int = 60) -> str:
        path = self.state_dir / "serve.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _ensure_template() -> Path:
    if os.environ.get("LOCAL_TEMPLATE"):  # an already synthesized template (skips make)
        return Path(os.environ["LOCAL_TEMPLATE"])
    make = shutil.which("make")
    if make and (ROOT / "Makefile").exists():
        up_to_date = subprocess.run([make, "-q", "synth-local"], cwd=ROOT, capture_output=True, check=False)
        if up_to_date.returncode != 0:
            built = subprocess.run(
                [make, "synth-local"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
            )
            if built.returncode != 0 and not TEMPLATE.exists():
                pytest.fail(f"make synth-local failed:\n{built.stdout[-2000:]}\n{built.stderr[-2000:]}")
    if not TEMPLATE.exists():
        pytest.skip(f"{TEMPLATE} does not exist and cannot be synthesized here")
    return TEMPLATE


def _run_local_stack(state_dir: Path, listen: str = "127.0.0.1") -> Iterator[LocalStackProcess]:
    """The local stack (local/launch) on free ports of `listen`, until the generator is closed."""
    template = _ensure_template()
    try:
        started = start_stack(
            template,
            state_dir=state_dir,
            extra_args=("--cdn-port", str(free_port()), "--sqs-retry-delay", "0"),
            listen=listen,
        )
    except StackDidNotStart as failed:
        pytest.fail(str(failed))
    stack = LocalStackProcess(
        base_url=started.base_url,
        aws_endpoint=started.aws_endpoint,
        outputs=started.outputs()[STACK_NAME],
        template=json.loads(template.read_text()),
        state_dir=state_dir,
        process=started.process,
    )
    stack.physical_ids = json.loads((state_dir / "state.json").read_text())["physical"]
    try:
        yield stack
    finally:
        started.stop()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    yield from _run_local_stack(tmp_path_factory.mktemp("local-stack"))


@pytest.fixture(scope="session")
def sam_local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """A local stack SAM's containers can reach (listening on the Docker bridge's gateway), for the
    `sam local` tests; skipped, saying why, where Docker, the SAM CLI, the image or the template is
    missing (failed instead under `make sam-check`, which provides them all)."""
    from local.sam.run import sam_unavailable

    reason = sam_unavailable()
    if reason and os.environ.get("SAM_CHECK"):  # `make sam-check` asked for these tests: missing is a failure
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    from local.sam.run import docker_gateway

    yield from _run_local_stack(
        tmp_path_factory.mktemp("sam-local-stack"), listen=docker_gateway() or "0.0.0.0"
    )


@dataclass
class DevStack:
    """A `make dev` stack on free ports: what a reader of the docs has running."""

    ports: Ports
    state_dir: Path
    started: StackProcess

    @property
    def base_url(self) -> str:
        return self.started.base_url

    def outputs(self) -> dict[str, Any]:
        return dict(self.started.outputs()[STACK_NAME])

    def log_tail(self) -> str:
        return self.started.log_tail()


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    _ensure_template()
    state_dir = tmp_path_factory.mktemp("make-dev")
    ports = Ports.free()
    try:
        started = start_make_dev(ports, state_dir)
    except StackDidNotStart as failed:
        pytest.fail(f"`make dev` did not start: {failed}")
    try:
        yield DevStack(ports, state_dir, started)
    finally:
        started.stop()
