"""Production hardening, asserted on the synthesized templates (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra.conftest import Synth, synthesize


def _key_id(synth: Synth) -> str:
    (key_id,) = synth.resources("AWS::KMS::Key").keys() - _signing_keys(synth)
    return key_id


def _signing_keys(synth: Synth) -> set[str]:
    return {
        k
        for k, v in synth.resources("AWS::KMS::Key").items()
        if v["Properties"].get("KeyUsage") == "SIGN_VERIFY"
        or v["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        or "contact" in json.dumps(v["Properties"].get("Description", "")).lower()
    }


def _refs(value: Any) -> str:
    return json.dumps(value)


def test_data_key_is_customer_managed_with_rotation(stage: Synth) -> None:
    key = stage.resources("AWS::KMS::Key")[_key_id(stage)]
    assert key["Properties"]["EnableKeyRotation"] is True


def test_every_table_has_pitr_stream_ttl_and_the_customer_key(stage: Synth) -> None:
    tables = stage.resources("AWS::DynamoDB::Table")
    for logical_id, table in tables.items():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical_id
        assert props["SSESpecification"]["SSEEnabled"] is True, logical_id
        assert props["SSESpecification"]["SSEType"] == "KMS", logical_id
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}, logical_id
        assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES", logical_id


def test_prod_tables_are_retained_with_deletion_protection(prod: Synth) -> None:
    for logical_id, table in prod.resources("AWS::DynamoDB::Table").items():
        assert table["DeletionPolicy"] == "Retain", logical_id
        assert table["UpdateReplacePolicy"] == "Retain", logical_id
        assert table["Properties"]["DeletionProtectionEnabled"] is True, logical_id


def test_dev_tables_are_destroyable(dev: Synth) -> None:
    for logical_id, table in dev.resources("AWS::DynamoDB::Table").items():
        assert table.get("DeletionPolicy") == "Delete", logical_id


def test_prod_backs_up_every_table_daily_with_retention(prod: Synth) -> None:
    (plan,) = prod.resources("AWS::Backup::BackupPlan").values()
    rules = {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert rules["Daily"]["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert rules["Daily"]["Lifecycle"]["DeleteAfterDays"] == 35
    (selection,) = prod.resources("AWS::Backup::BackupSelection").values()
    selected = _refs(selection["Properties"]["BackupSelection"]["Resources"])
    tables = prod.resources("AWS::DynamoDB::Table")
    assert tables
    for logical_id in tables:
        assert logical_id in selected


def test_dev_has_no_backup_plan_or_waf(dev: Synth) -> None:
    assert dev.resources("AWS::Backup::BackupPlan") == {}
    assert dev.resources("AWS::WAFv2::WebACL") == {}


def test_every_queue_is_encrypted_with_the_key_and_tls_only(stage: Synth) -> None:
    key = _key_id(stage)
    queues = stage.resources("AWS::SQS::Queue")
    assert queues
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}, logical_id
    policies = stage.resources("AWS::SQS::QueuePolicy").values()
    secured = {
        _refs(policy["Properties"]["Queues"])
        for policy in policies
        if any(
            statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    for logical_id in queues:
        assert any(logical_id in queue_refs for queue_refs in secured), logical_id


def test_dead_letter_queues_keep_messages_14_days_and_alarm_on_the_first(stage: Synth) -> None:
    queues = stage.resources("AWS::SQS::Queue")
    dlq_ids = {
        logical_id
        for logical_id, queue in queues.items()
        if queue["Properties"].get("MessageRetentionPeriod") == 14 * 24 * 3600
    }
    assert dlq_ids
    alarms = stage.all_resources("AWS::CloudWatch::Alarm").values()
    for dlq in dlq_ids:
        alarm = next(
            a["Properties"]
            for a in alarms
            if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and dlq in _refs(a["Properties"].get("Dimensions"))
        )
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"]


def test_consumer_queues_redrive_and_outlast_their_function(stage: Synth) -> None:
    functions = stage.resources("AWS::Lambda::Function")
    queues = stage.resources("AWS::SQS::Queue")
    for mapping in stage.resources("AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        source = _refs(props.get("EventSourceArn"))
        queue_id = next((q for q in queues if q in source), None)
        if queue_id is None:
            continue  # a stream mapping
        function_id = props["FunctionName"]["Ref"]
        timeout = functions[function_id]["Properties"]["Timeout"]
        queue = queues[queue_id]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * timeout, queue_id
        assert "RedrivePolicy" in queue, queue_id
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["ScalingConfig"]["MaximumConcurrency"] >= 2


def test_stream_mappings_bisect_retry_and_fail_to_a_queue(stage: Synth) -> None:
    streams = [
        m["Properties"]
        for m in stage.resources("AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in _refs(m["Properties"].get("EventSourceArn"))
    ]
    for props in streams:
        assert props["BisectBatchOnFunctionError"] is True
        assert 0 < props["MaximumRetryAttempts"] <= 10
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "OnFailure" in props["DestinationConfig"]


def test_bus_is_encrypted_and_archived(stage: Synth) -> None:
    (bus,) = stage.resources("AWS::Events::EventBus").values()
    assert "KmsKeyIdentifier" in bus["Properties"]
    assert stage.resources("AWS::Events::Archive")


def test_log_groups_are_encrypted_with_stage_retention(stage: Synth) -> None:
    expected = 90 if stage.stage == "prod" else 14
    for logical_id, group in stage.resources("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == expected, logical_id
        assert "KmsKeyId" in group["Properties"], logical_id


def test_alarm_topic_is_encrypted_and_every_alarm_notifies_it(stage: Synth) -> None:
    (topic_id, topic) = next(iter(stage.resources("AWS::SNS::Topic").items()))
    assert "KmsMasterKeyId" in topic["Properties"]
    alarms = stage.all_resources("AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}], logical_id


def test_alarms_cover_api_errors_latency_throttles_and_iterator_age(stage: Synth) -> None:
    names = " ".join(
        a["Properties"].get("AlarmName", "") for a in stage.all_resources("AWS::CloudWatch::Alarm").values()
    )
    assert "Api-Fault-Rate" in names
    assert "Api-Latency-P99" in names
    assert "Throttled-Count" in names
    if stage.resources("AWS::DynamoDB::Table"):
        assert "Iterator-Age" in names or "IteratorAge" in names
    assert stage.all_resources("AWS::CloudWatch::Dashboard")


def test_prod_api_has_a_waf_with_managed_rules_and_a_rate_limit(prod: Synth) -> None:
    (acl,) = prod.resources("AWS::WAFv2::WebACL").values()
    rules = acl["Properties"]["Rules"]
    managed = {r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") for r in rules}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
    assert any("RateBasedStatement" in r["Statement"] for r in rules)
    (association,) = prod.resources("AWS::WAFv2::WebACLAssociation").values()
    assert "Stage" in _refs(association["Properties"]["ResourceArn"]) or "restapis" in _refs(
        association["Properties"]["ResourceArn"]
    )


def test_stage_throttles_and_auth_routes_are_stricter(stage: Synth) -> None:
    (api_stage,) = stage.resources("AWS::ApiGateway::Stage").values()
    settings = api_stage["Properties"]["MethodSettings"]
    default = next(s for s in settings if s["ResourcePath"] == "/*")
    assert default["ThrottlingRateLimit"] > 0
    auth = {
        (s["ResourcePath"], s["HttpMethod"]) for s in settings if s["ResourcePath"].startswith("/~1auth~1")
    }
    assert auth == {
        ("/~1auth~1register", "POST"),
        ("/~1auth~1login", "POST"),
        ("/~1auth~1refresh", "POST"),
        ("/~1auth~1logout", "POST"),
    }
    for setting in settings:
        if setting["ResourcePath"].startswith("/~1auth~1"):
            assert setting["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]


def test_cdn_caches_only_public_catalog_reads_over_tls12(stage: Synth) -> None:
    (distribution,) = stage.resources("AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert (
        config["DefaultCacheBehavior"]["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    )  # disabled
    (products,) = config["CacheBehaviors"]
    assert products["PathPattern"] == "/products*"
    assert products["CachedMethods"] == ["GET", "HEAD"]
    (policy,) = stage.resources("AWS::CloudFront::CachePolicy").values()
    params = policy["Properties"]["CachePolicyConfig"]
    assert params["DefaultTTL"] == 0  # the API's Cache-Control decides
    # One caller's authenticated response is never served to another (tests/infra/test_deploy_rules.py),
    # nor, where CORS is on (dev by default), one origin's Access-Control-Allow-Origin to another.
    assert params["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"] == {
        "HeaderBehavior": "whitelist",
        "Headers": ["Authorization", "Origin"] if stage.stage == "dev" else ["Authorization"],
    }
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    origin = config["Origins"][0]["CustomOriginConfig"]
    assert origin["OriginProtocolPolicy"] == "https-only"
    assert origin["OriginSSLProtocols"] == ["TLSv1.2"]


def test_prod_cdn_with_a_custom_domain_requires_tls12(tmp_path: Path) -> None:
    synth = synthesize(
        tmp_path,
        "prod",
        extra_context={
            "cdnDomainName": "api.shop.example",
            "cdnCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0000-0000",
        },
    )
    (distribution,) = synth.resources("AWS::CloudFront::Distribution").values()
    viewer = distribution["Properties"]["DistributionConfig"]["ViewerCertificate"]
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["SslSupportMethod"] == "sni-only"


def test_no_secret_travels_in_an_environment_variable(stage: Synth) -> None:
    """Env vars may name a secret or parameter (an ARN, a name, a reference) but never hold one."""
    suspicious = ("SECRET", "PASSWORD", "TOKEN", "API_KEY", "PRIVATE")
    for logical_id, function in stage.resources("AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        for name, value in variables.items():
            if not any(word in name.upper() for word in suspicious):
                continue
            assert name.upper().endswith(("_ARN", "_NAME", "_PARAMETER", "_ID")), (logical_id, name)
            assert isinstance(value, dict) or str(value).startswith(("arn:", "/")), (logical_id, name, value)


def test_every_rule_target_has_a_delivery_dead_letter_queue(stage: Synth) -> None:
    rules = stage.resources("AWS::Events::Rule")
    assert rules
    queues = stage.resources("AWS::SQS::Queue")
    for logical_id, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            dlq = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
            assert dlq in queues, logical_id
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0, logical_id
