"""Seeds the local stack: the admin (tools/create_admin.py) and the demo data (tools/demo_data.py:
the customers, products and orders of local/demo_data.json, with fixed ids that events/ samples use).

Both run as the tools a developer would run, against the stack's outputs file, before its API
listens. Tolerant (a missing tool or a failure is logged; the stack keeps running) and idempotent.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("local.seed")

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_ADMIN_PASSWORD = "admin-password-123"  # noqa: S105 - documented local-only default
DEMO_DATA = Path(__file__).with_name("demo_data.json")


def admin_credentials() -> tuple[str, str]:
    return (
        os.environ.get("DEV_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL),
        os.environ.get("DEV_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
    )


@dataclass(frozen=True)
class SeedTarget:
    """What seeding needs to know about a running stack (`LocalStack.seed_target()`)."""

    api_url: str
    aws_endpoint: str
    stack_name: str
    outputs_file: Path


def seed(stack: SeedTarget, repo_root: Path) -> None:
    """Create the admin and the demo data. The stack calls it before its API listens, so a client
    that sees /health answer also finds the seeded data."""
    try:
        if create_admin(stack, repo_root):
            seed_demo_data(stack, repo_root)
    except Exception:
        log.exception("seeding failed; the stack keeps running")


def _run_tool(name: str, stack: SeedTarget, repo_root: Path, extra_env: dict[str, str]) -> str | None:
    """stdout of `python tools/<name>.py --outputs <the stack's outputs> --stack <it>`, None on failure."""
    script = repo_root / "tools" / f"{name}.py"
    if not script.exists():
        log.info("seed: %s not found; skipped", script)
        return None
    command = [
        sys.executable, str(script),
        "--outputs", str(stack.outputs_file.resolve()),
        "--stack", stack.stack_name,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command,
            env={**os.environ, **extra_env},
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("seed: %s timed out", name)
        return None
    if done.returncode != 0:
        log.warning("seed: %s failed (%s): %s", name, done.returncode, (done.stderr or done.stdout)[-800:])
        return None
    return done.stdout.strip()


def create_admin(stack: SeedTarget, repo_root: Path) -> bool:
    email, password = admin_credentials()
    done = _run_tool(
        "create_admin", stack, repo_root, {"DEV_ADMIN_EMAIL": email, "DEV_ADMIN_PASSWORD": password}
    )
    if done is not None:
        log.info("seed: admin user %s ready", email)
    return done is not None


def seed_demo_data(stack: SeedTarget, repo_root: Path) -> bool:
    done = _run_tool("demo_data", stack, repo_root, {})
    if done is not None:
        log.info("seed: %s", done)
    return done is not None
