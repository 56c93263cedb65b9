"""The one way to run the local stack as a child process (`python -m local serve` on free ports) and
wait until it answers `GET /health`: the e2e tests, the benchmarks and the fuzz run use it."""

from __future__ import annotations

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

    def log_tail(self, chars: int = 4000) -> str:
        log = self.state_dir / "serve.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def outputs(self) -> dict[str, Any]:
        """`.local/outputs.json` of this stack ({StackName: {OutputKey: value}})."""
        outputs: dict[str, Any] = json.loads((self.state_dir / "outputs.json").read_text())
        return outputs

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "health", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


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
    port, aws_port, stripe_port = free_port(), free_port(), free_port()
    command = [
        sys.executable, "-m", "local", "serve",
        "--template", str(template),
        "--port", str(port),
        "--aws-port", str(aws_port),
        "--stripe-port", str(stripe_port),
        "--state-dir", str(state),
        "--listen", listen,
        *extra_args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "AWS_PROFILE")}
    with (state / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    host = connect_address(listen)
    stack = StackProcess(process, f"http://{host}:{port}/", f"http://{host}:{aws_port}", state)
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
