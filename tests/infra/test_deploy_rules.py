"""Deploy rules: what AWS enforces at deploy time or run time that cfn-lint, cdk-nag and the local
stand-in do not, asserted on the synthesized templates of both stages (issue 17).

Each rule names the AWS documentation it comes from in one comment line. A rule that bit us once
(the finding it came from is in parentheses) stays here so it cannot come back.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from typing import Any

import pytest

from tests.infra.conftest import ROOT, Synth, synthesize
from tests.infra.template_model import (
    CACHING_DISABLED,
    api_routes,
    as_list,
    behaviour_for,
    behaviours,
    cache_key_headers,
    compact_json_length,
    estimated,
    forwards,
    service_principals,
    statements,
)
from tests.infra.test_identity_infra import function_by_handler, statements_of

NAME_PROPERTIES = (
    "TableName", "BucketName", "BackupVaultName", "LogGroupName", "QueueName", "TopicName",
    "FunctionName", "RoleName", "EventBusName", "Name", "RegistryName", "AliasName", "ArchiveName",
    "LayerName", "DashboardName", "AlarmName", "SecretName", "PolicyName",
)  # fmt: skip


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """prod with every deploy-time setting given (cdk/config.py)."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod-configured"),
        "prod",
        extra_context={
            "senderAddress": "orders@shop.example",
            "apiGatewayCloudWatchRole": "existing",
            "backupCopyRegion": "eu-west-1",
            "cdnWebAclArn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/0000",
        },
    )


def _resource(synth: Synth, value: Any) -> tuple[str, dict[str, Any]]:
    lid = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
    return lid, synth.template["Resources"][lid]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# ---- alarms (finding 1) ---------------------------------------------------------------------------


def test_every_alarm_action_is_a_topic_that_lets_cloudwatch_publish(stage: Synth) -> None:
    # A topic policy replaces the default one: it must allow cloudwatch.amazonaws.com sns:Publish.
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions.html
    # An encrypted topic needs the key policy to let CloudWatch use the key.
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    alarms = stage.all_resources("AWS::CloudWatch::Alarm")
    assert alarms
    topic_policies = stage.resources("AWS::SNS::TopicPolicy").values()
    for name, alarm in alarms.items():
        actions = alarm["Properties"].get("AlarmActions", [])
        assert actions, f"{name} notifies nobody"
        for action in actions:
            topic_id, topic = _resource(stage, action)
            assert topic["Type"] == "AWS::SNS::Topic", name
            granted = [
                s
                for policy in topic_policies
                if {"Ref": topic_id} in policy["Properties"]["Topics"]
                for s in statements(policy["Properties"]["PolicyDocument"])
                if s["Effect"] == "Allow"
                and "cloudwatch.amazonaws.com" in service_principals(s)
                and {"sns:Publish", "sns:*"} & set(as_list(s["Action"]))
            ]
            assert granted, f"{name}: no statement of {topic_id}'s topic policy lets CloudWatch publish"
            if "KmsMasterKeyId" in topic["Properties"]:
                key_id, key = _resource(stage, topic["Properties"]["KmsMasterKeyId"])
                usable = set()
                for s in statements(key["Properties"]["KeyPolicy"]):
                    if s["Effect"] == "Allow" and "cloudwatch.amazonaws.com" in service_principals(s):
                        usable.update(as_list(s["Action"]))
                assert "kms:Decrypt" in usable, f"{name}: CloudWatch cannot decrypt with {key_id}"
                assert usable & {
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKey*",
                }, f"{name}: CloudWatch cannot use {key_id} to publish to the encrypted topic"


def test_the_topic_policy_denies_plain_http_but_never_cloudwatch_over_tls(stage: Synth) -> None:
    # Deny wins over Allow; CloudWatch publishes over TLS, so only a TLS-conditioned Deny is safe.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    for policy in stage.resources("AWS::SNS::TopicPolicy").values():
        for s in statements(policy["Properties"]["PolicyDocument"]):
            if s["Effect"] == "Deny":
                assert s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# ---- API Gateway (findings 2, 3) --------------------------------------------------------------------


