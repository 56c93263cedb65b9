"""Catalog and orders in the synthesized template: tables, relays, routes, secrets, least privilege."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synth

HANDLERS = {
    "catalog.list_products.lambda_handler": ("GET", "/products", "NONE"),
    "catalog.get_product.lambda_handler": ("GET", "/products/{productId}", "NONE"),
    "catalog.create_product.lambda_handler": ("POST", "/products", "CUSTOM"),
    "catalog.update_product.lambda_handler": ("PATCH", "/products/{productId}", "CUSTOM"),
    "orders.place_order.lambda_handler": ("POST", "/orders", "CUSTOM"),
    "orders.get_order.lambda_handler": ("GET", "/orders/{orderId}", "CUSTOM"),
    "orders.list_orders.lambda_handler": ("GET", "/orders", "CUSTOM"),
    "orders.cancel_order.lambda_handler": ("POST", "/orders/{orderId}/cancel", "CUSTOM"),
}


def function_id(synth: Synth, handler: str) -> str:
    [logical_id] = [
        k
        for k, v in synth.resources("AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == handler
    ]
    return logical_id


def statements_of(synth: Synth, function_logical_id: str) -> list[dict[str, Any]]:
    role = synth.template["Resources"][function_logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def dynamodb_actions(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """table logical id → DynamoDB actions granted on it."""
    granted: dict[str, set[str]] = {}
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(a.startswith("dynamodb:") for a in actions):
            continue
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            text = json.dumps(resource)
            table = text.split('"')[3] if "Fn::GetAtt" in text else text
            granted.setdefault(table, set()).update(actions)
    return granted


def table_id(synth: Synth, prefix: str) -> str:
    [logical_id] = [k for k in synth.resources("AWS::DynamoDB::Table") if k.startswith(prefix)]
    return logical_id


def test_catalog_and_orders_tables_have_gsi1_stream_and_an_outbox_relay(dev: Synth) -> None:
    mappings = dev.resources("AWS::Lambda::EventSourceMapping").values()
    for prefix in ("CatalogProducts", "OrdersTable"):
        logical_id = table_id(dev, prefix)
        table = dev.template["Resources"][logical_id]["Properties"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        relays = [m for m in mappings if logical_id in json.dumps(m["Properties"].get("EventSourceArn"))]
        assert len(relays) == 1, prefix
        relay = relays[0]["Properties"]
        assert relay["BisectBatchOnFunctionError"] is True
        assert relay["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "OnFailure" in relay["DestinationConfig"]


def test_routes_are_wired_with_the_contracts_authorization(dev: Synth) -> None:
    resources = dev.resources("AWS::ApiGateway::Resource")

    def full_path(resource_id: str) -> str:
        parts = []
        while resource_id in resources:
            props = resources[resource_id]["Properties"]
            parts.append(props["PathPart"])
            parent = props["ParentId"]
            resource_id = parent.get("Ref", "") if isinstance(parent, dict) else ""
        return "/" + "/".join(reversed(parts))

    methods = {}
    for method in dev.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if "Ref" not in props["ResourceId"]:
            continue
        uri = json.dumps(props.get("Integration", {}).get("Uri", ""))
        methods[(props["HttpMethod"], full_path(props["ResourceId"]["Ref"]))] = (
            props["AuthorizationType"],
            uri,
        )
    for handler, (verb, path, authorization) in HANDLERS.items():
        auth, uri = methods[(verb, path)]
        assert auth == authorization, (verb, path)
        assert function_id(dev, handler) in uri, (verb, path)


def test_only_place_order_reads_the_catalog_table_and_only_with_batch_get_item(dev: Synth) -> None:
    catalog = table_id(dev, "CatalogProducts")
    for handler in HANDLERS:
        granted = dynamodb_actions(statements_of(dev, function_id(dev, handler)))
        if handler.startswith("orders."):
            expected = {"dynamodb:BatchGetItem"} if handler == "orders.place_order.lambda_handler" else None
            assert granted.get(catalog) == expected, handler


def test_each_function_gets_only_the_dynamodb_actions_it_uses(dev: Synth) -> None:
    expected = {
        # BatchGetItem: the shards of a page's sharded products (their true stock).
        "catalog.list_products.lambda_handler": {"dynamodb:BatchGetItem", "dynamodb:Query"},
        # GetItem also authorizes the TransactGetItems snapshot of a sharded product.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
        "catalog.get_product.lambda_handler": {"dynamodb:GetItem"},
        "catalog.create_product.lambda_handler": {"dynamodb:PutItem"},
        "catalog.update_product.lambda_handler": {
            "dynamodb:DeleteItem",  # the shard items a shrink retires
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "dynamodb:PutItem",
        },
        "orders.place_order.lambda_handler": {
            "dynamodb:BatchGetItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
        },
        "orders.get_order.lambda_handler": {"dynamodb:GetItem"},
        "orders.list_orders.lambda_handler": {"dynamodb:Query"},
        "orders.cancel_order.lambda_handler": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
    }
    for handler, actions in expected.items():
        own = table_id(dev, "CatalogProducts" if handler.startswith("catalog.") else "OrdersTable")
        granted = dynamodb_actions(statements_of(dev, function_id(dev, handler)))
        assert granted[own] == actions, handler
        assert not any("Scan" in a for actions_ in granted.values() for a in actions_), handler


def test_list_functions_read_their_cursor_secret_by_arn_only(dev: Synth) -> None:
    secrets = dev.resources("AWS::SecretsManager::Secret")
    for handler in ("catalog.list_products.lambda_handler", "orders.list_orders.lambda_handler"):
        logical_id = function_id(dev, handler)
        env = dev.template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        secret = env["CURSOR_SECRET_ARN"]["Ref"]
        assert secret in secrets
        assert "GenerateSecretString" in secrets[secret]["Properties"]
        granted = [
            s for s in statements_of(dev, logical_id) if "secretsmanager:GetSecretValue" in json.dumps(s)
        ]
        assert granted, handler
        assert all(s["Resource"] == {"Ref": secret} for s in granted), handler
