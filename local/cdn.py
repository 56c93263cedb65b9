"""The CloudFront distribution of the template, served locally in front of the local API.

It follows CloudFront's documented rules for what a behaviour does with a request, so a route that
would lose a header or leak a cached response through the real CDN does so here too:

- behaviours are matched in order by path pattern (`*`, `?`; case-sensitive), the default last;
  a method the behaviour does not allow is answered 403;
- the origin receives the headers in the cache key plus those the origin request policy names,
  except `Authorization`, which an origin request policy forwards only when caching is disabled
  (the managed AllViewer policies) — otherwise only from the cache key;
  https://repost.aws/knowledge-center/cloudfront-authorization-header
- cached methods on a caching behaviour are served from a cache keyed on the path, the cache
  policy's query strings and headers; the TTL is the origin's `Cache-Control` max-age (s-maxage
  first) bounded by the policy's minimum and maximum, its default TTL without one; `no-store`,
  `no-cache` and `private` are not cached (with a minimum TTL of 0). Only 200 responses are cached.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html

Viewer-request CloudFront Functions are not run locally (the dev template has none) and the origin
path is the stage, as the API is served locally without one. Responses say `X-Cache: Hit from
cloudfront` or `Miss from cloudfront`, as CloudFront's do; a conditional GET that matches the
cached ETag is answered 304 by the cache.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html
"""

from __future__ import annotations

import fnmatch
import http.client
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

from local.template import Resolver, Template

log = logging.getLogger("local.cdn")

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


@dataclass(frozen=True)
class CachePolicy:
    min_ttl: int = 0
    default_ttl: int = 0
    max_ttl: int = 0
    headers: tuple[str, ...] = ()  # lower-case, in the key and forwarded
    query_behavior: str = "none"  # none | whitelist | allExcept | all
    query_strings: tuple[str, ...] = ()

    @property
    def caches(self) -> bool:
        return self.max_ttl > 0


@dataclass(frozen=True)
class OriginRequestPolicy:
    header_behavior: str = "none"  # none | whitelist | allViewer | allExcept
    headers: tuple[str, ...] = ()  # for allViewer/allExcept: the headers left out
    query_behavior: str = "none"
    managed_all_viewer: bool = False  # AllViewer / AllViewerExceptHostHeader


@dataclass(frozen=True)
class Behaviour:
    path_pattern: str
    allowed_methods: tuple[str, ...]
    cached_methods: tuple[str, ...]
    cache: CachePolicy
    origin_request: OriginRequestPolicy | None
    caching_disabled: bool

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.path_pattern)

    def forwards(self, header: str) -> bool:
        header = header.lower()
        if header in self.cache.headers:
            return True
        policy = self.origin_request
        if policy is None:
            return False
        if header == "authorization":
            return self.caching_disabled and policy.managed_all_viewer
        if policy.header_behavior == "allViewer":
            return header not in policy.headers  # the "except" list of AllViewerExceptHostHeader
        if policy.header_behavior == "allExcept":
            return header not in policy.headers
        return header in policy.headers


def _managed_cache_policy(policy_id: str) -> CachePolicy:
    if policy_id == CACHING_OPTIMIZED:
        return CachePolicy(min_ttl=1, default_ttl=86400, max_ttl=31536000)
    return CachePolicy()  # CachingDisabled


def _cache_policy(template: Template, resolver: Resolver, ref: Any) -> tuple[CachePolicy, bool]:
    if isinstance(ref, str):
        return _managed_cache_policy(ref), ref == CACHING_DISABLED
    config = resolver.resolve(template.resources[ref["Ref"]].properties)["CachePolicyConfig"]
    params = config["ParametersInCacheKeyAndForwardedToOrigin"]
    headers = params.get("HeadersConfig", {})
    queries = params.get("QueryStringsConfig", {})
    return (
        CachePolicy(
            min_ttl=int(config.get("MinTTL", 0)),
            default_ttl=int(config.get("DefaultTTL", 0)),
            max_ttl=int(config.get("MaxTTL", 0)),
            headers=tuple(h.lower() for h in headers.get("Headers", []))
            if headers.get("HeaderBehavior") == "whitelist"
            else (),
            query_behavior=str(queries.get("QueryStringBehavior", "none")),
            query_strings=tuple(queries.get("QueryStrings", [])),
        ),
        False,
    )


