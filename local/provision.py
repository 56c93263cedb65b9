"""Provisions a template's resources in the AWS stand-in (local.moto_server): tables, queues, the bus
and its rules, secrets, keys, parameters, topics. A resource type the local stack does not emulate
is reported by name (a warning, and `Provisioner.unknown`), never silently replaced."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.moto_server import Clients
from local.template import (
    ACCOUNT_ID,
    REGION,
    Physical,
    Resolver,
    Resource,
    Template,
    TemplateError,
    generated_name,
)

log = logging.getLogger("local.provision")

# Resource types the local stack serves from the template itself (local/runtime.py, pollers.py,
# apigw.py, cdn.py) rather than provisioning them in the stand-in: here they only get a name and ARN.
SERVED_FROM_THE_TEMPLATE = (
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Version",  # a SnapStart function's published version and its alias: invoking
    "AWS::Lambda::Alias",  # either runs the function, primed as Lambda primes it (local/runtime.py)
    "AWS::ApiGateway::",
)

# Resource types the local stack has no use for; they resolve to placeholders only.
_SKIPPED_PREFIXES = (
    "AWS::IAM::",
    "AWS::Logs::",
    "AWS::CloudWatch::",
    "AWS::WAFv2::",
    "AWS::CloudFront::",
    "AWS::Backup::",
    "AWS::CDK::",
    "AWS::Lambda::Permission",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::ApiGateway::Account",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::S3::BucketPolicy",
    "AWS::Events::EventBusPolicy",  # the stand-in trusts every caller; tests/infra checks the policy
    "AWS::EventSchemas::",  # the registry documents the contract; nothing runs on it
    "AWS::CloudFormation::Stack",  # the nested stacks hold dashboards, alarms and schemas only
    "Custom::",
)


@dataclass
class RuleLambdaTarget:
    """A rule target that is a Lambda function, delivered locally through a shim queue."""

    rule: str
    queue_url: str
    function_arn: str


class Provisioner:
    def __init__(self, template: Template, clients: Clients | None) -> None:
        self.template = template
        self.clients: Clients = clients  # type: ignore[assignment] # None only for placeholders_only()
        self.physical: dict[str, Physical] = {}
        self.resolver = Resolver(template, self.physical)
        self.rule_lambda_targets: list[RuleLambdaTarget] = []
        self.unknown: list[str] = []  # "<logicalId> (<type>)" of resources nothing here emulates
        # Calls whose only effect is the resource existing; run after start-up (moto's SSM backend
        # takes ~2 s to import, which would otherwise delay the first request).
        self.deferred: list[Callable[[], None]] = []

    # -- entry point --------------------------------------------------------------------------
    def provision_all(self) -> dict[str, Physical]:
        skipped: list[str] = []
        for lid in self.template.dependency_order():
            resource = self.template.resources[lid]
            try:
                if not self.resolver.is_enabled(resource):
                    continue
            except TemplateError as exc:
                log.warning("condition of %s: %s", lid, exc)
            handler = getattr(self, "_create_" + _method_name(resource.type), None)
            try:
                if handler is not None:
                    self.physical[lid] = handler(resource)
                else:
                    if resource.type.startswith(_SKIPPED_PREFIXES):
                        skipped.append(f"{lid} ({resource.type})")
                    elif not resource.type.startswith(SERVED_FROM_THE_TEMPLATE):
                        self.unknown.append(f"{lid} ({resource.type})")
                    self.physical[lid] = self._placeholder(resource)
            except TemplateError as exc:
                log.warning("%s (%s) not provisioned: %s", lid, resource.type, exc)
        if skipped:
            log.debug("skipped (not needed locally): %s", ", ".join(skipped))
        if self.unknown:
            log.warning("not emulated locally (a name and ARN only): %s", ", ".join(self.unknown))
        return self.physical

    def run_deferred(self) -> None:
        while self.deferred:
            step = self.deferred.pop(0)
            try:
                step()
            except Exception:
                log.exception("deferred provisioning step failed")

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, spec in self.template.outputs.items():
            if spec.get("Condition") and not self.resolver.condition(spec["Condition"]):
                continue
            try:
                result[key] = self.resolver.resolve(spec.get("Value"))
            except TemplateError as exc:
                log.warning("output %s: %s", key, exc)
        return result

    def _name(self, resource: Resource, prop: str, max_length: int = 128, lower: bool = False) -> str:
        explicit = resource.properties.get(prop)
        if explicit is not None:
            return str(self.resolver.resolve(explicit))
        return generated_name(self.template.stack_name, resource.logical_id, max_length, lower)

    def _props(self, resource: Resource) -> dict[str, Any]:
        return dict(self.resolver.resolve(resource.properties))

    # -- placeholders (resources that only need a name/ARN to be referred to) -------------------
    def _placeholder(self, resource: Resource) -> Physical:
        kind = resource.type
        short = _short_id(self.template.stack_name, resource.logical_id)
        if kind == "AWS::Lambda::Function":
            name = self._name(resource, "FunctionName", 64)
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
            return Physical(name, {"Arn": arn})
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            function_name = str(self.resolver.resolve(resource.properties.get("FunctionName")))
            function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
            if kind == "AWS::Lambda::Version":
                return Physical(f"{function_arn}:1", {"Version": "1", "FunctionArn": function_arn})
            alias = str(resource.properties.get("Name", "live"))
            return Physical(f"{function_arn}:{alias}", {"AliasArn": f"{function_arn}:{alias}"})
        if kind == "AWS::Lambda::LayerVersion":
            name = self._name(resource, "LayerName", 64)
            return Physical(f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}:1")
        if kind == "AWS::IAM::Role":
            name = self._name(resource, "RoleName", 64)
            return Physical(name, {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "RoleId": short})
        if kind == "AWS::ApiGateway::RestApi":
            return Physical(short, {"RootResourceId": _short_id(short, "root"), "RestApiId": short})
        if kind == "AWS::ApiGateway::Stage":
            return Physical(str(self.resolver.resolve(resource.properties.get("StageName", "prod"))))
        if kind == "AWS::Logs::LogGroup":
            name = self._name(resource, "LogGroupName", 512)
            return Physical(name, {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*"})
        if kind.startswith("AWS::ApiGateway::"):
            return Physical(short, {"ResourceId": short, "AuthorizerId": short}, loose=True)
        name = generated_name(self.template.stack_name, resource.logical_id, 64)
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
        return Physical(name, {"Arn": f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{name}"}, loose=True)

    def placeholders_only(self) -> dict[str, Physical]:
        """Every resource as a placeholder, without an AWS stand-in (for reading a template offline)."""
        for lid in self.template.dependency_order():
            self.physical[lid] = self._placeholder(self.template.resources[lid])
        return self.physical

    # -- DynamoDB --------------------------------------------------------------------------------
    def _create_dynamodb_table(self, resource: Resource) -> Physical:
        props = self._props(resource)
        name = self._name(resource, "TableName", 255)
        ddb = self.clients("dynamodb")
        billing = props.get("BillingMode", "PROVISIONED")
        throughput = props.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if isinstance(throughput, dict):
            throughput = {k: int(v) for k, v in throughput.items()}
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": billing,
        }
        if billing != "PAY_PER_REQUEST":
            kwargs["ProvisionedThroughput"] = throughput
        gsis = []
        for gsi in props.get("GlobalSecondaryIndexes") or []:
            index = {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection") if k in gsi}
            if billing != "PAY_PER_REQUEST":
                index["ProvisionedThroughput"] = gsi.get("ProvisionedThroughput") or throughput
            gsis.append(index)
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        lsis = [
            {k: lsi[k] for k in ("IndexName", "KeySchema", "Projection") if k in lsi}
            for lsi in props.get("LocalSecondaryIndexes") or []
        ]
        if lsis:
            kwargs["LocalSecondaryIndexes"] = lsis
        stream = props.get("StreamSpecification") or {}
        if stream.get("StreamViewType"):
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        description = ddb.create_table(**kwargs)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification") or {}
        if ttl.get("Enabled") in (True, "true"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        if pitr.get("PointInTimeRecoveryEnabled") in (True, "true"):
            # moto restores a table to a point in time as the table is now (docs/runbook.md says so).
            ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        attrs = {"Arn": description["TableArn"], "TableId": description.get("TableId", name)}
        if description.get("LatestStreamArn"):
            attrs["StreamArn"] = description["LatestStreamArn"]
        log.debug("table %s", name)
        return Physical(name, attrs)

    _create_dynamodb_globaltable = _create_dynamodb_table

    # -- SQS ---------------------------------------------------------------------------------------
    def _create_sqs_queue(self, resource: Resource) -> Physical:
        props = self._props(resource)
        fifo = props.get("FifoQueue") in (True, "true")
        if "QueueName" in props:
            name = str(props["QueueName"])
        else:
            name = generated_name(self.template.stack_name, resource.logical_id, 75)
            if fifo:
                name += ".fifo"
        attributes: dict[str, str] = {}
        for key in (
            "DelaySeconds",
            "MaximumMessageSize",
            "MessageRetentionPeriod",
            "ReceiveMessageWaitTimeSeconds",
            "VisibilityTimeout",
            "FifoQueue",
            "ContentBasedDeduplication",
            "DeduplicationScope",
            "FifoThroughputLimit",
        ):
            if key in props:
                attributes[key] = _attr_str(props[key])
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if key in props:
                policy = props[key]
                if isinstance(policy, dict) and "maxReceiveCount" in policy:
                    policy = {**policy, "maxReceiveCount": int(policy["maxReceiveCount"])}
                attributes[key] = policy if isinstance(policy, str) else json.dumps(policy)
        sqs = self.clients("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        return Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    # -- EventBridge -------------------------------------------------------------------------------
    def _create_events_eventbus(self, resource: Resource) -> Physical:
        props = self._props(resource)
        name = str(props["Name"])
        if name != "default":
            self.clients("events").create_event_bus(Name=name)
        arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
        return Physical(name, {"Arn": arn, "Name": name})

    def _create_events_archive(self, resource: Resource) -> Physical:
        """The bus's archive, in moto (which archives matching events and replays them to the
        bus: docs/runbook.md replays locally). Ref is the archive's name, GetAtt Arn its ARN."""
        props = self._props(resource)
        name = self._name(resource, "ArchiveName", 48)
        kwargs: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": str(props["SourceArn"])}
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "RetentionDays" in props:
            kwargs["RetentionDays"] = int(props["RetentionDays"])
        if props.get("Description"):
            kwargs["Description"] = str(props["Description"])
        arn = self.clients("events").create_archive(**kwargs)["ArchiveArn"]
        return Physical(name, {"Arn": arn, "ArchiveName": name})

    def _create_events_rule(self, resource: Resource) -> Physical:
        props = self._props(resource)
        name = self._name(resource, "Name", 64)
        bus = str(props.get("EventBusName", "default"))
        bus_name = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
        events = self.clients("events")
        kwargs: dict[str, Any] = {
            "Name": name,
            "EventBusName": bus_name,
            "State": props.get("State", "ENABLED"),
        }
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if "ScheduleExpression" in props:
            kwargs["ScheduleExpression"] = props["ScheduleExpression"]
            log.info(
                "rule %s: schedule %s is not run locally", resource.logical_id, props["ScheduleExpression"]
            )
        arn = events.put_rule(**kwargs)["RuleArn"]
        targets = []
        for target in props.get("Targets") or []:
            target_arn = str(target["Arn"])
            service = target_arn.split(":")[2] if target_arn.startswith("arn:") else ""
            spec = {
                k: target[k]
                for k in ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")
                if k in target
            }
            if service == "lambda":
                shim = f"local-rule-{_short_id(name, str(target['Id']))}"
                url = self.clients("sqs").create_queue(QueueName=shim)["QueueUrl"]
                self.rule_lambda_targets.append(RuleLambdaTarget(name, url, target_arn))
                spec["Arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{shim}"
            elif service not in ("sqs", "events", "logs"):
                log.info("rule %s: target %s (%s) is not delivered locally", name, target["Id"], service)
                continue
            targets.append(spec)
        if targets:
            events.put_targets(Rule=name, EventBusName=bus_name, Targets=targets)
        return Physical(name, {"Arn": arn})

    # -- Secrets Manager, KMS, SSM, SNS, S3 ------------------------------------------------------
    def _create_secretsmanager_secret(self, resource: Resource) -> Physical:
        props = self._props(resource)
        name = self._name(resource, "Name", 256)
        if "SecretString" in props:
            value = str(props["SecretString"])
        else:
            value = generate_secret_string(props.get("GenerateSecretString") or {})
        kwargs: dict[str, Any] = {"Name": name, "SecretString": value}
        if props.get("Description"):
            kwargs["Description"] = props["Description"]
        arn = self.clients("secretsmanager").create_secret(**kwargs)["ARN"]
        return Physical(arn, {"Id": arn, "Name": name})

    def _create_kms_key(self, resource: Resource) -> Physical:
        props = self._props(resource)
        kwargs: dict[str, Any] = {
            "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        }
        if props.get("Description"):
            kwargs["Description"] = props["Description"]
        meta = self.clients("kms").create_key(**kwargs)["KeyMetadata"]
        return Physical(meta["KeyId"], {"Arn": meta["Arn"], "KeyId": meta["KeyId"]})

    def _create_kms_alias(self, resource: Resource) -> Physical:
        props = self._props(resource)
        target = str(props["TargetKeyId"]).rsplit("/", 1)[-1]
        self.clients("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=target)
        return Physical(str(props["AliasName"]))

    def _create_ssm_parameter(self, resource: Resource) -> Physical:
        props = self._props(resource)
        name = self._name(resource, "Name", 1000)
        kwargs: dict[str, Any] = {
            "Name": name,
            "Value": str(props["Value"]),
            "Type": props.get("Type", "String"),
        }
        if props.get("Description"):
            kwargs["Description"] = props["Description"]
        self.deferred.append(lambda: self.clients("ssm").put_parameter(**kwargs))
        return Physical(name, {"Type": kwargs["Type"], "Value": kwargs["Value"]})

    def _create_ses_emailidentity(self, resource: Resource) -> Physical:
        """A sender identity: moto's SES only sends from verified identities, as SES in sandbox."""
        identity = str(self._props(resource)["EmailIdentity"])
        self.clients("sesv2").create_email_identity(EmailIdentity=identity)
        # The v1 API keeps its own lists of verified addresses and domains; verify there too.
        if "@" in identity:
            self.clients("ses").verify_email_identity(EmailAddress=identity)
            return Physical(identity)
        self.clients("ses").verify_domain_identity(Domain=identity)
        tokens = {}
        for n in (1, 2, 3):  # Easy DKIM's CNAME records (never looked up locally)
            tokens[f"DkimDNSTokenName{n}"] = f"local{n}._domainkey.{identity}"
            tokens[f"DkimDNSTokenValue{n}"] = f"local{n}.dkim.amazonses.com"
        return Physical(identity, tokens)

    def _create_sns_topic(self, resource: Resource) -> Physical:
        props = self._props(resource)
        fifo = props.get("FifoTopic") in (True, "true")
        name = self._name(resource, "TopicName", 250) + (".fifo" if fifo and "TopicName" not in props else "")
        attributes = {"FifoTopic": "true"} if fifo else {}
        sns = self.clients("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for sub in props.get("Subscription") or []:
            self._subscribe(arn, str(sub["Protocol"]), str(sub["Endpoint"]), {})
        return Physical(arn, {"TopicArn": arn, "TopicName": name})

    def _create_sns_subscription(self, resource: Resource) -> Physical:
        props = self._props(resource)
        attributes: dict[str, str] = {}
        for key in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope"):
            if key in props:
                value = props[key]
                attributes[key] = value if isinstance(value, str) else json.dumps(value)
        arn = self._subscribe(
            str(props["TopicArn"]), str(props["Protocol"]), str(props["Endpoint"]), attributes
        )
        return Physical(arn or generated_name(self.template.stack_name, resource.logical_id))

    def _subscribe(self, topic: str, protocol: str, endpoint: str, attributes: dict[str, str]) -> str | None:
        if protocol != "sqs":
            log.info("SNS subscription %s -> %s is not delivered locally", protocol, endpoint)
            return None
        result = self.clients("sns").subscribe(
            TopicArn=topic, Protocol=protocol, Endpoint=endpoint, Attributes=attributes
        )
        return str(result["SubscriptionArn"])

    def _create_s3_bucket(self, resource: Resource) -> Physical:
        name = self._name(resource, "BucketName", 63, lower=True).lower()
        self.clients("s3").create_bucket(Bucket=name)
        return Physical(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
            },
        )


def generate_secret_string(spec: dict[str, Any]) -> str:
    """Secrets Manager's GenerateSecretString, including SecretStringTemplate/GenerateStringKey."""
    length = int(spec.get("PasswordLength", 32))
    exclude = set(str(spec.get("ExcludeCharacters", "")))
    pools = []
    if not _flag(spec, "ExcludeLowercase"):
        pools.append(string.ascii_lowercase)
    if not _flag(spec, "ExcludeUppercase"):
        pools.append(string.ascii_uppercase)
    if not _flag(spec, "ExcludeNumbers"):
        pools.append(string.digits)
    if not _flag(spec, "ExcludePunctuation"):
        pools.append("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    if _flag(spec, "IncludeSpace"):
        pools.append(" ")
    pools = [p for p in ("".join(c for c in pool if c not in exclude) for pool in pools) if p]
    alphabet = "".join(pools)
    chars = [secrets.choice(pool) for pool in pools] if spec.get("RequireEachIncludedType", True) else []
    chars += [secrets.choice(alphabet) for _ in range(max(0, length - len(chars)))]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars[:length])
    template = spec.get("SecretStringTemplate")
    if template and spec.get("GenerateStringKey"):
        body = json.loads(template)
        body[spec["GenerateStringKey"]] = password
        return json.dumps(body)
    return password


def _flag(spec: dict[str, Any], key: str) -> bool:
    return spec.get(key) in (True, "true")


def _attr_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _method_name(resource_type: str) -> str:
    parts = resource_type.split("::")
    return "_".join(p.lower() for p in parts[1:]) if len(parts) == 3 else "-"


def _short_id(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:10]
