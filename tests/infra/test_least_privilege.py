"""Least privilege: each function's role grants exactly the actions that function uses.

The allowlist is explicit per function. A new grant fails this test until it is added here, which
makes every widening of a role a reviewed change. Resource scoping is checked too: only X-Ray may
use `*`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synth

EVERY_FUNCTION = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
KMS_DATA = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
KMS_GRANT_FAMILIES = {"kms:GenerateDataKey*", "kms:ReEncrypt*"}
SIGNING_KEYS = {"ssm:DescribeParameters", "ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters"}
SECRET = {"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}
#: A queue consumer: receive/delete/extend its own queue, send invalid messages to its own DLQ and
#: throttled ones back to its own queue (deferred, commerce.consumer).
CONSUMER = {
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    *KMS_DATA,
    *KMS_GRANT_FAMILIES,
}

ALLOWED: dict[str, set[str]] = {
    "system.health": set(),
    "system.swagger": set(),
    "system.outbox_relay": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "events:PutEvents",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        *KMS_GRANT_FAMILIES,
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    },
    "identity.register": {"dynamodb:PutItem", *KMS_DATA},
    "identity.login": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "kms:Sign",
        *KMS_DATA,
        *SIGNING_KEYS,
    },
    "identity.refresh": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "kms:Sign",
        *KMS_DATA,
        *SIGNING_KEYS,
    },
    "identity.logout": {"dynamodb:GetItem", "dynamodb:UpdateItem", *KMS_DATA},
    "identity.jwks": {"kms:GetPublicKey", *SIGNING_KEYS},
    "identity.authorizer": {"dynamodb:GetItem", "kms:Decrypt", "kms:GetPublicKey", *SIGNING_KEYS},
    "users.get_me": {"dynamodb:GetItem", "kms:Decrypt"},
    "users.get_user": {"dynamodb:GetItem", "kms:Decrypt"},
    "users.patch_me": {"dynamodb:UpdateItem", *KMS_DATA},
    "users.delete_me": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        *KMS_DATA,
    },
    "catalog.list_products": {"dynamodb:BatchGetItem", "dynamodb:Query", "kms:Decrypt", *SECRET},
    "catalog.get_product": {"dynamodb:GetItem", "kms:Decrypt"},
    "catalog.create_product": {"dynamodb:PutItem", *KMS_DATA},
    "catalog.update_product": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *KMS_DATA,
    },
    "orders.place_order": {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", *KMS_DATA},
    "orders.get_order": {"dynamodb:GetItem", "kms:Decrypt"},
    "orders.list_orders": {"dynamodb:Query", "kms:Decrypt", *SECRET},
    "orders.cancel_order": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", *KMS_DATA},
    "orders.advance_order": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", *CONSUMER},
    "orders.on_shipment_dispatched": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *CONSUMER,
    },
    "inventory.reserve_stock": {
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *CONSUMER,
    },
    "inventory.release_stock": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", *CONSUMER},
    "inventory.replenish_stock": {
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *CONSUMER,
    },
    "payments.record_order": {"dynamodb:PutItem", *CONSUMER},
    "payments.charge_order": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *SECRET,
        *CONSUMER,
    },
    "payments.refund_order": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *SECRET,
        *CONSUMER,
    },
    "payments.stripe_webhook": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        *KMS_DATA,
        *SECRET,
    },
    # Keeps the contact projection and sends the welcome email for UserRegistered.
    "notifications.keep_contacts": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "ses:SendEmail",
        *CONSUMER,
    },
    "notifications.email_order_update": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "ses:SendEmail",
        *CONSUMER,
    },
}


def _statements(synth: Synth, role_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    role = synth.template["Resources"][role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), f"{role_id} has managed policies"
    for inline in role.get("Policies", []):
        statements.extend(inline["PolicyDocument"]["Statement"])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def functions(synth: Synth) -> dict[str, str]:
    """module path (e.g. orders.place_order) → the function's role logical id."""
    out: dict[str, str] = {}
    for function in synth.resources("AWS::Lambda::Function").values():
        module = function["Properties"]["Handler"].rsplit(".", 1)[0]
        out.setdefault(module, function["Properties"]["Role"]["Fn::GetAtt"][0])
    return out


def test_every_function_is_in_the_allowlist(dev: Synth) -> None:
    assert set(functions(dev)) == set(ALLOWED)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_function_role_grants_only_its_allowlisted_actions(dev: Synth, module: str) -> None:
    roles = {m: r for m, r in functions(dev).items()}
    if module not in roles:
        pytest.fail(f"{module} is in the allowlist but not in the template")
    granted: set[str] = set()
    for statement in _statements(dev, roles[module]):
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        granted |= actions
        resources = _as_list(statement.get("Resource", []))
        if "*" in resources:
            # X-Ray and DynamoDB ListStreams have no resource-level permissions.
            assert actions <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}, (
                module,
                actions,
            )
    assert granted == ALLOWED[module] | EVERY_FUNCTION, json.dumps(
        {
            "unexpected": sorted(granted - ALLOWED[module] - EVERY_FUNCTION),
            "missing": sorted(ALLOWED[module] - granted),
        }
    )
