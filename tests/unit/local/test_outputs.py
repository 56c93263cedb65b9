"""Tools find the stack an outputs file describes (local/outputs.py): the local stand-in through
its `AwsEndpoint`, a deployed stack through the region its outputs name. Issue 22, finding 1: the
tools relied on the shell's region, and botocore reads `AWS_DEFAULT_REGION`, not `AWS_REGION`, so
`AWS_REGION=... tools/create_admin.py` failed with NoRegionError."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest

from local import outputs

DEPLOYED = {
    "ApiUrl": "https://abc123.execute-api.eu-west-2.amazonaws.com/prod/",
    "IdentityTableName": "Commerce-prod-IdentityTable",
    "StripeSecretArn": "arn:aws:secretsmanager:eu-west-2:111122223333:secret:Stripe-AbCdEf",
}
LOCAL = {"ApiUrl": "http://127.0.0.1:3000/", "AwsEndpoint": "http://127.0.0.1:4566"}


def test_a_deployed_stack_is_reached_in_the_region_its_outputs_name_whatever_the_shell_says() -> None:
    environ = {"AWS_REGION": "us-east-1"}  # what Lambda and many shells set; botocore ignores it
    assert outputs.target_stack(DEPLOYED, environ) == "eu-west-2"
    assert environ["AWS_DEFAULT_REGION"] == "eu-west-2"
    assert "AWS_ENDPOINT_URL" not in environ


def test_without_a_region_anywhere_the_tool_says_which_variable_to_set() -> None:
    with pytest.raises(SystemExit, match="set AWS_DEFAULT_REGION"):
        outputs.target_stack({"IdentityTableName": "t"}, {})


def test_the_local_stack_is_reached_at_its_stand_in_with_dummy_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = ("AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    for name in (*written, "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "")  # recorded, so the tool's writes are undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_PROFILE", "real-account")  # never used against the stand-in
    assert outputs.target_stack(LOCAL, os.environ) == "the local stack at http://127.0.0.1:4566"
    client = boto3.client("sqs")  # no NoRegionError, no profile lookup
    assert client.meta.region_name == "us-east-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert "AWS_PROFILE" not in os.environ


def test_the_stack_is_picked_from_the_file_when_one_has_the_needed_outputs(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"Commerce-prod": DEPLOYED, "Other": {"ApiUrl": "x"}}))
    assert outputs.read(path, needs=("IdentityTableName",)) == ("Commerce-prod", DEPLOYED)
    with pytest.raises(SystemExit, match="lacks outputs"):
        outputs.read(path, "Other", needs=("IdentityTableName",))
    with pytest.raises(SystemExit, match="does not exist"):
        outputs.read(tmp_path / "missing.json")
