"""What checking account revocation costs the API's hot path, and the designs it was weighed against.

    python -m benchmarks.revocation [--rounds 7] [--calls 200] [--requests-per-token 10]

In-process moto (identity table, a KMS ES256 signing key): `identity.authorizer.lambda_handler` on
one warm token, interleaved rounds of `--calls` invocations each, three ways:

- `verify only`: the authorizer with the revocation check answered from memory (what it did before);
- `verify + check`: as deployed — the check is one strongly consistent, projected GetItem;
- `GetItem alone`: that read by itself.

Medians per call with the spread over rounds (p10-p90), ratios from the same run. moto answers in
process, so the GetItem here costs Python work, not a network round trip: in AWS a consistent
GetItem in-region is single-digit milliseconds, and the authorizer invocation itself adds API
Gateway's Lambda call on every request once the result cache is off (`AUTHORIZER_CACHE_TTL = 0`).

Then each design, per 1 million protected requests, with `--requests-per-token` requests per token
within 5 minutes (how often a cached result would have been reused): authorizer invocations,
DynamoDB reads, Lambda and DynamoDB dollars (us-east-1 on-demand, the prices benchmarks.run uses;
the authorizer's MemorySize is 512 MB), and how late a deleted account's token stops working.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PRICES = {"lambda_gb_s": 0.0000133334, "lambda_request": 0.20 / 1e6, "dynamodb_rru": 0.25 / 1e6}
AUTHORIZER_MEMORY_GB = 0.5
TABLE = "identity-bench"
USER = "bench-user"


class _Context:
    function_name = "authorizer"
    memory_limit_in_mb = "512"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30000


class _Remembered:
    """The identity store with the revocation read answered from memory (the 'before' shape)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.state = store.access_state(USER)

    def access_state(self, user_id: str) -> Any:
        return self.state

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def _setup() -> tuple[str, Any]:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "identity",
            "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "IDENTITY_TABLE_NAME": TABLE,
            "JWT_ISSUER": "https://commerce.example/bench",
            "JWT_AUDIENCE": "commerce-api",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from commerce.aws import client

    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(
        TableName=TABLE,
        Item={"pk": {"S": f"USER#{USER}"}, "sk": {"S": "CREDENTIAL"}, "userId": {"S": USER}},
    )
    key = client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    os.environ["SIGNING_KEYS"] = json.dumps({"active": key, "verify": [key]})
    os.environ["SIGNING_KEYS_PARAMETER"] = "/bench/signing-keys"
    client("ssm").put_parameter(Name="/bench/signing-keys", Value=os.environ["SIGNING_KEYS"], Type="String")
    from identity import keys, tokens

    now = int(time.time())
    settings = tokens.TokenSettings(issuer=os.environ["JWT_ISSUER"], audience=os.environ["JWT_AUDIENCE"])
    claims = tokens.access_claims(USER, ["user"], settings, now)
    token = tokens.encode(claims, keys.kid_of(key), lambda message: keys.kms_sign(key, message))
    return token, dynamodb


def _time_calls(call: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) * 1000 / calls


