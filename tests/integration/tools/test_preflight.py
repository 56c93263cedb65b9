"""tools/preflight.py against the AWS stand-in: what a fresh account lacks, and that each fix it
prints is the thing that turns the check green."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tools import preflight


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str]]:
    code = preflight.main(["--region", "us-east-1", *args])
    out = capsys.readouterr().out
    lines = {}
    for line in out.splitlines():
        status, _, what = line.partition(" ")
        if status in ("OK", "MISSING", "UNKNOWN"):
            lines[what.strip()] = status
    lines["__out__"] = out
    return code, lines


def status_of(lines: dict[str, str], fragment: str) -> str:
    (status,) = [s for what, s in lines.items() if fragment in what and what != "__out__"]
    return status


def outputs_file(tmp_path: Path, stage: str, **outputs: Any) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({f"Commerce-{stage}": outputs}))
    return path


def test_a_fresh_account_is_told_to_bootstrap_and_nothing_else_blocks(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run(capsys, "--stage", "dev")
    assert code == 1
    assert status_of(lines, "CDK bootstrap") == "MISSING"
    assert "npx cdk bootstrap aws://123456789012/us-east-1" in lines["__out__"]
    assert status_of(lines, "API Gateway CloudWatch role") == "OK"  # the stack creates it
    assert status_of(lines, "stack Commerce-dev") == "OK"
    assert status_of(lines, "SES identity dev.commerce.example") == "OK"  # the stack creates it

    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=preflight.BOOTSTRAP_PARAMETER, Value="27", Type="String"
    )
    code, lines = run(capsys, "--stage", "dev")
    assert status_of(lines, "CDK bootstrap") == "OK"
    assert [s for w, s in lines.items() if s == "MISSING"] == []
    assert code == 0


def test_an_existing_role_must_exist(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    _, lines = run(capsys, "--stage", "dev", "-c", "apiGatewayCloudWatchRole=existing")
    assert status_of(lines, "API Gateway CloudWatch role") == "MISSING"
    assert "aws apigateway update-account" in lines["__out__"]


def test_a_deployed_stack_with_the_placeholder_stripe_key_cannot_charge(
    aws: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(
        Name="stripe", SecretString=json.dumps({"apiKey": "sk_test_local", "webhookSecret": "generated"})
    )["ARN"]
    path = outputs_file(tmp_path, "dev", StripeSecretArn=arn, SenderIdentity="dev.commerce.example")

    _, lines = run(capsys, "--stage", "dev", "--outputs", str(path))
    assert status_of(lines, "Stripe secret") == "MISSING"
    assert f"aws secretsmanager put-secret-value --secret-id {arn}" in lines["__out__"]
    assert "generated" not in lines["__out__"]  # the secret's value is never printed

    secrets.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"apiKey": "sk_test_abc123", "webhookSecret": "whsec_xyz"})
    )
    _, lines = run(capsys, "--stage", "dev", "--outputs", str(path))
    assert status_of(lines, "Stripe secret") == "OK"
    assert "sk_test_abc123" not in lines["__out__"]


def test_prod_needs_the_copy_vault_in_the_second_region(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = run(capsys, "--stage", "prod")
    assert status_of(lines, "backup copy vault") == "MISSING"
    assert (
        "aws backup create-backup-vault --region us-west-2 --backup-vault-name commerce-prod-copies"
        in lines["__out__"]
    )

    boto3.client("backup", region_name="us-west-2").create_backup_vault(
        BackupVaultName="commerce-prod-copies"
    )
    _, lines = run(capsys, "--stage", "prod")
    assert status_of(lines, "backup copy vault") == "OK"


def test_a_copy_region_equal_to_the_stacks_region_is_refused(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = run(capsys, "--stage", "prod", "-c", "backupCopyRegion=us-east-1")
    assert status_of(lines, "is the stack's region") == "MISSING"
