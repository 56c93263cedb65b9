"""The regional WAFv2 web ACL on the API stage (prod), which only CloudFront can get through.

CloudFront is the only way in: it adds a secret origin header that the first rule requires, so the
`execute-api` URL answers 403 to everyone else. Behind CloudFront the ACL sees an edge address as
the client, so the per-client rate limit keys on `x-commerce-viewer-ip`, which a CloudFront viewer-
request function sets from the viewer's own address (overwriting anything a caller sent) — a value
no caller can forge, since no request reaches the origin without passing through that function.

AWS's IP-reputation rule group only inspects the source address (an edge address here), so it has
no place in this ACL; it belongs in a CLOUDFRONT-scope ACL (context `cdnWebAclArn`, docs/runbook.md).
The common rule set's 8 KB body rule is counted, not enforced: the contract accepts 64 KiB bodies
(and answers 413 above that), and the body inspection limit is raised to 64 KB so the other rules
see whole bodies.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk.nag import acknowledge

ORIGIN_VERIFY_HEADER = "x-origin-verify"
VIEWER_IP_HEADER = "x-commerce-viewer-ip"
#: AWS managed rule groups, each with the rules it counts instead of enforcing.
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class ApiFirewall(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: apigw.Stage,
        origin_secret: str,
        requests_per_5_min_per_viewer: int,
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="OnlyThroughTheCdn",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    not_statement=wafv2.CfnWebACL.NotStatementProperty(
                        statement=wafv2.CfnWebACL.StatementProperty(
                            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                    single_header={"Name": ORIGIN_VERIFY_HEADER}
                                ),
                                positional_constraint="EXACTLY",
                                search_string=origin_secret,
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        )
                    )
                ),
                visibility_config=_visibility("OnlyThroughTheCdn"),
            )
        ]
        for group, counted in MANAGED_RULE_GROUPS:
            rules.append(
                wafv2.CfnWebACL.RuleProperty(
                    name=group,
                    priority=len(rules),
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name=group,
                            rule_action_overrides=[
                                wafv2.CfnWebACL.RuleActionOverrideProperty(
                                    name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                                )
                                for rule in counted
                            ]
                            or None,
                        )
                    ),
                    visibility_config=_visibility(group),
                )
            )
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="RatePerViewer",
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    # https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-forwarded-ip-address.html
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=requests_per_5_min_per_viewer,
                        aggregate_key_type="FORWARDED_IP",
                        forwarded_ip_config=wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
                            header_name=VIEWER_IP_HEADER, fallback_behavior="NO_MATCH"
                        ),
                    )
                ),
                visibility_config=_visibility("RatePerViewer"),
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("CommerceApi"),
            rules=rules,
            # https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit="KB_64"
                    )
                }
            ),
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


class OriginSecret(Construct):
    """The secret CloudFront sends in `x-origin-verify` and the web ACL requires (generated).

    Both read it through a CloudFormation dynamic reference, so it appears in neither the template
    nor the synthesized assembly."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description="Shared secret between CloudFront and the API's web ACL (origin verification)",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, include_space=False, password_length=40
            ),
        )
        acknowledge(
            self.secret,
            [
                (
                    "AwsSolutions::AwsSolutions-SMG4",
                    "CloudFront and the web ACL read this value at deploy time; rotating it means a "
                    "new value and a deploy (docs/runbook.md), which a rotation Lambda cannot do.",
                )
            ],
        )

    @property
    def value(self) -> str:
        return self.secret.secret_value.unsafe_unwrap()