def measure(rounds: int, calls: int) -> dict[str, Any]:
    from moto import mock_aws

    with mock_aws():
        token, dynamodb = _setup()
        from identity import authorizer
        from identity.service import Accounts
        from identity.store import DynamoIdentityStore
        from identity.wiring import access

        event = {
            "type": "TOKEN",
            "authorizationToken": f"Bearer {token}",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/bench/GET/users/me",
        }
        context = _Context()
        remembered = Accounts(store=_Remembered(DynamoIdentityStore.from_env()))
        key = {"pk": {"S": f"USER#{USER}"}, "sk": {"S": "CREDENTIAL"}}

        def deployed() -> None:
            authorizer.lambda_handler(event, context)

        def verify_only() -> None:
            with access.override(remembered):
                authorizer.lambda_handler(event, context)

        def get_item() -> None:
            dynamodb.get_item(
                TableName=TABLE,
                Key=key,
                ConsistentRead=True,
                ProjectionExpression="pk, tokensValidAfter, #status",
                ExpressionAttributeNames={"#status": "status"},
            )

        variants = {"verify only": verify_only, "verify + check": deployed, "GetItem alone": get_item}
        for call in variants.values():  # warm: keys cached, clients built
            _time_calls(call, 20)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for index in range(rounds):
            order = list(variants.items())
            order = order[index % len(order) :] + order[: index % len(order)]  # interleaved
            for name, call in order:
                samples[name].append(_time_calls(call, calls))
    rows: list[dict[str, Any]] = []
    for name, values in samples.items():
        ordered = sorted(values)
        rows.append(
            {
                "variant": name,
                "median_ms": round(statistics.median(values), 3),
                "p10_ms": round(ordered[max(0, len(ordered) // 10)], 3),
                "p90_ms": round(ordered[min(len(ordered) - 1, (len(ordered) * 9) // 10)], 3),
            }
        )
    by_name = {row["variant"]: row["median_ms"] for row in rows}
    return {
        "rounds": rounds,
        "calls_per_round": calls,
        "rows": rows,
        "check_over_verify": round(by_name["verify + check"] / by_name["verify only"], 2),
    }


def designs(measured: dict[str, Any], requests_per_token: int) -> list[dict[str, Any]]:
    """Per 1 million protected requests."""
    by_name = {row["variant"]: row["median_ms"] for row in measured["rows"]}
    verify_ms, check_ms = by_name["verify only"], by_name["verify + check"]

    def lambda_usd(invocations: float, ms: float) -> float:
        gb_s = invocations * max(1.0, ms) / 1000 * AUTHORIZER_MEMORY_GB
        return invocations * PRICES["lambda_request"] + gb_s * PRICES["lambda_gb_s"]

    million = 1e6
    miss = million / requests_per_token
    options = [
        ("cache 300 s, no check (before)", miss, verify_ms, 0, "up to 300 s (cached Allow)"),
        ("cache off, authorizer GetItem (chosen)", million, check_ms, million, "next request"),
        (
            "cache 300 s + check on miss + flush on delete",
            miss,
            check_ms,
            miss,
            "after the flush; stage-wide",
        ),
        ("cache 300 s + every handler GetItem", miss, verify_ms, million, "next request"),
    ]
    rows = []
    for name, invocations, ms, reads, late in options:
        usd = lambda_usd(invocations, ms) + reads * PRICES["dynamodb_rru"]
        rows.append(
            {
                "design": name,
                "authorizer_invocations": int(invocations),
                "dynamodb_reads": int(reads),
                "authorizer_ms": ms,
                "usd_per_million_requests": round(usd, 3),
                "deleted_token_stops": late,
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--requests-per-token", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / ".local" / "bench-revocation.json"))
    args = parser.parse_args()
    measured = measure(args.rounds, args.calls)
    report = {**measured, "designs": designs(measured, args.requests_per_token)}
    print(f"\nAuthorizer per call (moto in process, {args.rounds} interleaved rounds x {args.calls} calls)")
    print(f"{'variant':<16} {'median ms':>10} {'p10':>8} {'p90':>8}")
    for row in measured["rows"]:
        print(f"{row['variant']:<16} {row['median_ms']:>10} {row['p10_ms']:>8} {row['p90_ms']:>8}")
    print(f"check / verify only: {measured['check_over_verify']}x")
    print(f"\nPer 1 million protected requests ({args.requests_per_token} requests per token per 5 min)")
    print(f"{'design':<46} {'invocations':>12} {'reads':>9} {'$':>8}  deleted token stops")
    for row in report["designs"]:
        print(
            f"{row['design']:<46} {row['authorizer_invocations']:>12} {row['dynamodb_reads']:>9} "
            f"{row['usd_per_million_requests']:>8}  {row['deleted_token_stops']}"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
