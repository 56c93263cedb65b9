"""CloudFront in front of the API: caches only the public catalog GETs, honouring the API's
Cache-Control; everything else passes through uncached with the caller's headers.

Why a CDN rather than ElastiCache: the cacheable data (catalog reads) is public and identical for
every caller, so an edge cache removes both the Lambda invocation and the DynamoDB read and brings it
closer to users, with no VPC, no cluster to size and no cache-invalidation code in the functions.

Every route works through the CDN exactly as through the API:
- The default behaviour caches nothing and forwards every viewer header but Host; with caching
  disabled, the managed AllViewerExceptHostHeader policy forwards `Authorization` too.
- `/products*` caches, so an origin request policy cannot forward `Authorization` (CloudFront keeps
  it out of origin request policies: it must be part of the cache key). Its cache policy therefore
  keys on `Authorization`: the admin writes (POST/PATCH) reach the authorizer with their token, and
  a response to one caller's token is never served to another; anonymous reads share one entry.
  https://repost.aws/knowledge-center/cloudfront-authorization-header

With a firewall (prod), CloudFront adds the secret origin header the web ACL requires and a viewer-
request function sets the viewer's address for its rate limit (cdk/constructs/waf.py).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.constructs.platform import Platform
from cdk.constructs.waf import ORIGIN_VERIFY_HEADER, VIEWER_IP_HEADER
from cdk.nag import acknowledge

CACHED_PATH = "/products*"

#: Sets the viewer's own address on every request, replacing whatever the caller sent.
VIEWER_IP_FUNCTION = (
    "function handler(event) {\n"
    "  var request = event.request;\n"
    f"  request.headers['{VIEWER_IP_HEADER}'] = {{ value: event.viewer.ip }};\n"
    "  return request;\n"
    "}\n"
)


class ApiCdn(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, platform: Platform, origin_secret: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        config = platform.config
        api = platform.api.rest_api
        origin = origins.RestApiOrigin(
            api,
            origin_path=f"/{api.deployment_stage.stage_name}",
            custom_headers={ORIGIN_VERIFY_HEADER: origin_secret} if origin_secret else None,
        )
        catalog_cache = cloudfront.CachePolicy(
            self,
            "CatalogCache",
            comment="Public catalog reads: TTL from the API's Cache-Control, keyed per Authorization",
            min_ttl=cdk.Duration.seconds(0),
            default_ttl=cdk.Duration.seconds(0),
            max_ttl=cdk.Duration.minutes(5),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list("limit", "cursor"),
            # With CORS, Access-Control-Allow-Origin depends on the request's Origin: key on it too,
            # or one origin's cached answer is served to another (CloudFront ignores Vary).
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list(
                "Authorization", *(["Origin"] if config.cors_origins else [])
            ),
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
            # Unnamed, so a retained bucket never blocks a later deploy of the same stack.
            removal_policy=cdk.RemovalPolicy.RETAIN,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(90 if config.is_prod else 14),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                )
            ],
        )
        functions = None
        if origin_secret:
            viewer_ip = cloudfront.Function(
                self,
                "ViewerAddress",
                comment=f"Sets {VIEWER_IP_HEADER} from the viewer's address (the WAF rate limit key)",
                code=cloudfront.FunctionCode.from_inline(VIEWER_IP_FUNCTION),
                runtime=cloudfront.FunctionRuntime.JS_2_0,
            )
            functions = [
                cloudfront.FunctionAssociation(
                    function=viewer_ip, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ]
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
            comment=f"Commerce API ({config.stage})",
            domain_names=[domain] if domain and certificate else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs,
            web_acl_id=scope.node.try_get_context("cdnWebAclArn") or None,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                function_associations=functions,
            ),
            additional_behaviors={
                CACHED_PATH: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                    cache_policy=catalog_cache,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    function_associations=functions,
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
                    "The regional web ACL on the API stage inspects every request CloudFront forwards "
                    "(and only those); a CLOUDFRONT-scope ACL lives in us-east-1 and is attached with "
                    "the context value cdnWebAclArn (docs/runbook.md).",
                ),
                (
                    "AwsSolutions::AwsSolutions-CFR4",
                    "Without a custom domain (context cdnDomainName/cdnCertificateArn) CloudFront's default "
                    "certificate cannot pin TLS 1.2; with one, TLSv1.2_2021 is enforced.",
                ),
            ],
        )
