"""Read-only checks of an AWS account and region before (and after) a first `cdk deploy`.

    python -m tools.preflight --stage prod [--outputs outputs.json] [--endpoint-url URL]
    make preflight STAGE=prod [OUTPUTS=outputs.json]

It only reads (Describe*/Get*/List* calls, and the Stripe secret's value, which it never prints) and
says, for each prerequisite, OK, MISSING (with the command that fixes it) or UNKNOWN (it could not
tell, and why). With `--outputs` (the `cdk deploy --outputs-file` file) it also checks the deployed
stack: the Stripe key, the sender identity's verification and DKIM. Exit code 1 if anything is
MISSING. The deploy-time settings it assumes are the stack's (cdk/config.py): pass the same
`--context key=value` pairs you deploy with. docs/runbook.md walks through every fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The bootstrap version CDK v2 templates require (their BootstrapVersion rule).
MIN_BOOTSTRAP_VERSION = 6
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
#: Concurrency the stack may use at once: 14 queue consumers x their MaximumConcurrency (5) plus the
#: API's functions and relays; Lambda also keeps 100 unreserved for the account.
MIN_CONCURRENCY = 200
STRIPE_PLACEHOLDER = "sk_test_local"  # what the stack creates (cdk/services/payments.py)


@dataclass(frozen=True)
class Finding:
    status: str  # OK | MISSING | UNKNOWN
    what: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<8} {self.what}"
        return text + (f"\n         fix: {self.fix}" if self.fix else "")


@dataclass
class Context:
    stage: str
    region: str
    account: str
    settings: dict[str, Any]
    outputs: dict[str, Any]
    client: Callable[..., Any]


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or type(exc).__name__)


def _unknown(what: str, exc: Exception) -> Finding:
    return Finding("UNKNOWN", f"{what}: could not check ({_code(exc)})")


def check_bootstrap(ctx: Context) -> Finding:
    # https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html
    fix = f"npx cdk bootstrap aws://{ctx.account}/{ctx.region}"
    try:
        value = ctx.client("ssm").get_parameter(Name=BOOTSTRAP_PARAMETER)["Parameter"]["Value"]
    except Exception as exc:  # noqa: BLE001 - any failure is reported, none is fatal
        if _code(exc) == "ParameterNotFound":
            return Finding("MISSING", f"CDK bootstrap in {ctx.region}", fix)
        return _unknown("CDK bootstrap", exc)
    if int(value) < MIN_BOOTSTRAP_VERSION:
        return Finding("MISSING", f"CDK bootstrap version {value} (need {MIN_BOOTSTRAP_VERSION}+)", fix)
    return Finding("OK", f"CDK bootstrap version {value} in {ctx.region}")


def check_api_gateway_role(ctx: Context) -> Finding:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
    try:
        role = ctx.client("apigateway").get_account().get("cloudwatchRoleArn")
    except Exception as exc:  # noqa: BLE001
        return _unknown("API Gateway CloudWatch role", exc)
    creates = ctx.settings.get("apiGatewayCloudWatchRole", "create") == "create"
    if role:
        note = " (the stack will replace it; deploy with -c apiGatewayCloudWatchRole=existing to keep it)"
        return Finding("OK", f"API Gateway CloudWatch role {role}{note if creates else ''}")
    if creates:
        return Finding("OK", "API Gateway CloudWatch role: none yet; the stack creates it")
    return Finding(
        "MISSING",
        "API Gateway CloudWatch role (access logging needs it, and apiGatewayCloudWatchRole=existing "
        "says the account has one)",
        "deploy without -c apiGatewayCloudWatchRole=existing, or: aws apigateway update-account "
        "--patch-operations op=replace,path=/cloudwatchRoleArn,value=<role ARN>",
    )


def check_concurrency(ctx: Context) -> Finding:
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    try:
        limit = ctx.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    except Exception as exc:  # noqa: BLE001
        return _unknown("Lambda concurrency quota", exc)
    if limit < MIN_CONCURRENCY:
        return Finding(
            "MISSING",
            f"Lambda concurrency quota {limit} (new accounts start low; the stack needs ~{MIN_CONCURRENCY})",
            "aws service-quotas request-service-quota-increase --service-code lambda "
            "--quota-code L-B99A9384 --desired-value 1000",
        )
    return Finding("OK", f"Lambda concurrency quota {limit}")


def check_ses(ctx: Context) -> list[Finding]:
    # https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html
    findings = []
    ses = ctx.client("sesv2")
    try:
        account = ses.get_account()
        if account.get("ProductionAccessEnabled"):
            findings.append(Finding("OK", "SES production access (out of the sandbox)"))
        else:
            findings.append(
                Finding(
                    "MISSING",
                    f"SES is in the sandbox in {ctx.region}: mail goes only to verified addresses",
                    "request production access: SES console > Account dashboard > Request production access",
                )
            )
    except Exception as exc:  # noqa: BLE001
        findings.append(_unknown("SES sandbox status", exc))
    identity = sender_identity(ctx)
    try:
        found = ses.get_email_identity(EmailIdentity=identity)
    except Exception as exc:  # noqa: BLE001
        if _code(exc) == "NotFoundException":
            findings.append(
                Finding(
                    "OK" if not ctx.outputs else "MISSING",
                    f"SES identity {identity}: not created yet"
                    + ("; the stack creates it" if not ctx.outputs else ""),
                    "" if not ctx.outputs else "deploy the stack (it declares the identity)",
                )
            )
        else:
            findings.append(_unknown(f"SES identity {identity}", exc))
        return findings
    if found.get("VerifiedForSendingStatus") or found.get("VerificationStatus") == "SUCCESS":
        findings.append(Finding("OK", f"SES identity {identity} verified"))
    elif "@" in identity:
        findings.append(
            Finding(
                "MISSING", f"SES identity {identity} not verified", f"open the link SES mailed to {identity}"
            )
        )
    else:
        findings.append(
            Finding(
                "MISSING",
                f"SES identity {identity} not verified "
                f"(DKIM {found.get('DkimAttributes', {}).get('Status', '?')})",
                "publish the CNAME records of the stack outputs SenderDkimRecord1..3 in the domain's DNS",
            )
        )
    return findings


def sender_identity(ctx: Context) -> str:
    if ctx.outputs.get("SenderIdentity"):
        return str(ctx.outputs["SenderIdentity"])
    if ctx.settings.get("senderAddress"):
        return str(ctx.settings["senderAddress"])
    return str(ctx.settings.get("senderDomain") or f"{ctx.stage}.commerce.example")


def check_stripe(ctx: Context) -> Finding:
    arn = ctx.outputs.get("StripeSecretArn")
    if not arn:
        return Finding(
            "OK", "Stripe secret: created by the deploy with a placeholder key (re-run with --outputs)"
        )
    try:
        value = json.loads(ctx.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    except Exception as exc:  # noqa: BLE001
        return _unknown("Stripe secret", exc)
    key = str(value.get("apiKey", ""))
    fix = (
        f"aws secretsmanager put-secret-value --secret-id {arn} --secret-string "
        '\'{"apiKey":"sk_live_...","webhookSecret":"whsec_..."}\''
    )
    if key == STRIPE_PLACEHOLDER or not key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
        return Finding("MISSING", "Stripe secret still holds the placeholder key: every charge fails", fix)
    if not str(value.get("webhookSecret", "")).startswith("whsec_"):
        return Finding("MISSING", "Stripe secret has no webhook signing secret (whsec_...) from Stripe", fix)
    mode = "live" if "_live_" in key else "test"
    return Finding("OK", f"Stripe secret holds a {mode}-mode key and a webhook secret")


def check_backups(ctx: Context) -> list[Finding]:
    # https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
    if ctx.stage != "prod":
        return []
    copy_region = str(ctx.settings.get("backupCopyRegion") or "us-west-2")
    vault = f"commerce-{ctx.stage}-copies"
    findings = []
    if copy_region == ctx.region:
        findings.append(
            Finding(
                "MISSING",
                f"backupCopyRegion {copy_region} is the stack's region",
                "-c backupCopyRegion=<another>",
            )
        )
    try:
        ctx.client("backup", region_name=copy_region).describe_backup_vault(BackupVaultName=vault)
        findings.append(Finding("OK", f"backup copy vault {vault} in {copy_region}"))
    except Exception as exc:  # noqa: BLE001
        if _code(exc) in ("ResourceNotFoundException", "AccessDeniedException"):
            findings.append(
                Finding(
                    "MISSING",
                    f"backup copy vault {vault} in {copy_region} (the daily copies have nowhere to go)",
                    f"aws backup create-backup-vault --region {copy_region} --backup-vault-name {vault} "
                    "--encryption-key-arn <a KMS key in that region>",
                )
            )
        else:
            findings.append(_unknown(f"backup copy vault in {copy_region}", exc))
    try:
        settings = ctx.client("backup").describe_region_settings()
        dynamodb = settings.get("ResourceTypeManagementPreference", {}).get("DynamoDB")
        if dynamodb:
            findings.append(Finding("OK", "AWS Backup advanced features for DynamoDB (cross-region copies)"))
        else:
            findings.append(
                Finding(
                    "MISSING",
                    "AWS Backup advanced features for DynamoDB are off: DynamoDB backups cannot be copied",
                    "aws backup update-region-settings --resource-type-management-preference DynamoDB=true",
                )
            )
    except Exception as exc:  # noqa: BLE001
        findings.append(_unknown("AWS Backup DynamoDB settings", exc))
    return findings


def check_stack(ctx: Context) -> Finding:
    # A stack whose first create rolled back must be deleted before it can be created again.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html
    name = f"Commerce-{ctx.stage}"
    try:
        stacks = ctx.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except Exception as exc:  # noqa: BLE001
        if "does not exist" in str(exc):
            return Finding("OK", f"stack {name}: not deployed yet")
        return _unknown(f"stack {name}", exc)
    status = stacks[0]["StackStatus"]
    if status == "ROLLBACK_COMPLETE":
        return Finding(
            "MISSING",
            f"stack {name} is ROLLBACK_COMPLETE (a failed first create): it cannot be updated",
            f"aws cloudformation delete-stack --stack-name {name}, then deploy again",
        )
    if status.endswith("_FAILED"):
        return Finding("MISSING", f"stack {name} is {status}", "see docs/runbook.md#roll-back")
    return Finding("OK", f"stack {name} is {status}")


def run(ctx: Context) -> list[Finding]:
    findings = [check_bootstrap(ctx), check_api_gateway_role(ctx), check_concurrency(ctx), check_stack(ctx)]
    findings += check_ses(ctx)
    findings.append(check_stripe(ctx))
    findings += check_backups(ctx)
    return findings


def _clients(endpoint_url: str | None, region: str | None) -> Callable[..., Any]:
    import boto3

    session = boto3.session.Session(region_name=region)
    made: dict[tuple[str, str | None], Any] = {}

    def client(service: str, region_name: str | None = None) -> Any:
        key = (service, region_name)
        if key not in made:
            factory: Any = session.client
            made[key] = factory(
                service, region_name=region_name or session.region_name, endpoint_url=endpoint_url
            )
        return made[key]

    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev", choices=("dev", "prod"))
    parser.add_argument("--outputs", type=Path, help="the cdk deploy --outputs-file file (checks the stack)")
    parser.add_argument("--region", help="default: the SDK's (AWS_REGION, profile)")
    parser.add_argument("--endpoint-url", help="an AWS stand-in (the local stack's AwsEndpoint)")
    parser.add_argument(
        "--context", "-c", action="append", default=[], metavar="KEY=VALUE", help="deploy-time settings"
    )
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.context)
    outputs: dict[str, Any] = {}
    if args.outputs:
        all_outputs = json.loads(args.outputs.read_text())
        outputs = all_outputs.get(f"Commerce-{args.stage}", {})
        if not outputs:
            print(f"{args.outputs} has no stack Commerce-{args.stage}", file=sys.stderr)
            return 2
    client = _clients(args.endpoint_url, args.region)
    try:
        identity = client("sts").get_caller_identity()
    except Exception as exc:  # noqa: BLE001
        print(f"MISSING  AWS credentials ({_code(exc)})\n         fix: aws configure / aws sso login")
        return 1
    region = client("sts").meta.region_name
    ctx = Context(args.stage, region, str(identity["Account"]), settings, outputs, client)
    print(f"Commerce-{args.stage} preflight: account {ctx.account}, region {region}")
    findings = run(ctx)
    for finding in findings:
        print(finding.line())
    missing = [f for f in findings if f.status == "MISSING"]
    print(f"{len(findings) - len(missing)} ok or unknown, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
