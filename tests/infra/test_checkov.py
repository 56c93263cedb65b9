"""checkov (a well-kept IaC scanner, its own venv: requirements-checkov.txt) over both stages'
templates, nested stacks included. Every check skipped here says why; anything else fails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, Synth

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

SKIPPED = {
    "CKV_AWS_115": "Reserved concurrency fails deploys on accounts with less than 100 unreserved "
    "(issue 17, finding 6); consumers are bounded by their SQS mapping's MaximumConcurrency, API "
    "functions by the stage's throttles.",
    "CKV_AWS_116": "No function is invoked asynchronously: queue consumers fail into their queue's "
    "DLQ, stream relays into their on-failure destination (cdk-nag Serverless-LambdaDLQ, same reason).",
    "CKV_AWS_117": "The functions call only AWS APIs and Stripe; a VPC would add NAT gateways and "
    "cold-start time without any private resource to reach.",
    "CKV_AWS_173": "Environment variables carry names and ARNs only, never a secret "
    "(test_no_secret_travels_in_an_environment_variable); Lambda encrypts them at rest.",
    "CKV_AWS_120": "Caching is CloudFront's, on the public catalog reads only (cdk/constructs/cdn.py); "
    "a stage cache would cache authenticated routes too.",
    "CKV_AWS_174": "Without a custom domain CloudFront's default certificate cannot pin a minimum TLS "
    "version; with cdnDomainName/cdnCertificateArn TLSv1.2_2021 is enforced (test_production.py).",
    "CKV_AWS_18": "The flagged bucket is the CDN's access-log bucket; logging it would recurse.",
    "CKV_AWS_59": "The routes without an authorizer are public by the contract (health, auth, JWKS, "
    "catalog reads, the signature-checked Stripe webhook); every other route uses the token authorizer.",
    "CKV_AWS_68": "The web ACL is regional, on the origin that only CloudFront can reach (prod); a "
    "CLOUDFRONT-scope ACL, which lives in us-east-1, is attached with -c cdnWebAclArn=...",
}


def test_every_skipped_check_has_a_reason() -> None:
    assert all(len(reason) > 40 for reason in SKIPPED.values())


def test_checkov_finds_nothing_unexplained(stage: Synth) -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov is not installed: `make test` builds .venv-checkov (requirements-checkov.txt)")
    files: list[Path] = [path for path, _ in stage.templates()]
    result = subprocess.run(
        [
            str(CHECKOV), "--framework", "cloudformation", "--quiet", "--compact", "--output", "json",
            "--skip-check", ",".join(sorted(SKIPPED)), *(arg for f in files for arg in ("-f", str(f))),
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (check["check_id"], check["resource"], Path(check["file_path"]).name)
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert reports, result.stderr[-2000:]
    assert all(r.get("summary", {}).get("parsing_errors", 0) == 0 for r in reports)
    assert failed == []
