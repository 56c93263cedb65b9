"""The public REST API: stage with tracing, access logs and throttling, problem+json gateway
responses, a Lambda token authorizer, and one Lambda proxy integration per route.

When the stage runs the request path on SnapStart (`StageConfig.snap_start`), the authorizer and
every route's integration (and their invoke permissions) name the function's alias `live` of its
latest published version (cdk/constructs/snap_start.py) instead of the function itself."""

from __future__ import annotations

import json
from http import HTTPStatus

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.config import StageConfig
from cdk.constructs.snap_start import snap_start_alias
from cdk.nag import acknowledge, acknowledge_api, acknowledge_public_method

#: API Gateway's own error responses and the status each one answers with. Unknown routes
#: (MISSING_AUTHENTICATION_TOKEN) answer 404: a client asked for a resource that does not exist.
GATEWAY_RESPONSES: dict[apigw.ResponseType, int] = {
    apigw.ResponseType.ACCESS_DENIED: 403,
    apigw.ResponseType.API_CONFIGURATION_ERROR: 500,
    apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR: 500,
    apigw.ResponseType.AUTHORIZER_FAILURE: 500,
    apigw.ResponseType.BAD_REQUEST_PARAMETERS: 400,
    apigw.ResponseType.BAD_REQUEST_BODY: 400,
    apigw.ResponseType.EXPIRED_TOKEN: 401,
    apigw.ResponseType.INTEGRATION_FAILURE: 502,
    apigw.ResponseType.INTEGRATION_TIMEOUT: 504,
    apigw.ResponseType.INVALID_API_KEY: 403,
    apigw.ResponseType.INVALID_SIGNATURE: 401,
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: 404,
    apigw.ResponseType.QUOTA_EXCEEDED: 429,
    apigw.ResponseType.REQUEST_TOO_LARGE: 413,
    apigw.ResponseType.RESOURCE_NOT_FOUND: 404,
    apigw.ResponseType.THROTTLED: 429,
    apigw.ResponseType.UNAUTHORIZED: 401,
    apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE: 415,
    apigw.ResponseType.WAF_FILTERED: 403,
    apigw.ResponseType.DEFAULT_4_XX: 400,
    apigw.ResponseType.DEFAULT_5_XX: 500,
}

#: The authorizer's result cache is off: a cached Allow outlives a deleted account by up to the TTL,
#: and the authorizer checks revocation on every request (functions/identity/authorizer.py; what
#: that costs, and the options weighed, in docs/decisions.md §23 and docs/security.md).
AUTHORIZER_CACHE_TTL = cdk.Duration.seconds(0)

#: CORS (issue 18 finding 11): what a browser page on an allowed origin may send and read. The
#: preflight is answered by API Gateway (a MOCK OPTIONS method on every resource, no authorizer);
#: the functions add the same headers to their responses (commerce.api reads `CORS_ORIGINS`), and
#: every gateway response carries Access-Control-Allow-Origin, so a browser can read a 401 or 429.
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Correlation-Id")
CORS_ALLOW_METHODS = ("GET", "POST", "PATCH", "DELETE", "OPTIONS")
CORS_EXPOSE_HEADERS = ("ETag", "Retry-After", "X-Correlation-Id")
CORS_MAX_AGE = cdk.Duration.minutes(10)


def cors_allow_origin_source(origins: tuple[str, ...]) -> str:
    """The gateway responses' Access-Control-Allow-Origin: the one allowed origin (or `*`) as a
    literal; with several, the request's Origin echoed (a gateway response is an error document and
    holds no data of the caller's, and a browser compares the header with its own origin anyway)."""
    return f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.Origin"


_DETAILS = {
    404: '"No such route."',
}


def problem_template(status: int) -> str:
    """A problem+json body for a gateway response (VTL: `$context` is filled in by API Gateway)."""
    detail = _DETAILS.get(status, "$context.error.messageString")
    title = HTTPStatus(status).phrase
    return (
        '{"type":"about:blank","title":'
        + json.dumps(title)
        + ',"status":'
        + str(status)
        + ',"detail":'
        + detail
        + ',"requestId":"$context.requestId"}'
    )


