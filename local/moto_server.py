"""The embedded AWS stand-in: moto's server, hardened for the local stack (one DynamoDB request at
a time, boto3-exact DynamoDB serialization and transactions), and the boto3 clients that reach it.

local.provision creates a template's resources in it; the runtime points every worker at it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

from local import dynamodb_serialization, dynamodb_transactions, moto_speedups
from local.limits import Limits
from local.limits import install as install_limits
from local.limits import uninstall as uninstall_limits
from local.net import connect_address, port_is_free
from local.template import ACCOUNT_ID, REGION

log = logging.getLogger("local.moto_server")

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

_DYNAMODB_LOCK = threading.Lock()


def _one_dynamodb_request_at_a_time(app: Any) -> Any:
    """A WSGI wrapper: DynamoDB (and Streams) requests to moto run one at a time.

    DynamoDB applies each request atomically; moto is not thread-safe and does not isolate one
    thread's TransactWriteItems (checks, then writes) from another's writes. Serializing DynamoDB
    requests restores that atomicity, so concurrent reservations never oversell. Other services stay
    concurrent (SQS long polls must not hold the lock).
    """

    def serialized(environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB"):
            return app(environ, start_response)
        with _DYNAMODB_LOCK:
            return list(app(environ, start_response))

    return serialized


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]*/[^/,]*/([^/,]*)/([^/,]*)/")  # region, service


def _fast_moto_server(port: int, host: str = "127.0.0.1") -> Any:
    """moto's ThreadedMotoServer, made cheaper per request for SigV4-signed (boto3) traffic.

    - HTTP/1.1 keep-alive instead of a new TCP connection per call;
    - the service app is looked up once per (service, region, target, path root, host) instead of
      scanning every moto module on each request;
    - the region comes from the credential scope, where moto would look last after two regexes.
    Every other request takes moto's own path. LOCAL_MOTO_PLAIN=1 turns all of this off.
    """
    from moto.core.responses import BaseResponse
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    if os.environ.get("LOCAL_MOTO_PLAIN") == "1":

        class PlainServer(ThreadedMotoServer):
            def _server_entry(self) -> None:
                app = _one_dynamodb_request_at_a_time(DomainDispatcherApplication(create_backend_app))
                self._server = make_server(
                    self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
                )
                self._server_ready_event.set()
                self._server.serve_forever()

        return PlainServer(ip_address=host, port=port, verbose=False)

    original_region = BaseResponse.get_region_from_url
    if not getattr(original_region, "_local_fast", False):

        def region_from_scope(self: Any, request: Any, full_url: str) -> str:
            match = _CREDENTIAL_SCOPE.search(request.headers.get("Authorization", ""))
            return match.group(1) if match else original_region(self, request, full_url)

        region_from_scope._local_fast = True  # type: ignore[attr-defined]
        BaseResponse.get_region_from_url = region_from_scope  # type: ignore[method-assign]

    class Dispatcher(DomainDispatcherApplication):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._by_scope: dict[tuple[str, ...], Any] = {}

        def get_application(self, environ: dict[str, Any]) -> Any:
            match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            if not match:
                return super().get_application(environ)
            path = str(environ.get("PATH_INFO", ""))
            key = (
                match.group(1),
                match.group(2),
                str(environ.get("HTTP_X_AMZ_TARGET", "")).split(".")[0],
                path.split("/")[1] if path.count("/") > 1 else path,
                str(environ.get("HTTP_HOST", "")),
            )
            app = self._by_scope.get(key)
            if app is None:
                app = self._by_scope[key] = super().get_application(environ)
            return app

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            self._server = make_server(
                self._ip_address,
                self._port,
                _one_dynamodb_request_at_a_time(Dispatcher(create_backend_app)),
                True,
                request_handler=KeepAliveHandler,
            )
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=0.05)

    return Server(ip_address=host, port=port, verbose=False)


class MotoServer:
    """moto's threaded server in this process, on loopback unless told otherwise (`listen`)."""

    def __init__(self, port: int, listen: str = "127.0.0.1", *, limits: Limits | None = None) -> None:
        if not port_is_free(port, listen):
            raise RuntimeError(f"port {port} is in use (set --aws-port / AWS_PORT)")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # All-or-nothing transactions without whole-table copies (local/dynamodb_transactions.py).
        dynamodb_transactions.install()
        # DynamoDB items serialized without walking every attribute through the union shape.
        dynamodb_serialization.install()
        # SQS and EventBridge requests that do not walk every queued message (local/moto_speedups.py).
        moto_speedups.install()
        self.limits = limits
        self.port = port
        self.listen = listen
        self._server = _fast_moto_server(port, listen)

    @property
    def endpoint(self) -> str:
        return f"http://{connect_address(self.listen)}:{self.port}"

    def start(self) -> MotoServer:
        if self.limits is not None:
            install_limits(self.limits)
            log.info("AWS limits on: %s", self.limits)
        self._server.start()
        return self

    def stop(self) -> None:
        """Forget every resource, then stop serving. moto keeps its backends per process: without the
        reset (moto's documented `/moto-api/reset`), the next stack started in this process (a test,
        a benchmark) would find this one's resources and fail to create its own."""
        try:
            reset = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
            urllib.request.urlopen(reset, timeout=10).close()
        finally:
            self._server.stop()
            if self.limits is not None:
                uninstall_limits()

    @staticmethod
    def stream_length(table: str) -> int | None:
        """How many records a table's stream holds, read from the in-process backend (no HTTP call).

        Lets stream pollers poll often at no cost; None when unknown (then they just call GetRecords).
        """
        try:
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends[ACCOUNT_ID][REGION].tables[table].stream_shard
            return None if shard is None else len(shard.items)
        except Exception:  # noqa: BLE001 - moto internals may change; fall back to plain polling
            return None


class Clients:
    """boto3 clients for the local endpoint, created once (they are thread-safe)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )
        self._config = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=50)
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            session: Any = self._session  # the stubs' overloads want a literal service name
            client = session.client(service, endpoint_url=self.endpoint, config=self._config)
            self._clients[service] = client
        return client
