"""cdk-nag acknowledgements. Each one names the finding and says why it is accepted; anything not
listed here fails the synth."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from constructs import IConstruct

RUNTIME_PINNED = (
    "python3.13 is pinned on purpose: our pip-built arm64/cp313 dependency layer (Powertools "
    "included) targets it; moving runtimes is a deliberate, tested change."
)


def acknowledge(scope: IConstruct, findings: Iterable[tuple[str, str]]) -> None:
    """Acknowledge `(finding id, reason)` pairs on `scope` and everything below it."""
    validations = cdk.Validations.of(scope)
    for finding_id, reason in findings:
        validations.acknowledge(cdk.Acknowledgment(id=finding_id, reason=reason))


def acknowledge_stack_findings(stack: cdk.Stack, *, is_prod: bool) -> None:
    findings = [
        ("AwsSolutions::AwsSolutions-L1", RUNTIME_PINNED),
        ("Serverless::Serverless-LambdaLatestVersion", RUNTIME_PINNED),
        (
            "Serverless::Serverless-LambdaDLQ",
            "No function is invoked asynchronously: API functions are synchronous and every queue or "
            "stream consumer has a dead-letter queue on its event source, which is where failures land.",
        ),
    ]
    if not is_prod:
        findings.append(
            (
                "AwsSolutions::AwsSolutions-APIG3",
                "The dev stage is a cheap, destroyable environment; the WAF web ACL is deployed in prod.",
            )
        )
    acknowledge(stack, findings)


KMS_GRANT_FAMILIES = (
    "CDK grants on KMS-encrypted tables, queues and topics use the kms:GenerateDataKey* and "
    "kms:ReEncrypt* action families; the statement is scoped to the stack's one data key ARN."
)


def acknowledge_function_role(role: IConstruct) -> None:
    acknowledge(
        role,
        [
            (
                "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions; every "
                "other statement of the role names its own resources.",
            ),
            ("AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]", KMS_GRANT_FAMILIES),
            ("AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]", KMS_GRANT_FAMILIES),
        ],
    )


def acknowledge_dead_letter_queue(queue: IConstruct) -> None:
    reason = (
        "This queue is itself a dead-letter destination (SQS redrive, stream on-failure or "
        "EventBridge target DLQ); it alarms on its first message and is redriven by hand."
    )
    acknowledge(
        queue,
        [("AwsSolutions::AwsSolutions-SQS3", reason), ("Serverless::Serverless-SQSRedrivePolicy", reason)],
    )


def acknowledge_api(rest_api: IConstruct) -> None:
    acknowledge(
        rest_api,
        [
            (
                "AwsSolutions::AwsSolutions-APIG2",
                "Each function validates its input with pydantic so that every error, including a "
                "validation error, is an RFC 9457 problem+json body with field locations.",
            ),
            (
                "AwsSolutions::AwsSolutions-APIG6",
                "Execution logs go to a log group API Gateway creates itself (no retention, no KMS key) "
                "and would record request details; the stage has JSON access logs in our encrypted "
                "group, metrics and X-Ray tracing instead.",
            ),
            (
                "AwsSolutions::AwsSolutions-COG4",
                "Protected routes use a Lambda token authorizer that verifies our own KMS-signed JWTs; "
                "public routes are public by contract. Cognito is not used.",
            ),
        ],
    )


def acknowledge_public_method(method: IConstruct) -> None:
    acknowledge(
        method,
        [("AwsSolutions::AwsSolutions-APIG4", "Public by the API contract (no caller identity needed).")],
    )
