"""The one way to run the local stack as a child process (`python -m local serve` on free ports) and
wait until it answers `GET /health`: the e2e tests, the benchmarks and the fuzz run use it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.net import connect_address, free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
START_DEADLINE_S = 90


class StackDidNotStart(RuntimeError):
    pass


@dataclass
class StackProcess:
    process: subprocess.Popen[bytes]
    base_url: str  # the ApiUrl, ending in "/"
    aws_endpoint: str
    state_dir: Path
    group: bool = False  # its own process group (`make dev`): stopped like Ctrl-C stops it

    def log_tail(self, chars: int = 4000) -> str:
        log = self.state_dir / "serve.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def outputs(self) -> dict[str, Any]:
        """`.local/outputs.json` of this stack ({StackName: {OutputKey: value}})."""
        outputs: dict[str, Any] = json.loads((self.state_dir / "outputs.json").read_text())
        return outputs

    def stop(self) -> None:
        if self.group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            if self.group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "health", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass(frozen=True)
class Ports:
    """Where a stack listens (every one a free port unless given)."""

    port: int
    aws_port: int
    stripe_port: int
    cdn_port: int

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port())


def start_stack(
    template: Path = DEFAULT_TEMPLATE,
    *,
    state_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    deadline_s: float = START_DEADLINE_S,
    listen: str = "127.0.0.1",
) -> StackProcess:
    """A local stack serving `template` on free ports of `listen`; `StackDidNotStart` (with its log)
    otherwise."""
    state = state_dir or Path(tempfile.mkdtemp(prefix="commerce-local-"))
    ports = Ports.free()
    command = [
        sys.executable, "-m", "local", "serve",
        "--template", str(template),
        "--port", str(ports.port),
        "--aws-port", str(ports.aws_port),
        "--stripe-port", str(ports.stripe_port),
        "--state-dir", str(state),
        "--listen", listen,
        *extra_args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "AWS_PROFILE")}
    return _started(command, env, ports, state, deadline_s, listen=listen)


def start_make_dev(ports: Ports, state_dir: Path, *, deadline_s: float = START_DEADLINE_S) -> StackProcess:
    """The stack exactly as the README starts it — `make dev` — with its ports and state directory
    given the documented way (PORT, AWS_PORT, STRIPE_PORT, CDN_PORT, LOCAL_STATE); in its own process
    group, so stopping it is Ctrl-C for `make` and the stack together."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE", "MFLAGS"))}
    env.update(
        PORT=str(ports.port),
        AWS_PORT=str(ports.aws_port),
        STRIPE_PORT=str(ports.stripe_port),
        CDN_PORT=str(ports.cdn_port),
        LOCAL_STATE=str(state_dir),
    )
    return _started(["make", "--no-print-directory", "dev"], env, ports, state_dir, deadline_s, group=True)


def _started(
    command: list[str],
    env: dict[str, str],
    ports: Ports,
    state: Path,
    deadline_s: float,
    *,
    group: bool = False,
    listen: str = "127.0.0.1",
) -> StackProcess:
    state.mkdir(parents=True, exist_ok=True)
    with (state / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=group
        )
    host = connect_address(listen)
    stack = StackProcess(
        process, f"http://{host}:{ports.port}/", f"http://{host}:{ports.aws_port}", state, group
    )
    until = time.monotonic() + deadline_s
    while not _healthy(stack.base_url):
        if process.poll() is not None:
            raise StackDidNotStart(f"the local stack exited with {process.returncode}:\n{stack.log_tail()}")
        if time.monotonic() > until:
            stack.stop()
            raise StackDidNotStart(
                f"GET /health did not answer 200 within {deadline_s} s:\n{stack.log_tail()}"
            )
        time.sleep(0.1)
    return stack