def _origin_request_policy(template: Template, resolver: Resolver, ref: Any) -> OriginRequestPolicy | None:
    if ref is None:
        return None
    if isinstance(ref, str):
        if ref == ALL_VIEWER:
            return OriginRequestPolicy("allViewer", (), "all", managed_all_viewer=True)
        if ref == ALL_VIEWER_EXCEPT_HOST:
            return OriginRequestPolicy("allViewer", ("host",), "all", managed_all_viewer=True)
        log.warning("managed origin request policy %s is not modelled; forwarding no headers", ref)
        return OriginRequestPolicy()
    config = resolver.resolve(template.resources[ref["Ref"]].properties)["OriginRequestPolicyConfig"]
    headers = config.get("HeadersConfig", {})
    behavior = str(headers.get("HeaderBehavior", "none"))
    return OriginRequestPolicy(
        "allViewer" if behavior.startswith("allViewer") else behavior,
        tuple(h.lower() for h in headers.get("Headers", []))
        if behavior in ("whitelist", "allExcept")
        else (),
        str(config.get("QueryStringsConfig", {}).get("QueryStringBehavior", "none")),
    )


def load_behaviours(template: Template, resolver: Resolver) -> list[Behaviour] | None:
    """The first distribution's behaviours in evaluation order, or None without a distribution."""
    distributions = [r for r in template.resources.values() if r.type == "AWS::CloudFront::Distribution"]
    if not distributions:
        return None
    config = distributions[0].properties["DistributionConfig"]
    specs = [*config.get("CacheBehaviors", []), {**config["DefaultCacheBehavior"], "PathPattern": "*"}]
    behaviours = []
    for spec in specs:
        cache, disabled = _cache_policy(template, resolver, spec.get("CachePolicyId", CACHING_DISABLED))
        behaviours.append(
            Behaviour(
                path_pattern=str(spec["PathPattern"]),
                allowed_methods=tuple(spec.get("AllowedMethods", ["GET", "HEAD"])),
                cached_methods=tuple(spec.get("CachedMethods", ["GET", "HEAD"])),
                cache=cache,
                origin_request=_origin_request_policy(template, resolver, spec.get("OriginRequestPolicyId")),
                caching_disabled=disabled,
            )
        )
    return behaviours


