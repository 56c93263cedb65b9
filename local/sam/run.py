"""`sam local invoke` and `sam local start-api` against the running local stack (`make dev`).

SAM's containers sit on Docker's bridge network, so they reach this machine at the bridge's gateway,
named `host.docker.internal` for them (`--add-host`). The local stack must listen there too:
`make dev LISTEN=<gateway>` (or `LISTEN=0.0.0.0`); its state file says where it listens.

Each function gets, through `--env-vars`, the environment the local stack gives its own workers:
every variable of the template resolved to the stack's physical names, and the endpoint variables
(`AWS_ENDPOINT_URL`, `STRIPE_API_BASE`) pointed at the stack through `host.docker.internal`. The
SAM-ready template declares those (local/sam/template.py): SAM passes only variables a function declares.

SAM itself asks STS for the caller's account (`GetCallerIdentity`, for `AWS::AccountId`) before every
invoke. With the dummy credentials we give it, that call would wait on STS's public endpoint, which
does not answer here; `AWS_ENDPOINT_URL_STS` in SAM's own environment sends it to the stand-in instead.

`sam` exits 0 whether or not the function raised, timed out or ever answered, so `verdict()` judges an
invocation by what it printed instead.

    python -m local.sam.run invoke <function> [-e events/<file>.json]
    python -m local.sam.run api [--port 3002]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local.sam.image import ROOT
from local.sam.template import DEFAULT_OUT as SAM_TEMPLATE
from local.sam.template import SAM_DIR

CONTAINER_HOST = "host.docker.internal"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# What SAM or the emulator print when an invocation never produced a result.
FAILURE_MARKERS = ("Task timed out", "timed out after", "No response from invoke container")
# Dummy credentials for the stand-in; given to SAM so it neither searches for real ones nor passes any.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class SamError(RuntimeError):
    """A precondition of `sam local` is missing (Docker, SAM, the image, the template, the stack)."""


def sam_executable() -> str | None:
    """`make sam-check` installs SAM in its own venv (`.venv-sam`); else whichever `sam` is on PATH."""
    own = ROOT / ".venv-sam" / "bin" / "sam"
    return str(own) if own.exists() else shutil.which("sam")


def docker_gateway() -> str | None:
    """The gateway address of Docker's default bridge network: this machine, as containers see it
    (its IPAM gateway when the engine reports one, else the first address of its subnet, which is
    where Docker puts the bridge)."""
    try:
        done = subprocess.run(
            ["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        configs = json.loads(done.stdout) if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    for config in configs or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
        if config.get("Subnet"):
            return str(next(ipaddress.ip_network(config["Subnet"], strict=False).hosts()))
    return None


def _in_container(url: str) -> str:
    """`url` (a local stack endpoint) as a container reaches it."""
    return re.sub(r"^(https?://)[^/:]+", rf"\g<1>{CONTAINER_HOST}", url)


def _running_state(state_dir: Path) -> dict[str, Any]:
    path = state_dir / "state.json"
    if not path.exists():
        raise SamError(f"no local stack state in {state_dir}: start one with `make dev LISTEN=<address>`")
    state: dict[str, Any] = json.loads(path.read_text())
    if state.get("listen", "127.0.0.1") in LOOPBACK:
        raise SamError(
            "the local stack listens on loopback only, which SAM's containers cannot reach: restart it with "
            f"`make dev LISTEN={docker_gateway() or '<the Docker bridge gateway>'}` (or LISTEN=0.0.0.0)"
        )
    return state


def function_environments(state_dir: Path) -> dict[str, dict[str, str]]:
    """Logical id → the variables a function gets from the running local stack, as containers need them."""
    from local.functions import load_functions
    from local.stack import attach_resolver
    from local.template import Template

    state = _running_state(state_dir)
    template = Template.load(Path(state["template"]))
    attached = attach_resolver(template, state_dir)
    if attached is None:
        raise SamError(f"the local stack of {state_dir / 'state.json'} is not running")
    resolver, _ = attached
    endpoints = {"AWS_ENDPOINT_URL": _in_container(str(state["awsEndpoint"]))}
    if state.get("stripeApiBase"):
        endpoints["STRIPE_API_BASE"] = _in_container(str(state["stripeApiBase"]))
    return {
        logical_id: {**spec.environment, **endpoints}
        for logical_id, spec in load_functions(template, resolver).items()
    }


def write_env_vars(state_dir: Path, out: Path = SAM_DIR / "env.json") -> Path:
    """SAM's `--env-vars` file (function logical id → variables) for the running local stack."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(function_environments(state_dir), indent=1, sort_keys=True) + "\n")
    return out


def _newest_source() -> float:
    sources = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "commerce").rglob("*.py")]
    return max((path.stat().st_mtime for path in sources), default=0.0)


def sam_unavailable(template: Path = SAM_TEMPLATE) -> str | None:
    """Why `sam local` cannot run here (None if it can): what is missing, and the command that adds it."""
    from local.sam.image import host_arch, image_exists, image_tag

    if sam_executable() is None:
        return "the SAM CLI is not installed (`make sam-check` installs it)"
    if shutil.which("docker") is None:
        return "no docker client (SAM runs functions in Docker; make dev and make test do not need it)"
    try:
        engine = subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "the Docker engine does not answer"
    if engine.returncode != 0:
        return "no Docker engine is running"
    tag = image_tag(host_arch())
    if not image_exists(tag):
        return f"the Lambda base image {tag} is not there: run `make sam-image`"
    if not template.exists():
        return f"{os.path.relpath(template, ROOT)} does not exist: run `make sam-template`"
    if template.stat().st_mtime < _newest_source():
        return f"{os.path.relpath(template, ROOT)} is older than the code: run `make sam-template`"
    return None


