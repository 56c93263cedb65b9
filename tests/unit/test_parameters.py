"""commerce.parameters: cached per process for max_age, re-read on expiry or when forced, no boto3."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from commerce import aws, parameters


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    fake = Clock()
    monkeypatch.setattr(parameters.time, "monotonic", fake)
    aws.clear()
    parameters.clear()
    with mock_aws():
        yield fake
    aws.clear()
    parameters.clear()


def test_a_parameter_is_read_once_per_max_age_then_again(clock: Clock) -> None:
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/keys", Value=json.dumps({"active": "a"}), Type="String")
    assert parameters.ssm_parameter("/keys", max_age=300, as_json=True) == {"active": "a"}

    ssm.put_parameter(Name="/keys", Value=json.dumps({"active": "b"}), Type="String", Overwrite=True)
    clock.now += 299
    assert parameters.ssm_parameter("/keys", max_age=300, as_json=True) == {"active": "a"}
    assert parameters.ssm_parameter("/keys", max_age=300, as_json=True, force=True) == {"active": "b"}

    ssm.put_parameter(Name="/keys", Value=json.dumps({"active": "c"}), Type="String", Overwrite=True)
    clock.now += 301
    assert parameters.ssm_parameter("/keys", max_age=300, as_json=True) == {"active": "c"}
    # The raw string is cached apart from the parsed value.
    assert parameters.ssm_parameter("/keys", max_age=300) == json.dumps({"active": "c"})


def test_secrets_come_back_as_strings_or_bytes_and_are_cached(clock: Clock) -> None:
    sm = aws.client("secretsmanager")
    text = sm.create_secret(Name="text", SecretString='{"apiKey": "sk_test"}')["ARN"]
    binary = sm.create_secret(Name="binary", SecretBinary=b"\x00key")["ARN"]
    assert parameters.secret(text, max_age=60, as_json=True) == {"apiKey": "sk_test"}
    assert parameters.secret(binary, max_age=60) == b"\x00key"

    sm.put_secret_value(SecretId=text, SecretString='{"apiKey": "sk_new"}')
    assert parameters.secret(text, max_age=60, as_json=True) == {"apiKey": "sk_test"}
    clock.now += 61
    assert parameters.secret(text, max_age=60, as_json=True) == {"apiKey": "sk_new"}


def test_a_failed_read_is_not_cached(clock: Clock) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        parameters.ssm_parameter("/missing", max_age=300)
    aws.client("ssm").put_parameter(Name="/missing", Value="now here", Type="String")
    assert parameters.ssm_parameter("/missing", max_age=300) == "now here"
