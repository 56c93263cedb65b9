"""CloudFront in front of the API (prod): caches only the public catalog GETs, honouring the API's
Cache-Control; everything else passes through uncached with the caller's headers.

Why a CDN rather than ElastiCache: the cacheable data (catalog reads) is public and identical for
every caller, so an edge cache removes both the Lambda invocation and the DynamoDB read and brings it
closer to users, with no VPC, no cluster to size and no cache-invalidation code in the functions.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.nag import acknowledge


class ApiCdn(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        api = platform.api.rest_api
        origin = origins.RestApiOrigin(api, origin_path=f"/{api.deployment_stage.stage_name}")
        catalog_cache = cloudfront.CachePolicy(
            self,
            "CatalogCache",
            comment="Public catalog reads: TTL from the API's Cache-Control",
            min_ttl=cdk.Duration.seconds(0),
            default_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.minutes(5),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list("limit", "cursor"),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
        )
        domain = scope.node.try_get_context("cdnDomainName")
        certificate_arn = scope.node.try_get_context("cdnCertificateArn")
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Commerce API",
            domain_names=[domain] if domain and certificate else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            ),
            additional_behaviors={
                "/products*": cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                    cache_policy=catalog_cache,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                ),
            },
        )
        acknowledge(
            logs,
            [
                (
                    "AwsSolutions::AwsSolutions-S1",
                    "This bucket only receives CloudFront access logs; logging it to another bucket "
                    "would recurse without adding an audit trail.",
                )
            ],
        )
        acknowledge(
            self.distribution,
            [
                (
                    "AwsSolutions::AwsSolutions-CFR1",
                    "A commerce API serves customers in every country; no geo restriction applies.",
                ),
                (
                    "AwsSolutions::AwsSolutions-CFR2",
                    "The regional WAF web ACL on the API stage inspects every request CloudFront forwards; "
                    "a second, us-east-1 ACL would need a cross-region stack.",
                ),
                (
                    "AwsSolutions::AwsSolutions-CFR4",
                    "Without a custom domain (context cdnDomainName/cdnCertificateArn) CloudFront's default "
                    "certificate cannot pin TLS 1.2; with one, TLSv1.2_2021 is enforced.",
                ),
            ],
        )