def _preflight(template: Path) -> str:
    reason = sam_unavailable(template)
    sam = sam_executable()
    if reason or sam is None:
        raise SamError(reason or "the SAM CLI is not installed")
    return sam


def sam_command(args: list[str], template: Path, env_vars: Path) -> list[str]:
    """The `sam local ...` command line every target of ours uses."""
    command = [*args, "-t", str(template), "--env-vars", str(env_vars), "--skip-pull-image"]
    gateway = docker_gateway()
    if gateway:  # Docker Desktop names the host itself; a Linux engine needs telling.
        command += ["--add-host", f"{CONTAINER_HOST}:{gateway}"]
    return command


def sam_environment(state_dir: Path) -> dict[str, str]:
    """The `sam` process's own environment: dummy credentials, no telemetry, and STS at the stand-in
    (SAM calls `GetCallerIdentity` before every invoke; the stand-in answers with its account)."""
    state = _running_state(state_dir)
    return {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL_STS": str(state["awsEndpoint"]),
        "SAM_CLI_TELEMETRY": "0",
    }


def resolve_function(state_dir: Path, query: str) -> str:
    """A logical id from a logical id, handler or a unique part of one (as `make invoke` takes)."""
    from local.functions import find_function, load_functions
    from local.stack import attach_resolver
    from local.template import Template

    state = _running_state(state_dir)
    template = Template.load(Path(state["template"]))
    attached = attach_resolver(template, state_dir)
    if attached is None:
        raise SamError("the local stack is not running")
    try:
        return find_function(load_functions(template, attached[0]), query).logical_id
    except KeyError as exc:
        raise SamError(str(exc.args[0])) from exc


def invoke(
    function: str,
    event: Path | None,
    *,
    env_vars: Path,
    state_dir: Path = ROOT / ".local",
    template: Path = SAM_TEMPLATE,
    timeout_s: float = 600,
) -> subprocess.CompletedProcess[str]:
    """One `sam local invoke` of `function` (logical id) with the variables of `env_vars` (see
    `write_env_vars`) against the stack of `state_dir`; never raises on the function's own failure
    (see `verdict`)."""
    sam = _preflight(template)
    command = sam_command([sam, "local", "invoke", function], template, env_vars)
    if event is not None:
        command += ["-e", str(event)]
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=sam_environment(state_dir),
        check=False,
    )


def payload(stdout: str) -> Any:
    """The function's result as SAM prints it on stdout (the last JSON value), or None."""
    text = stdout.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def verdict(stdout: str, stderr: str) -> str | None:
    """Why an invocation failed, judged by what it printed (`sam` exits 0 either way); None if it did not."""
    for marker in FAILURE_MARKERS:
        if marker in stderr or marker in stdout:
            return f"{marker!r} in the output"
    result = payload(stdout)
    if result is None:
        return "no result on stdout"
    if isinstance(result, dict):
        if "errorType" in result or "errorMessage" in result:
            return f"the function raised: {result.get('errorType')}: {result.get('errorMessage')}"
        status = result.get("statusCode")
        if isinstance(status, int) and status >= 500:
            return f"status {status}: {result.get('body')}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sam.run", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local")
    parser.add_argument("--template", type=Path, default=SAM_TEMPLATE)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("invoke", help="sam local invoke, judged by its payload")
    p.add_argument("function", help="logical id, handler, or a unique part of one")
    p.add_argument("-e", "--event", type=Path)
    p = sub.add_parser("api", help="sam local start-api")
    p.add_argument("--port", type=int, default=int(os.environ.get("SAM_PORT", "3002")))
    args = parser.parse_args(argv)
    try:
        if args.command == "invoke":
            function = resolve_function(args.state_dir, args.function)
            env_vars = write_env_vars(args.state_dir, args.template.parent / "env.json")
            began = time.monotonic()
            done = invoke(
                function, args.event, env_vars=env_vars, state_dir=args.state_dir, template=args.template
            )
            print(f"sam local invoke {function}: {time.monotonic() - began:.1f} s", file=sys.stderr)
            sys.stderr.write(done.stderr)
            sys.stdout.write(done.stdout + "\n")
            failure = verdict(done.stdout, done.stderr)
            if failure:
                print(f"{function} failed: {failure}", file=sys.stderr)
                return 1
            return 0
        sam = _preflight(args.template)
        env_vars = write_env_vars(args.state_dir, args.template.parent / "env.json")
        command = sam_command([sam, "local", "start-api", "--port", str(args.port)], args.template, env_vars)
        # Each function keeps its container between requests (SAM starts one per request otherwise).
        command += ["--warm-containers", "LAZY"]
        return subprocess.run(command, cwd=ROOT, env=sam_environment(args.state_dir), check=False).returncode
    except SamError as exc:
        print(f"sam: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
