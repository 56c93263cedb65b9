"""Per-stage settings: `dev` is cheap and destroyable, `prod` is retained, alarmed and guarded.

Deploy-time settings are CDK context values (`npx cdk deploy -c stage=prod -c senderDomain=shop.example`);
every one has a default that is unique per stage, so two stages can share an account:

- `senderDomain` (default `<stage>.commerce.example`): the SES domain identity the stack creates
  (Easy DKIM; the stack outputs the CNAME records); mail goes out as `orders@<senderDomain>`.
- `senderAddress` (unset): instead of a domain, one address identity (no DKIM; for trying things
  out in the SES sandbox).
- `apiGatewayCloudWatchRole` (`create`): `create` sets the account's API Gateway CloudWatch role
  (access logging needs it); `existing` when the account has one already (preflight checks it).
- `backupCopyRegion` (prod: `us-west-2`): prod backups are copied to the vault
  `commerce-<stage>-copies` in this region (docs/runbook.md).
- `cdnDomainName`, `cdnCertificateArn` (unset): a custom domain for the CDN (certificate in us-east-1).
- `cdnWebAclArn` (unset): a CLOUDFRONT-scope web ACL (created in us-east-1) for the distribution.
- `stripeChargesPerSecond` (20): the charges a second all the charging functions together may make,
  80 % of Stripe's default 25 requests per second on the PaymentIntents endpoint (also within its
  100 operations a second per live account); raise it with Stripe first (docs/capacity.md).
- `snapStart` (prod: `true`, dev: `false`): the request path (the authorizer and every API route
  function) runs as published versions behind the alias `live` with Lambda SnapStart, primed
  before the snapshot (docs/performance.md); `false` keeps it on `$LATEST`.

Flash-sale sizing (docs/capacity.md): `POST /orders` has its own route throttle (prod 5,000 requests
a second, burst 5,000: the account's default regional limits are 10,000 and 5,000), and the reserve
consumer polls with up to `reserve_concurrency` concurrent batches.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SenderIdentity:
    """The SES identity mail is sent from: a domain (DKIM-signed) or a single address."""

    identity: str  # what SES verifies: "shop.example" or "orders@shop.example"
    address: str  # the From address

    @property
    def is_domain(self) -> bool:
        return "@" not in self.identity


@dataclass(frozen=True)
class StageConfig:
    stage: str
    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy
    deletion_protection: bool
    api_rate_limit: int
    api_burst_limit: int
    auth_rate_limit: int
    auth_burst_limit: int
    version: str
    sender: SenderIdentity
    create_api_gateway_cloudwatch_role: bool
    backup_copy_region: str | None
    firewall: bool
    snap_start: bool
    #: Internal systems that may put events on the bus, each for its own source only (bus policy):
    #: account ids or role ARNs from `-c warehousePrincipals=...` (comma-separated); none by default.
    warehouse_principals: tuple[str, ...] = ()
    #: Browser origins allowed to call the API (CORS): `-c corsOrigins=https://app.example,...`,
    #: `none` for none. Default: none in prod, any (`*`) in dev — bearer tokens are not cookies, so
    #: an origin gains nothing a script holding the token could not do anyway.
    cors_origins: tuple[str, ...] = ()
    orders_rate_limit: int = 100
    orders_burst_limit: int = 200
    reserve_concurrency: int = 5
    stripe_charges_per_second: float = 20.0

    @property
    def stack_name(self) -> str:
        return f"Commerce-{self.stage}"

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"

    @property
    def backup_copy_vault_name(self) -> str:
        return f"commerce-{self.stage}-copies"


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _sender(stage: str, context: Mapping[str, Any]) -> SenderIdentity:
    address = context.get("senderAddress")
    if address:
        if "@" not in str(address):
            raise ValueError(f"senderAddress {address!r} is not an email address")
        return SenderIdentity(identity=str(address), address=str(address))
    domain = str(context.get("senderDomain") or f"{stage}.commerce.example").strip().lower()
    if "@" in domain or not domain:
        raise ValueError(f"senderDomain {domain!r} is not a domain (use senderAddress for an address)")
    return SenderIdentity(identity=domain, address=f"orders@{domain}")


def _cloudwatch_role(context: Mapping[str, Any]) -> bool:
    value = str(context.get("apiGatewayCloudWatchRole") or "create")
    if value not in ("create", "existing"):
        raise ValueError(f"apiGatewayCloudWatchRole must be 'create' or 'existing', not {value!r}")
    return value == "create"


def _principals(value: Any) -> tuple[str, ...]:
    principals = tuple(p.strip() for p in str(value or "").split(",") if p.strip())
    for principal in principals:
        if not (principal.isdigit() and len(principal) == 12) and not principal.startswith("arn:"):
            raise ValueError(f"warehousePrincipals: {principal!r} is neither an account id nor an ARN")
    return principals


def _origins(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    origins = tuple(o.strip().rstrip("/") for o in str(value).split(",") if o.strip())
    if origins in ((), ("none",)):
        return ()
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if origin != "*" and (scheme not in ("http", "https") or not host or "/" in host):
            raise ValueError(f"corsOrigins: {origin!r} is not an origin (scheme://host[:port]) or *")
    if "*" in origins and len(origins) > 1:
        raise ValueError("corsOrigins: * allows every origin; list none beside it")
    return origins


def _flag(context: Mapping[str, Any], name: str, default: bool) -> bool:
    value = context.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return text == "true"


def _positive(context: Mapping[str, Any], name: str, default: float) -> float:
    value = context.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, not {value!r}") from exc
    if number <= 0:
        raise ValueError(f"{name} must be positive")
    return number


def stage_config(stage: str, context: Mapping[str, Any] | None = None) -> StageConfig:
    context = context or {}
    common: dict[str, Any] = {
        "version": _version(),
        "sender": _sender(stage, context),
        "create_api_gateway_cloudwatch_role": _cloudwatch_role(context),
        "warehouse_principals": _principals(context.get("warehousePrincipals")),
        "stripe_charges_per_second": _positive(context, "stripeChargesPerSecond", 20.0),
    }
    if stage == "prod":
        return StageConfig(
            stage="prod",
            log_retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            deletion_protection=True,
            api_rate_limit=500,
            api_burst_limit=1000,
            auth_rate_limit=50,
            auth_burst_limit=100,
            backup_copy_region=str(context.get("backupCopyRegion") or "us-west-2"),
            firewall=True,
            cors_origins=_origins(context.get("corsOrigins"), ()),
            # A flash sale's orders: 5,000 a second on one route (docs/capacity.md).
            orders_rate_limit=5000,
            orders_burst_limit=5000,
            reserve_concurrency=100,
            snap_start=_flag(context, "snapStart", default=True),
            **common,
        )
    if stage == "dev":
        return StageConfig(
            stage="dev",
            log_retention=logs.RetentionDays.TWO_WEEKS,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            deletion_protection=False,
            api_rate_limit=100,
            api_burst_limit=200,
            auth_rate_limit=20,
            auth_burst_limit=40,
            backup_copy_region=None,
            firewall=False,
            cors_origins=_origins(context.get("corsOrigins"), ("*",)),
            snap_start=_flag(context, "snapStart", default=False),
            **common,
        )
    raise ValueError(f"unknown stage {stage!r}: use -c stage=dev or -c stage=prod")