@dataclass
class _Entry:
    expires: float
    stored: float
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Cdn:
    behaviours: list[Behaviour]
    origin_port: int
    origin_host: str = "127.0.0.1"  # where the API listens (the --listen address, as a client sees it)
    cache: dict[tuple[Any, ...], _Entry] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def behaviour_for(self, path: str) -> Behaviour:
        return next(b for b in self.behaviours if b.matches(path))

    def handle(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        behaviour = self.behaviour_for(path)
        if method not in behaviour.allowed_methods:
            refused = b"This distribution is not configured to allow the HTTP request method."
            return 403, [("Content-Type", "text/plain")], refused
        viewer = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        forwarded = [(k, v) for k, v in viewer if behaviour.forwards(k)]
        forwarded.append(("X-Forwarded-For", client_ip))
        forwarded.append(("Via", "1.1 local.cloudfront.net (CloudFront)"))
        origin_query = self._origin_query(behaviour, query)
        cacheable = (
            behaviour.cache.caches and method in behaviour.cached_methods and method in ("GET", "HEAD")
        )
        key = None
        if cacheable:
            key = self._cache_key(behaviour, path, query, viewer)
            with self.lock:
                hit = self.cache.get(key)
            if hit is not None and hit.expires > time.monotonic():
                age = int(time.monotonic() - hit.stored)
                extra = [("X-Cache", "Hit from cloudfront"), ("Age", str(age))]
                # A conditional GET for the cached version is answered by CloudFront itself.
                etag = next((v for k, v in hit.headers if k.lower() == "etag"), None)
                if etag is not None and etag in _if_none_match(viewer):
                    kept = [(k, v) for k, v in hit.headers if k.lower() in ("etag", "cache-control")]
                    return 304, kept + extra, b""
                return hit.status, hit.headers + extra, b"" if method == "HEAD" else hit.body
        status, response_headers, response_body = self._origin(method, path, origin_query, forwarded, body)
        if key is not None and status == 200:
            ttl = self._ttl(behaviour.cache, response_headers)
            if ttl > 0:
                now = time.monotonic()
                with self.lock:
                    self.cache[key] = _Entry(now + ttl, now, status, response_headers, response_body)
        return status, [*response_headers, ("X-Cache", "Miss from cloudfront")], response_body

    def _origin_query(self, behaviour: Behaviour, query: str) -> str:
        policy = behaviour.origin_request
        if policy is not None and policy.query_behavior == "all":
            return query
        return self._key_query(behaviour.cache, query)

    @staticmethod
    def _key_query(cache: CachePolicy, query: str) -> str:
        pairs = parse_qsl(query, keep_blank_values=True)
        if cache.query_behavior == "all":
            kept = pairs
        elif cache.query_behavior == "whitelist":
            kept = [(k, v) for k, v in pairs if k in cache.query_strings]
        elif cache.query_behavior == "allExcept":
            kept = [(k, v) for k, v in pairs if k not in cache.query_strings]
        else:
            kept = []
        return urlencode(sorted(kept))

    def _cache_key(
        self, behaviour: Behaviour, path: str, query: str, headers: list[tuple[str, str]]
    ) -> tuple[Any, ...]:
        values = {k.lower(): v for k, v in headers}
        return (
            behaviour.path_pattern,
            path,
            self._key_query(behaviour.cache, query),
            tuple((h, values.get(h)) for h in behaviour.cache.headers),
        )

    @staticmethod
    def _ttl(cache: CachePolicy, headers: list[tuple[str, str]]) -> int:
        control = ", ".join(v for k, v in headers if k.lower() == "cache-control").lower()
        if cache.min_ttl == 0 and re.search(r"\b(no-store|no-cache|private)\b", control):
            return 0
        match = re.search(r"s-maxage=(\d+)", control) or re.search(r"max-age=(\d+)", control)
        ttl = int(match.group(1)) if match else cache.default_ttl
        return max(cache.min_ttl, min(cache.max_ttl, ttl))

    def _origin(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.origin_host, self.origin_port, timeout=35)
        try:
            target = path + (f"?{query}" if query else "")
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"{self.origin_host}:{self.origin_port}")
            for name, value in headers:
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, data
        except OSError as exc:
            log.warning("origin request failed: %s", exc)
            return 502, [("Content-Type", "text/plain")], b"Bad Gateway"
        finally:
            connection.close()


def _if_none_match(headers: list[tuple[str, str]]) -> set[str]:
    values = ",".join(v for k, v in headers if k.lower() == "if-none-match")
    return {tag.strip() for tag in values.split(",") if tag.strip()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CloudFront"
    sys_version = ""
    cdn: Cdn

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - " + format, self.client_address[0], *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        status, headers, data = self.cdn.handle(
            self.command, path, query, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve


class CdnServer:
    def __init__(self, cdn: Cdn, port: int, host: str = "127.0.0.1") -> None:
        handler = type("Handler", (_Handler,), {"cdn": cdn})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="cdn-server", daemon=True
        )

    def start(self) -> CdnServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