def test_every_method_setting_resolves_to_a_real_method(stage: Synth) -> None:
    # A MethodSetting's ResourcePath escapes every "/" as "~1" after the leading "/" ("/~1a~1b").
    # https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html
    methods = {(r.path, r.method) for r in api_routes(stage)}
    (api_stage,) = stage.resources("AWS::ApiGateway::Stage").values()
    settings = api_stage["Properties"]["MethodSettings"]
    specific = [s for s in settings if (s["ResourcePath"], s["HttpMethod"]) != ("/*", "*")]
    assert specific, "expected per-route settings (the /auth throttles)"
    for setting in specific:
        encoded = setting["ResourcePath"]
        assert encoded.startswith("/"), encoded
        assert "/" not in encoded[1:], f"{encoded}: '/' must be escaped as ~1"
        path = encoded[1:].replace("~1", "/") or "/"
        assert (path, setting["HttpMethod"]) in methods, (
            f"{encoded} {setting['HttpMethod']} matches no method"
        )


def test_access_logging_has_the_accounts_cloudwatch_role(stage: Synth) -> None:
    # Access logs need the account's API Gateway CloudWatch role, or the stage fails to create.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
    (stage_id, api_stage) = next(iter(stage.resources("AWS::ApiGateway::Stage").items()))
    assert "AccessLogSetting" in api_stage["Properties"]
    (account_id, account) = next(iter(stage.resources("AWS::ApiGateway::Account").items()))
    _, role = _resource(stage, account["Properties"]["CloudWatchRoleArn"])
    trust = statements(role["Properties"]["AssumeRolePolicyDocument"])
    assert {p for s in trust for p in service_principals(s)} == {"apigateway.amazonaws.com"}
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in _dumps(role["Properties"]["ManagedPolicyArns"])
    # The setting is account-wide and outlives the stack: the role must outlive it too.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html
    assert role["DeletionPolicy"] == "Retain"
    assert account_id in as_list(api_stage.get("DependsOn", [])) or _depends_on(stage, stage_id, account_id)


def _depends_on(synth: Synth, lid: str, target: str) -> bool:
    """Whether `lid` depends on `target`, directly or through other resources."""
    seen: set[str] = set()
    pending = [lid]
    while pending:
        for dep in as_list(synth.template["Resources"][pending.pop()].get("DependsOn", [])):
            if dep == target:
                return True
            if dep not in seen:
                seen.add(dep)
                pending.append(dep)
    return False


def test_an_account_that_has_the_role_already_gets_no_second_one(configured: Synth) -> None:
    # One AWS::ApiGateway::Account per account and region, or stacks overwrite each other's role.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html
    assert configured.resources("AWS::ApiGateway::Account") == {}


def test_api_functions_finish_within_the_integration_timeout(stage: Synth) -> None:
    # REST API integrations time out after 29 s: a longer function timeout only hides a 504.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    functions = stage.resources("AWS::Lambda::Function")
    aliases = stage.resources("AWS::Lambda::Alias")
    for permission in stage.resources("AWS::Lambda::Permission").values():
        props = permission["Properties"]
        if props["Principal"] != "apigateway.amazonaws.com":
            continue
        name = props["FunctionName"]
        if "Ref" in name:  # the SnapStart alias of the function (prod)
            function_id = aliases[name["Ref"]]["Properties"]["FunctionName"]["Ref"]
        else:
            function_id = name["Fn::GetAtt"][0]
        assert functions[function_id]["Properties"].get("Timeout", 3) <= 29, function_id


# ---- SES (finding 4) ---------------------------------------------------------------------------------


def test_the_sender_identity_is_stage_unique_dkim_signed_and_what_iam_allows(dev: Synth, prod: Synth) -> None:
    # An identity exists once per account and region: two stages must not declare the same one.
    # https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html
    identities = []
    for synth in (dev, prod):
        (identity,) = synth.resources("AWS::SES::EmailIdentity").values()
        name = identity["Properties"]["EmailIdentity"]
        identities.append(name)
        # A domain identity is verified and DKIM-signed by Easy DKIM's three CNAME records.
        # https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html
        assert "@" not in name
        assert {f"SenderDkimRecord{n}" for n in (1, 2, 3)} <= synth.template["Outputs"].keys()
        _assert_sends_only_as(synth, name, f"orders@{name}")
    assert len(set(identities)) == 2, identities


