"""WAFv2 web ACL for the API stage: AWS managed common, known-bad-inputs and IP-reputation rule
groups, plus a per-IP rate limit."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class ApiFirewall(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: apigw.Stage, requests_per_5_min_per_ip: int
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=_visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="RatePerIp",
                priority=len(rules),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=requests_per_5_min_per_ip, aggregate_key_type="IP"
                    )
                ),
                visibility_config=_visibility("RatePerIp"),
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("CommerceApi"),
            rules=rules,
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
