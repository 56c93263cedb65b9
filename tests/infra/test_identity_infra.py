"""The identity context in the synthesized template: keys, parameter, authorizer, tables, grants."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synth


def function_by_handler(synth: Synth, handler: str) -> tuple[str, dict[str, Any]]:
    return next(
        (logical_id, fn)
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"]["Handler"] == handler
    )


def statements_of(synth: Synth, handler: str) -> list[dict[str, Any]]:
    _, fn = function_by_handler(synth, handler)
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(synth: Synth, handler: str) -> set[str]:
    actions: set[str] = set()
    for statement in statements_of(synth, handler):
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def signing_keys(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        k: v
        for k, v in synth.resources("AWS::KMS::Key").items()
        if v["Properties"].get("KeyUsage") == "SIGN_VERIFY"
    }


def test_access_tokens_are_signed_by_a_p256_kms_key(stage: Synth) -> None:
    keys = signing_keys(stage)
    assert len(keys) == 1
    (key,) = keys.values()
    assert key["Properties"]["KeySpec"] == "ECC_NIST_P256"


def test_signing_keys_parameter_names_the_active_and_verifying_keys(stage: Synth) -> None:
    (key_id,) = signing_keys(stage)
    parameters = [
        (logical_id, p)
        for logical_id, p in stage.resources("AWS::SSM::Parameter").items()
        if "signing-keys" in p["Properties"].get("Name", "")
    ]
    assert len(parameters) == 1
    parameter_id, parameter = parameters[0]
    value = json.dumps(parameter["Properties"]["Value"])
    assert '"active' in value
    assert '"verify' in value
    assert value.count(json.dumps({"Ref": key_id})) == 2
    _, authorizer = function_by_handler(stage, "identity.authorizer.lambda_handler")
    # The parameter's name, literally or as a reference to the parameter resource.
    assert authorizer["Properties"]["Environment"]["Variables"]["SIGNING_KEYS_PARAMETER"] in (
        parameter["Properties"]["Name"],
        {"Ref": parameter_id},
    )


def test_token_authorizer_reads_the_authorization_header_and_caches_nothing(dev: Synth) -> None:
    # A cached Allow is reused for its TTL on every route without invoking the authorizer, so a
    # deleted account's token would work until it expires from the cache; 0 disables caching.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html
    (authorizer,) = dev.resources("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 0
    function_id, _ = function_by_handler(dev, "identity.authorizer.lambda_handler")
    assert function_id in json.dumps(props["AuthorizerUri"])


def test_users_routes_use_the_authorizer_and_auth_routes_are_public(dev: Synth) -> None:
    methods = dev.resources("AWS::ApiGateway::Method")
    by_function = {}
    for method in methods.values():
        uri = json.dumps(method["Properties"].get("Integration", {}).get("Uri", ""))
        for logical_id, fn in dev.resources("AWS::Lambda::Function").items():
            if logical_id in uri:
                by_function[fn["Properties"]["Handler"]] = method["Properties"]
    for handler in ("users.get_me", "users.patch_me", "users.delete_me", "users.get_user"):
        assert by_function[f"{handler}.lambda_handler"]["AuthorizationType"] == "CUSTOM", handler
    for handler in (
        "identity.register",
        "identity.login",
        "identity.refresh",
        "identity.logout",
        "identity.jwks",
    ):
        assert by_function[f"{handler}.lambda_handler"]["AuthorizationType"] == "NONE", handler


def test_auth_routes_have_stricter_throttling(dev: Synth) -> None:
    (stage,) = dev.resources("AWS::ApiGateway::Stage").values()
    settings = {
        (s["ResourcePath"], s["HttpMethod"]): s["ThrottlingRateLimit"]
        for s in stage["Properties"]["MethodSettings"]
    }
    default = settings[("/*", "*")]
    for route in ("login", "register", "refresh", "logout"):
        (rate,) = [
            rate
            for (path, method), rate in settings.items()
            if path.endswith(f"auth~1{route}") and method == "POST"
        ]
        assert rate < default


def test_identity_and_users_tables_have_pitr_streams_and_ttl(stage: Synth) -> None:
    outputs = stage.template["Outputs"]
    for output in ("IdentityTableName", "UsersTableName"):
        table = stage.template["Resources"][outputs[output]["Value"]["Ref"]]["Properties"]
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert "ContactKeyId" in outputs


def test_identity_table_stream_feeds_an_outbox_relay(dev: Synth) -> None:
    table_id = dev.template["Outputs"]["IdentityTableName"]["Value"]["Ref"]
    mappings = [
        m
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if table_id in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    assert len(mappings) == 1


def test_login_may_sign_only_with_the_signing_key_and_never_delete(dev: Synth) -> None:
    (key_id,) = signing_keys(dev)
    sign_statements = [
        s
        for s in statements_of(dev, "identity.login.lambda_handler")
        if "kms:Sign" in json.dumps(s["Action"])
    ]

    assert len(sign_statements) == 1
    assert sign_statements[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert sign_statements[0]["Action"] == "kms:Sign"
    assert "dynamodb:DeleteItem" not in actions_of(dev, "identity.login.lambda_handler")
    assert "dynamodb:Scan" not in actions_of(dev, "identity.login.lambda_handler")


def test_only_login_and_refresh_can_sign_tokens(dev: Synth) -> None:
    signers = {
        fn["Properties"]["Handler"]
        for fn in dev.resources("AWS::Lambda::Function").values()
        if "kms:Sign" in actions_of(dev, fn["Properties"]["Handler"])
    }
    assert signers == {"identity.login.lambda_handler", "identity.refresh.lambda_handler"}


def test_authorizer_reads_public_keys_and_only_the_revocation_state_of_credentials(dev: Synth) -> None:
    actions = actions_of(dev, "identity.authorizer.lambda_handler")
    assert "kms:GetPublicKey" in actions
    assert "kms:Sign" not in actions
    [table_grant] = [
        s
        for s in statements_of(dev, "identity.authorizer.lambda_handler")
        if "dynamodb:GetItem" in s["Action"]
    ]
    assert table_grant["Action"] == "dynamodb:GetItem"
    # Fine-grained access: USER#... items only, and of them only the projected revocation attributes
    # (never the password hash). dynamodb:Attributes lists the ProjectionExpression's names and must
    # name the table's key attributes too, and dynamodb:Select must then be SPECIFIC_ATTRIBUTES.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
    assert table_grant["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]},
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "tokensValidAfter", "status"]},
        "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
    }
    _, fn = function_by_handler(dev, "identity.authorizer.lambda_handler")
    assert "IDENTITY_TABLE_NAME" in fn["Properties"]["Environment"]["Variables"]


def test_only_register_can_encrypt_contact_data(dev: Synth) -> None:
    contact_key = dev.template["Outputs"]["ContactKeyId"]["Value"]["Ref"]
    encrypters = {
        fn["Properties"]["Handler"]
        for fn in dev.resources("AWS::Lambda::Function").values()
        for s in statements_of(dev, fn["Properties"]["Handler"])
        if contact_key in json.dumps(s["Resource"]) and "kms:Encrypt" in json.dumps(s["Action"])
    }
    assert encrypters == {"identity.register.lambda_handler"}


def test_profile_readers_cannot_write(dev: Synth) -> None:
    for handler in ("users.get_me.lambda_handler", "users.get_user.lambda_handler"):
        dynamodb = {a for a in actions_of(dev, handler) if a.startswith("dynamodb:")}
        assert dynamodb == {"dynamodb:GetItem"}, handler