def test_a_sender_address_can_be_given_at_deploy_time(configured: Synth) -> None:
    # An address identity is verified by a link SES mails to it (and signs no DKIM).
    # https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html#verify-email-addresses-procedure
    (identity,) = configured.resources("AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "orders@shop.example"
    assert "SenderDkimRecord1" not in configured.template["Outputs"]
    _assert_sends_only_as(configured, "orders@shop.example", "orders@shop.example")


def _assert_sends_only_as(synth: Synth, identity: str, address: str) -> None:
    # IAM for ses:SendEmail names the identity resource; ses:FromAddress pins the From address.
    # https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
    for handler in (
        "notifications.email_order_update.lambda_handler",
        "notifications.keep_contacts.lambda_handler",
    ):
        _, fn = function_by_handler(synth, handler)
        assert fn["Properties"]["Environment"]["Variables"]["EMAIL_FROM"] == address
        (ses,) = [s for s in statements_of(synth, handler) if "ses:" in _dumps(s["Action"])]
        assert _dumps(ses["Resource"]).endswith(f':identity/{identity}"]]}}'), ses["Resource"]
        assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": address}}


# ---- names, retention, quotas (findings 5, 6) ------------------------------------------------------------


def test_retained_resources_have_no_fixed_name(stage: Synth, configured: Synth) -> None:
    # A retained resource outlives a rolled-back create or a deleted stack; with a fixed name the
    # next deploy fails with "already exists". Retained names must carry the stack's id.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    for synth in (stage, configured):
        for path, template in synth.templates():
            for lid, resource in template["Resources"].items():
                if resource.get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate", "Snapshot"):
                    continue
                for prop in NAME_PROPERTIES:
                    if prop in resource.get("Properties", {}):
                        name = resource["Properties"][prop]
                        assert "AWS::StackId" in _dumps(name), (
                            f"{path.name}: {lid} is retained and named {name}"
                        )


def test_no_function_reserves_concurrency(stage: Synth) -> None:
    # Reserving concurrency fails when it leaves the account less than 100 unreserved, and new
    # accounts start with reduced concurrency quotas; an SQS mapping's MaximumConcurrency bounds it.
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    for lid, function in stage.resources("AWS::Lambda::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], lid


def test_function_environments_fit_in_4_kb(stage: Synth) -> None:
    # The environment variables of a function may total at most 4 KB.
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    for lid, function in stage.resources("AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        size = sum(len(k) + len(estimated(v)) for k, v in variables.items())
        assert size <= 4096, f"{lid}: ~{size} bytes of environment"


def test_iam_policies_fit_in_their_size_quotas(stage: Synth) -> None:
    # Inline policies of a role: 10,240 characters in all; a trust policy: 2,048 (no whitespace).
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    inline: dict[str, int] = {}
    for policy in stage.resources("AWS::IAM::Policy").values():
        size = compact_json_length(policy["Properties"]["PolicyDocument"])
        for role in policy["Properties"]["Roles"]:
            inline[role["Ref"]] = inline.get(role["Ref"], 0) + size
    for role_id, size in inline.items():
        assert size <= 10_240, f"{role_id}: ~{size} characters of inline policy"
    for lid, role in stage.resources("AWS::IAM::Role").items():
        assert compact_json_length(role["Properties"]["AssumeRolePolicyDocument"]) <= 2_048, lid
    # A KMS key policy may be at most 32 KB.
    # https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
    for lid, key in stage.resources("AWS::KMS::Key").items():
        assert compact_json_length(key["Properties"]["KeyPolicy"]) <= 32_768, lid


# ---- CDN and WAF (findings 7, 8, 9) ---------------------------------------------------------------------


def test_every_route_gets_through_the_cdn_with_what_it_needs(stage: Synth) -> None:
    # An origin request policy cannot forward Authorization; it must be in the cache key (the
    # managed AllViewer policies forward it only when caching is disabled).
    # https://repost.aws/knowledge-center/cloudfront-authorization-header
    (distribution,) = stage.resources("AWS::CloudFront::Distribution").values()
    routes = api_routes(stage)
    assert routes
    for route in routes:
        behaviour = behaviour_for(distribution, route.sample_path)
        assert route.method in behaviour.allowed_methods, (route, behaviour.path_pattern)
        for header in route.required_headers():
            assert forwards(stage, behaviour, header), f"{route.method} {route.path}: {header} is dropped"


def test_a_cached_response_is_never_one_callers_authenticated_response(stage: Synth) -> None:
    # What is not in the cache key is shared by everyone who hits the same key.
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html
    (distribution,) = stage.resources("AWS::CloudFront::Distribution").values()
    for behaviour in behaviours(distribution):
        if behaviour.cache_policy == CACHING_DISABLED:
            continue
        routes = [r for r in api_routes(stage) if behaviour_for(distribution, r.sample_path) == behaviour]
        if any(r.authenticated for r in routes):
            assert "authorization" in cache_key_headers(stage, behaviour), behaviour.path_pattern


def test_behind_the_cdn_the_waf_keys_on_an_address_no_caller_can_forge(prod: Synth) -> None:
    # Behind CloudFront a regional web ACL sees CloudFront's addresses; IP rules must use a forwarded
    # header — one that only CloudFront can set, on an origin that only CloudFront can reach.
    # https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-forwarded-ip-address.html
    (acl,) = prod.resources("AWS::WAFv2::WebACL").values()
    rules = sorted(acl["Properties"]["Rules"], key=lambda r: r["Priority"])
    (distribution,) = prod.resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    sent = {h["HeaderName"].lower(): h["HeaderValue"] for h in origin.get("OriginCustomHeaders", [])}
    # 1. the first rule blocks every request without CloudFront's secret header.
    guard = rules[0]
    assert "Block" in guard["Action"]
    match = guard["Statement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    header = match["FieldToMatch"]["SingleHeader"]["Name"].lower()
    assert match["PositionalConstraint"] == "EXACTLY"
    assert sent.get(header) == match["SearchString"]
    # A dynamic reference: the secret itself is never in the template.
    assert "{{resolve:secretsmanager:" in _dumps(match["SearchString"])
    # 2. every IP-keyed rule reads the header a viewer-request function sets on every behaviour.
    functions = prod.resources("AWS::CloudFront::Function")
    for rule in rules:
        rate = rule["Statement"].get("RateBasedStatement")
        if rate is None:
            continue
        assert rate["AggregateKeyType"] == "FORWARDED_IP", rule["Name"]
        forwarded = rate["ForwardedIPConfig"]["HeaderName"].lower()
        setters = [
            f
            for f in functions.values()
            if f"request.headers['{forwarded}'] = {{ value: event.viewer.ip }}"
            in f["Properties"]["FunctionCode"]
        ]
        assert setters, f"nothing sets {forwarded} from the viewer's address"
        for behaviour in behaviours(distribution):
            assert "viewer-request" in behaviour.function_events, behaviour.path_pattern
    # 3. rule groups that only read the source address have nothing to read behind CloudFront.
    # https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-ip-rep.html
    managed = {r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") for r in rules}
    assert not managed & {"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList"}


def test_the_waf_lets_every_body_the_contract_accepts_through(prod: Synth) -> None:
    # The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY); the contract takes 64 KiB.
    # https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
    (acl,) = prod.resources("AWS::WAFv2::WebACL").values()
    for rule in acl["Properties"]["Rules"]:
        group = rule["Statement"].get("ManagedRuleGroupStatement", {})
        if group.get("Name") == "AWSManagedRulesCommonRuleSet":
            overrides = {o["Name"]: o["ActionToUse"] for o in group.get("RuleActionOverrides", [])}
            assert overrides.get("SizeRestrictions_BODY") == {"Count": {}}
    # API Gateway forwards 16 KB of body to WAF by default; 64 KB lets the rules see whole bodies.
    # https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
    limit = acl["Properties"]["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"]
    assert limit == "KB_64"


def test_a_cloudfront_scope_web_acl_can_be_attached(configured: Synth) -> None:
    # A distribution's web ACL has CLOUDFRONT scope and lives in us-east-1: it is passed by ARN.
    # https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
    (distribution,) = configured.resources("AWS::CloudFront::Distribution").values()
    assert distribution["Properties"]["DistributionConfig"]["WebACLId"].startswith("arn:aws:wafv2:us-east-1:")


# ---- payments and queues (findings 10, 11, 12) -----------------------------------------------------------


def test_stripe_refusing_the_key_raises_an_alarm(stage: Synth) -> None:
    # A custom metric alarm fires on the first datapoint when threshold 1 covers one period.
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    alarms = [
        a["Properties"]
        for a in stage.all_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "StripeAuthenticationFailed"
    ]
    assert len(alarms) == 1
    (alarm,) = alarms
    assert alarm["Namespace"] == "Commerce"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "payments"}]
    assert alarm["Threshold"] == 1
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["AlarmActions"]


def _sqs_mappings(synth: Synth) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(mapping, function, queue) for every SQS event source mapping."""
    functions = synth.resources("AWS::Lambda::Function")
    queues = synth.resources("AWS::SQS::Queue")
    found = []
    for mapping in synth.resources("AWS::Lambda::EventSourceMapping").values():
        source = mapping["Properties"]["EventSourceArn"]
        if isinstance(source, dict) and source.get("Fn::GetAtt", [None])[0] in queues:
            found.append(
                (
                    mapping["Properties"],
                    functions[mapping["Properties"]["FunctionName"]["Ref"]],
                    queues[source["Fn::GetAtt"][0]],
                )
            )
    assert found
    return found


def test_queue_visibility_outlasts_six_function_timeouts(stage: Synth) -> None:
    # Set the source queue's visibility timeout to at least six times the function timeout.
    # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    for _, function, queue in _sqs_mappings(stage):
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]


def test_a_whole_batch_fits_in_the_function_timeout_even_at_its_worst(stage: Synth) -> None:
    # A batch is one invocation: if it outlasts the timeout every message in it is retried.
    # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    for mapping, function, _ in _sqs_mappings(stage):
        budget_ms = int(function["Properties"]["Environment"]["Variables"]["RECORD_BUDGET_MS"])
        assert mapping.get("BatchSize", 10) * budget_ms < function["Properties"]["Timeout"] * 1000, function[
            "Properties"
        ]["Handler"]


def test_the_stripe_consumers_budget_covers_a_stripe_call_with_all_its_retries(stage: Synth) -> None:
    # Stripe's SDK retries a failed request max_network_retries times, sleeping 0.5 s doubling.
    # https://docs.stripe.com/error-low-level#idempotency (and stripe-python _http_client.py)
    from payments import stripe_gateway as gateway

    attempts = 1 + gateway.MAX_NETWORK_RETRIES
    sleeps = sum(min(0.5 * 2**n, 5) for n in range(gateway.MAX_NETWORK_RETRIES))
    worst_ms = 1000 * (attempts * (gateway.CONNECT_TIMEOUT_SECONDS + gateway.READ_TIMEOUT_SECONDS) + sleeps)
    for handler in ("payments.charge_order.lambda_handler", "payments.refund_order.lambda_handler"):
        _, fn = function_by_handler(stage, handler)
        budget_ms = int(fn["Properties"]["Environment"]["Variables"]["RECORD_BUDGET_MS"])
        assert budget_ms >= worst_ms + 5_000, (handler, budget_ms, worst_ms)


def test_consumers_may_shorten_a_failed_messages_wait(stage: Synth) -> None:
    # ChangeMessageVisibility on the received message sets when it is delivered again.
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
    for mapping, function, _ in _sqs_mappings(stage):
        handler = function["Properties"]["Handler"]
        queue = mapping["EventSourceArn"]["Fn::GetAtt"][0]
        assert function["Properties"]["Environment"]["Variables"]["QUEUE_URL"] == {"Ref": queue}
        granted = [
            s
            for s in statements_of(stage, handler)
            if "sqs:ChangeMessageVisibility" in as_list(s["Action"])
            and {"Fn::GetAtt": [queue, "Arn"]} in as_list(s["Resource"])
        ]
        assert granted, handler


def test_dead_letter_queues_keep_messages_longer_than_their_sources(stage: Synth) -> None:
    # A message's expiry counts from its first enqueue: a DLQ must retain longer than its source.
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
    queues = stage.resources("AWS::SQS::Queue")
    for lid, queue in queues.items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            dlq = queues[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]
            source_retention = queue["Properties"].get("MessageRetentionPeriod", 4 * 24 * 3600)
            assert dlq["Properties"]["MessageRetentionPeriod"] > source_retention, lid


# ---- layers, keys, parameters (findings 13, 14, 15) ------------------------------------------------------


def test_the_deployed_powertools_is_the_tested_one(stage: Synth) -> None:
    # A layer version's contents never change; its number says nothing about what it contains.
    # https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html
    for lid, function in stage.resources("AWS::Lambda::Function").items():
        for layer in function["Properties"]["Layers"]:
            assert set(layer) == {"Ref"}, f"{lid} uses a layer this stack does not build: {layer}"
    built = ROOT / "layers" / "deps" / "build" / "core" / "python"  # the layer every function gets
    for distribution in ("aws-lambda-powertools", "pydantic", "aws-xray-sdk", "snapshot-restore-py"):
        tested = importlib.metadata.version(distribution)
        normalized = distribution.replace("-", "_")
        assert (built / f"{normalized}-{tested}.dist-info").is_dir(), (
            f"the deps layer does not ship {distribution} {tested}"
        )
        pinned = (ROOT / "layers" / "deps" / "requirements.txt").read_text()
        assert re.search(rf"^{re.escape(distribution)}(\[[a-z]+\])?=={re.escape(tested)}$", pinned, re.M), (
            distribution
        )
    # The runtime provides botocore: a layer copy would shadow it with an untested version.
    for layer in (ROOT / "layers" / "deps" / "build").glob("*/python"):
        assert not list(layer.glob("botocore*")), layer
        assert not list(layer.glob("boto3*")), layer


def test_service_principals_use_the_data_key_only_for_this_stack(stage: Synth) -> None:
    # Scope a service principal in a key policy with aws:SourceArn/SourceAccount or an encryption
    # context, so no other account's resource can make the service use our key (confused deputy).
    # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-services.html
    scoping = (
        "aws:SourceArn",
        "aws:SourceAccount",
        "kms:EncryptionContext:",
        "kms:ViaService",
        "kms:CallerAccount",
    )
    for lid, key in stage.resources("AWS::KMS::Key").items():
        for s in statements(key["Properties"]["KeyPolicy"]):
            principals = service_principals(s)
            if not principals or s["Effect"] != "Allow":
                continue
            assert any(k in _dumps(s.get("Condition", {})) for k in scoping), (lid, s)
            if "events.amazonaws.com" in principals and as_list(s["Action"]) != ["kms:DescribeKey"]:
                # EventBridge: bound to our bus (encryption context) or our rules (source ARN).
                # https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
                condition = _dumps(s["Condition"])
                assert "event-bus:arn" in condition or ":rule/" in condition, s


def test_the_bus_archive_uses_the_bus_key(stage: Synth) -> None:
    # An archive uses an AWS-owned key unless it names a customer managed key.
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html
    (bus,) = stage.resources("AWS::Events::EventBus").values()
    (archive,) = stage.resources("AWS::Events::Archive").values()
    assert archive["Properties"]["KmsKeyIdentifier"] == bus["Properties"]["KmsKeyIdentifier"]


def test_token_functions_get_the_key_set_at_deploy_time(stage: Synth) -> None:
    # GetParameter has a standard throughput of 40 TPS per account and region.
    # https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm
    (parameter_id, parameter) = next(iter(stage.resources("AWS::SSM::Parameter").items()))
    for handler in ("authorizer", "login", "refresh", "jwks"):
        function_id, fn = function_by_handler(stage, f"identity.{handler}.lambda_handler")
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables["SIGNING_KEYS"] == parameter["Properties"]["Value"], handler
        # A deploy that rotates keys updates the parameter before the functions that re-read it.
        assert parameter_id in as_list(stage.template["Resources"][function_id].get("DependsOn", [])), handler


# ---- headroom (finding 17) --------------------------------------------------------------------------------

#: Budgets: 85 % of CloudFormation's 500 resources (75 % until the SnapStart request path added a
#: version and an alias per API function, 42 in all: docs/decisions.md 26) and 75 % of its 200
#: parameters per stack, half of CloudWatch's 500 widgets per dashboard, so the next services fit
#: without a scramble.
RESOURCE_BUDGET = 425
PARAMETER_BUDGET = 150
WIDGET_BUDGET = 250


def test_every_stack_keeps_headroom_under_cloudformations_quotas(stage: Synth) -> None:
    # At most 500 resources and 200 parameters per stack; a template body of at most 1 MB from S3.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
    for path, template in stage.templates():
        assert len(template["Resources"]) <= RESOURCE_BUDGET, (path.name, len(template["Resources"]))
        assert len(template.get("Parameters", {})) <= PARAMETER_BUDGET, path.name
        assert len(template.get("Outputs", {})) <= 150, path.name
        assert path.stat().st_size <= 1_000_000, path.name


def test_every_dashboard_keeps_headroom_under_cloudwatchs_widget_quota(stage: Synth) -> None:
    # A dashboard can hold at most 500 widgets.
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
    dashboards = stage.all_resources("AWS::CloudWatch::Dashboard")
    assert dashboards
    for lid, dashboard in dashboards.items():
        body = json.loads(estimated(dashboard["Properties"]["DashboardBody"]))
        widgets = body["widgets"]
        assert len(widgets) <= WIDGET_BUDGET, (lid, len(widgets))


# ---- backups (findings 5, 18) -----------------------------------------------------------------------------


def test_prod_backups_are_copied_to_another_region(prod: Synth, configured: Synth) -> None:
    # A copy action puts each recovery point into a vault in another region as well.
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
    for synth, region in ((prod, "us-west-2"), (configured, "eu-west-1")):
        (plan,) = synth.resources("AWS::Backup::BackupPlan").values()
        for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]:
            (copy,) = rule["CopyActions"]
            assert f":backup:{region}:" in _dumps(copy["DestinationBackupVaultArn"]), rule["RuleName"]
            assert copy["Lifecycle"]["DeleteAfterDays"] == rule["Lifecycle"]["DeleteAfterDays"]
        # Template rules are checked before anything is created: no copy into the stack's own region.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
        (rule_spec,) = [r for r in synth.template["Rules"].values() if region in _dumps(r)]
        assert "AWS::Region" in _dumps(rule_spec["Assertions"])
        failures = {
            a["Properties"]["MetricName"]
            for a in synth.all_resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"].get("Namespace") == "AWS/Backup"
        }
        assert failures == {"NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"}


def test_the_backup_vault_is_kept_but_never_left_behind_by_a_failed_create(prod: Synth) -> None:
    # RetainExceptOnCreate deletes the resource when the stack's creation rolls back.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    (vault,) = prod.resources("AWS::Backup::BackupVault").values()
    assert vault["DeletionPolicy"] == "RetainExceptOnCreate"
    assert "AWS::StackId" in _dumps(vault["Properties"]["BackupVaultName"])


# ---- the local stand-in ------------------------------------------------------------------------------------


def test_the_local_stack_knows_every_resource_type_the_dev_template_uses(dev: Synth) -> None:
    from local import provision

    handled = {
        name.removeprefix("_create_") for name in dir(provision.Provisioner) if name.startswith("_create_")
    }
    for path, template in dev.templates():
        for lid, resource in template["Resources"].items():
            kind = resource["Type"]
            known = (
                provision._method_name(kind) in handled
                or kind.startswith(provision.SERVED_FROM_THE_TEMPLATE)
                or kind.startswith(provision._SKIPPED_PREFIXES)
            )
            assert known, f"{path.name}: {lid} ({kind}) is neither provisioned nor knowingly skipped locally"