def method_setting_path(path: str) -> str:
    """A MethodSetting's ResourcePath: every "/" of the resource path escaped as "~1", after a
    leading "/" (so "/auth/login" is "/~1auth~1login").
    https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html"""
    return "/" + path.replace("/", "~1")


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
            encryption_key=key,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"commerce-{config.stage}",
            description="Commerce public API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            default_cors_preflight_options=(
                apigw.CorsOptions(
                    allow_origins=list(config.cors_origins),
                    allow_methods=list(CORS_ALLOW_METHODS),
                    allow_headers=list(CORS_ALLOW_HEADERS),
                    expose_headers=list(CORS_EXPOSE_HEADERS),
                    max_age=CORS_MAX_AGE,
                )
                if config.cors_origins
                else None
            ),
            # Access logging needs the account's API Gateway CloudWatch role, or the stage fails
            # to create: the stack sets it (AWS::ApiGateway::Account; the role is retained, since
            # the setting outlives the stack) unless -c apiGatewayCloudWatchRole=existing.
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
            cloud_watch_role=config.create_api_gateway_cloudwatch_role,
            cloud_watch_role_removal_policy=(
                cdk.RemovalPolicy.RETAIN if config.create_api_gateway_cloudwatch_role else None
            ),
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=config.api_rate_limit,
                throttling_burst_limit=config.api_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        response_headers = {"Content-Type": "'application/problem+json'"}
        if config.cors_origins:
            response_headers["Access-Control-Allow-Origin"] = cors_allow_origin_source(config.cors_origins)
            response_headers["Vary"] = "'Origin'"
        for response_type, status in GATEWAY_RESPONSES.items():
            self.rest_api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                status_code=str(status),
                response_headers=response_headers,
                templates={"application/json": problem_template(status)},
            )
        acknowledge_api(self.rest_api)
        if config.create_api_gateway_cloudwatch_role:
            acknowledge(
                self.rest_api,
                [
                    (
                        "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                        "service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                        "The account-level API Gateway logging role: AWS's managed policy is the "
                        "documented minimum, on a role only apigateway.amazonaws.com can assume.",
                    )
                ],
            )
        self._authorizer: apigw.IAuthorizer | None = None
        self._authorizer_function: lambda_.IFunction | None = None
        self._throttled_methods: dict[str, tuple[int, int]] = {}
        self._protected_routes: list[tuple[str, str, lambda_.IFunction]] = []

    @property
    def url(self) -> str:
        return self.rest_api.url

    def invocation_target(self, function: lambda_.Function) -> lambda_.IFunction:
        """What API Gateway invokes for `function`: its SnapStart alias when the stage runs the
        request path on SnapStart, else the function (`$LATEST`)."""
        return snap_start_alias(function) if self.config.snap_start else function

    def use_authorizer(self, function: lambda_.Function) -> None:
        """Install the Lambda token authorizer (from the identity service). It is created in
        `finalize()`, for the protected routes; its results are not cached (`AUTHORIZER_CACHE_TTL`)."""
        self._authorizer_function = self.invocation_target(function)

    def _create_authorizer(self, function: lambda_.IFunction) -> apigw.TokenAuthorizer:
        return apigw.TokenAuthorizer(
            self,
            "TokenAuthorizer",
            handler=function,
            identity_source=apigw.IdentitySource.header("Authorization"),
            # The scheme is case-insensitive (RFC 9110 §11.1), spelled out as classes because API
            # Gateway (Java) and the local stack (Python) must read the expression alike.
            validation_regex=(
                r"^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_.+/=]+$"
            ),
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )

    def add_route(
        self,
        method: str,
        path: str,
        function: lambda_.Function,
        *,
        authenticated: bool,
        throttle: tuple[int, int] | None = None,
    ) -> None:
        """Route `METHOD path` to `function` through a Lambda proxy integration.

        Protected routes are attached in `finalize()`, once the identity service has installed
        the authorizer, so services can be wired in any order."""
        if throttle is not None:
            self._throttled_methods[f"{path}/{method}"] = throttle
        if self.config.cors_origins:
            assert isinstance(function, lambda_.Function), "API routes are this app's own functions"
            function.add_environment("CORS_ORIGINS", ",".join(self.config.cors_origins))
        target = self.invocation_target(function)
        if authenticated:
            self._protected_routes.append((method, path, target))
            return
        api_method = self._add_method(method, path, target, authorization_type=apigw.AuthorizationType.NONE)
        acknowledge_public_method(api_method)

    def _add_method(
        self,
        method: str,
        path: str,
        function: lambda_.IFunction,
        *,
        authorization_type: apigw.AuthorizationType,
        authorizer: apigw.IAuthorizer | None = None,
    ) -> apigw.Method:
        resource = self.rest_api.root.resource_for_path(path)
        return resource.add_method(
            method,
            apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False),
            authorization_type=authorization_type,
            authorizer=authorizer,
        )

    def finalize(self) -> None:
        """Attach protected routes to the authorizer and apply per-route throttles."""
        if self._protected_routes:
            if self._authorizer_function is None:
                raise ValueError("protected routes need the identity service's authorizer (use_authorizer)")
            self._authorizer = self._create_authorizer(self._authorizer_function)
        for method, path, function in self._protected_routes:
            self._add_method(
                method,
                path,
                function,
                authorization_type=apigw.AuthorizationType.CUSTOM,
                authorizer=self._authorizer,
            )
        self._protected_routes.clear()
        for api_method in self.rest_api.methods:
            if api_method.http_method == "OPTIONS":
                acknowledge_public_method(api_method)  # a CORS preflight carries no credentials
        if not self._throttled_methods:
            return
        stage = self.rest_api.deployment_stage.node.default_child
        assert isinstance(stage, apigw.CfnStage)
        settings = [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "MetricsEnabled": True,
                "ThrottlingRateLimit": self.config.api_rate_limit,
                "ThrottlingBurstLimit": self.config.api_burst_limit,
            }
        ]
        for key, (rate, burst) in sorted(self._throttled_methods.items()):
            path, method = key.rsplit("/", 1)
            settings.append(
                {
                    "ResourcePath": method_setting_path(path),
                    "HttpMethod": method,
                    "MetricsEnabled": True,
                    "ThrottlingRateLimit": rate,
                    "ThrottlingBurstLimit": burst,
                }
            )
        stage.add_property_override("MethodSettings", settings)
