"""Reading a synthesized template the way AWS will: API routes, CloudFront behaviours and what they
forward, IAM statements, and conservative sizes of values that only exist after deployment.

Used by tests/infra/test_deploy_rules.py; each rule there names the AWS documentation it encodes.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from tests.infra.conftest import Synth

#: CloudFront managed policies by id.
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
#: A deployed value we cannot know at synth time (an ARN, a queue URL, an id) counts this long.
TOKEN_LENGTH = 160


@dataclass(frozen=True)
class Route:
    path: str  # "/products/{productId}"
    method: str
    authenticated: bool

    @property
    def sample_path(self) -> str:
        """A concrete request path for the route (path parameters filled in)."""
        return "/".join("x" if part.startswith("{") else part for part in self.path.split("/"))

    def required_headers(self) -> set[str]:
        """The request headers the route cannot work without (CONTRACT.md §1)."""
        headers = set()
        if self.authenticated:
            headers.add("authorization")
        if self.method in ("POST", "PATCH", "PUT"):
            headers.add("content-type")
        if (self.method, self.path) == ("POST", "/orders"):
            headers.add("idempotency-key")
        if (self.method, self.path) == ("POST", "/payments/webhook"):
            headers.add("stripe-signature")
        return headers


def api_resource_paths(synth: Synth) -> dict[str, str]:
    """Logical id of each AWS::ApiGateway::Resource (and of the root, as "") -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(lid: str) -> str:
        if lid not in paths:
            props = resources[lid]["Properties"]
            parent = props["ParentId"]
            prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[lid] = f"{prefix}/{props['PathPart']}"
        return paths[lid]

    for lid in resources:
        path_of(lid)
    return paths


def api_routes(synth: Synth) -> list[Route]:
    paths = api_resource_paths(synth)
    routes = []
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = "/" if "Fn::GetAtt" in resource else paths[resource["Ref"]]
        if props["HttpMethod"] == "OPTIONS":
            continue
        routes.append(Route(path, props["HttpMethod"], props.get("AuthorizationType") == "CUSTOM"))
    return routes


@dataclass(frozen=True)
class Behaviour:
    path_pattern: str
    allowed_methods: tuple[str, ...]
    cached_methods: tuple[str, ...]
    cache_policy: str  # a managed id or a logical id
    origin_request_policy: str | None
    function_events: tuple[str, ...]

    def matches(self, path: str) -> bool:
        # CloudFront path patterns: case-sensitive, `*` any characters (including "/"), `?` one.
        # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern
        return fnmatch.fnmatchcase(path, self.path_pattern)


def _policy_id(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    raise AssertionError(f"unexpected policy reference {value!r}")


def behaviours(distribution: dict[str, Any]) -> list[Behaviour]:
    """The distribution's cache behaviours in CloudFront's evaluation order (default last)."""
    config = distribution["Properties"]["DistributionConfig"]
    result = []
    for spec in [*config.get("CacheBehaviors", []), {**config["DefaultCacheBehavior"], "PathPattern": "*"}]:
        result.append(
            Behaviour(
                path_pattern=spec["PathPattern"],
                allowed_methods=tuple(spec.get("AllowedMethods", ["GET", "HEAD"])),
                cached_methods=tuple(spec.get("CachedMethods", ["GET", "HEAD"])),
                cache_policy=_policy_id(spec["CachePolicyId"]),
                origin_request_policy=_policy_id(spec["OriginRequestPolicyId"])
                if "OriginRequestPolicyId" in spec
                else None,
                function_events=tuple(a["EventType"] for a in spec.get("FunctionAssociations", [])),
            )
        )
    return result


def behaviour_for(distribution: dict[str, Any], path: str) -> Behaviour:
    return next(b for b in behaviours(distribution) if b.matches(path))


def cache_key_headers(synth: Synth, behaviour: Behaviour) -> set[str]:
    if behaviour.cache_policy == CACHING_DISABLED:
        return set()
    policy = synth.resources("AWS::CloudFront::CachePolicy").get(behaviour.cache_policy)
    assert policy is not None, f"unknown cache policy {behaviour.cache_policy}"
    headers = policy["Properties"]["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"][
        "HeadersConfig"
    ]
    return (
        {h.lower() for h in headers.get("Headers", [])} if headers["HeaderBehavior"] == "whitelist" else set()
    )


def forwards(synth: Synth, behaviour: Behaviour, header: str) -> bool:
    """Whether CloudFront sends the viewer's `header` to the origin on this behaviour.

    Headers in the cache key are always forwarded. An origin request policy cannot forward
    `Authorization`: it must be in the cache key, except that the managed AllViewer policies forward
    it when caching is disabled.
    https://repost.aws/knowledge-center/cloudfront-authorization-header
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html
    """
    header = header.lower()
    if header in cache_key_headers(synth, behaviour):
        return True
    policy = behaviour.origin_request_policy
    if policy is None:
        return False
    if policy in (ALL_VIEWER, ALL_VIEWER_EXCEPT_HOST):
        if header == "authorization":
            return behaviour.cache_policy == CACHING_DISABLED
        return not (policy == ALL_VIEWER_EXCEPT_HOST and header == "host")
    custom = synth.resources("AWS::CloudFront::OriginRequestPolicy").get(policy)
    assert custom is not None, f"unknown origin request policy {policy}"
    config = custom["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    if header == "authorization":
        return False
    names = {h.lower() for h in config.get("Headers", [])}
    return {
        "allViewer": True,
        "allViewerAndWhitelistCloudFront": True,
        "whitelist": header in names,
        "allExcept": header not in names,
    }.get(config["HeaderBehavior"], False)


def estimated(value: Any) -> str:
    """A string as long as `value` will be once deployed (unknown values count TOKEN_LENGTH)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return json.dumps(value)
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return (
                separator.join(estimated(p) for p in parts) if isinstance(parts, list) else "x" * TOKEN_LENGTH
            )
        return "x" * TOKEN_LENGTH
    if isinstance(value, list):
        return json.dumps([estimated(v) for v in value])
    return "x" * TOKEN_LENGTH


def compact_json_length(document: Any) -> int:
    """Characters of `document` as compact JSON once deployed (IAM counts without whitespace)."""

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) & {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::Select", "Fn::ImportValue"}:
                return estimated(value)
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return len(json.dumps(resolve(document), separators=(",", ":")))


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    value = document.get("Statement", [])
    return value if isinstance(value, list) else [value]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def service_principals(statement: dict[str, Any]) -> set[str]:
    principal = statement.get("Principal", {})
    if not isinstance(principal, dict):
        return set()
    return {str(p) for p in as_list(principal.get("Service", []))}
