"""Seeds the local stack: an admin user (tools/create_admin.py) and demo products (through the API).

Tolerant (missing tools or routes are logged and skipped) and idempotent across restarts.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from local.moto_server import DUMMY_CREDENTIALS

log = logging.getLogger("local.seed")

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_ADMIN_PASSWORD = "admin-password-123"  # noqa: S105 - documented local-only default


def admin_credentials() -> tuple[str, str]:
    return (
        os.environ.get("DEV_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL),
        os.environ.get("DEV_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
    )


#: (method, url, body, token) → (status, parsed body)
Transport = Callable[[str, str, Any, "str | None"], tuple[int, Any]]


@dataclass(frozen=True)
class SeedTarget:
    """What seeding needs to know about a running stack (`LocalStack.seed_target()`)."""

    api_url: str
    aws_endpoint: str
    stack_name: str
    outputs_file: Path


def seed(stack: SeedTarget, repo_root: Path, transport: Transport | None = None) -> None:
    """Create the admin and the demo products. The stack calls it before its API listens, with an
    in-process transport, so a client that sees /health answer also finds the seeded data."""
    try:
        create_admin(stack, repo_root)
        seed_products(stack.api_url, Path(__file__).with_name("seed_products.json"), transport)
    except Exception:
        log.exception("seeding failed; the stack keeps running")


def create_admin(stack: SeedTarget, repo_root: Path) -> bool:
    script = repo_root / "tools" / "create_admin.py"
    if not script.exists():
        log.info("seed: %s not found; no admin user created", script)
        return False
    email, password = admin_credentials()
    env = {
        **os.environ,
        **DUMMY_CREDENTIALS,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": stack.aws_endpoint,
        "DEV_ADMIN_EMAIL": email,
        "DEV_ADMIN_PASSWORD": password,
        "STACK_NAME": stack.stack_name,
        "OUTPUTS_FILE": str(stack.outputs_file.resolve()),
        "COMMERCE_OUTPUTS_FILE": str(stack.outputs_file.resolve()),
    }
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            cwd=repo_root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("seed: create_admin timed out")
        return False
    if done.returncode != 0:
        log.warning(
            "seed: create_admin failed (%s): %s", done.returncode, (done.stderr or done.stdout)[-500:]
        )
        return False
    log.info("seed: admin user %s ready", email)
    return True


def _http_request(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=35) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def seed_products(api_url: str, products_file: Path, request: Transport | None = None) -> int:
    _request = request or _http_request
    if not products_file.exists():
        return 0
    products = json.loads(products_file.read_text())
    email, password = admin_credentials()
    status, login = _request("POST", api_url + "auth/login", {"email": email, "password": password}, None)
    if status != 200 or not isinstance(login, dict) or "accessToken" not in login:
        log.info("seed: cannot log in as %s (HTTP %s); products not seeded", email, status)
        return 0
    token = login["accessToken"]
    existing: set[str] = set()
    cursor = None
    for _ in range(50):
        url = api_url + "products?limit=100" + (f"&cursor={quote(str(cursor))}" if cursor else "")
        status, page = _request("GET", url, None, None)
        if status != 200 or not isinstance(page, dict):
            log.info("seed: GET /products answered %s; products not seeded", status)
            return 0
        existing |= {str(p.get("name")) for p in page.get("items", [])}
        cursor = page.get("nextCursor")
        if not cursor:
            break
    created = 0
    for product in products:
        if product.get("name") in existing:
            continue
        status, body = _request("POST", api_url + "products", product, token)
        if status == 201:
            created += 1
        else:
            log.warning("seed: POST /products %s -> %s %s", product.get("name"), status, body)
    log.info("seed: %d product(s) created, %d already there", created, len(existing))
    return created
