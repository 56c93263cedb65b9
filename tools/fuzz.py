"""`make fuzz`: schemathesis against docs/openapi.json on a freshly started local stack.

    python -m tools.fuzz [--max-examples 100] [--seed 1] [--phases examples,coverage,fuzzing,stateful]
                         [--mode all]

Starts `python -m local serve` on free loopback ports (local/launch.py), registers a user and
logs in, then runs every operation of the generated OpenAPI document with that bearer token and three
checks: `not_a_server_error` (no 5xx, whatever the input), `response_schema_conformance` (every
documented response matches its schema) and `status_code_conformance` (every status answered is one
the operation documents). `DELETE /users/me` runs last, on its own, so the token's user is not
deleted half-way. `--mode all` generates negative data too (inputs that violate the schema: wrong
types, out-of-range values, missing fields), which must end in a documented 4xx, never a 5xx; the
`stateful` phase chains operations through the document's links. Exit status: schemathesis'
(0 = no failure).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path

from local.client import Client
from local.launch import DEFAULT_TEMPLATE as TEMPLATE
from local.launch import start_stack

ROOT = Path(__file__).resolve().parents[1]

SCHEMA = ROOT / "docs" / "openapi.json"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
LAST = "DELETE /users/me"


def user_token(base_url: str) -> str:
    client = Client(base_url)
    email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
    password = "fuzz-password-123"  # noqa: S105 - a throwaway local user
    status, body = client.call(
        "POST", "/auth/register", {"email": email, "password": password, "name": "Fuzz"}
    )
    if status != 201:
        raise SystemExit(f"POST /auth/register answered {status}: {body}")
    status, tokens = client.call("POST", "/auth/login", {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"POST /auth/login answered {status}: {tokens}")
    return str(tokens["accessToken"])


def schemathesis(
    base_url: str, token: str, args: argparse.Namespace, *, only_last: bool, report: Path
) -> int:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(args.schema),
        "--url",
        base_url.rstrip("/"),
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--phases",
        args.phases,
        "--mode",
        args.mode,
        "--request-timeout",
        "35",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--include-name" if only_last else "--exclude-name",
        LAST,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    print(
        "$",
        " ".join(c if "Bearer" not in c else "Authorization: Bearer <token>" for c in command),
        flush=True,
    )
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def fuzz(args: argparse.Namespace) -> int:
    stack = None if args.url else start_stack(Path(args.template))
    base = args.url or (stack.base_url if stack else "")
    try:
        token = user_token(base)
        reports = Path(args.report_dir)
        reports.mkdir(parents=True, exist_ok=True)
        main_run = schemathesis(base, token, args, only_last=False, report=reports / "fuzz-junit.xml")
        last_run = schemathesis(base, token, args, only_last=True, report=reports / "fuzz-delete-junit.xml")
    finally:
        if stack is not None:
            stack.stop()
    print(f"\nfuzz: all operations but {LAST}: exit {main_run}; {LAST}: exit {last_run}")
    return main_run or last_run


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running local API (default: start one)")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--schema", default=str(SCHEMA))
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--mode", default="all", choices=("positive", "negative", "all"))
    parser.add_argument("--report-dir", default=str(ROOT / ".local" / "fuzz"))
    return fuzz(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
