"""A threaded HTTP/1.1 (keep-alive) server in front of the Gateway."""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.apigw import MAX_BODY_BYTES, Gateway
from local.proxy import HttpRequest, HttpResponse

log = logging.getLogger("local.server")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-apigw"
    sys_version = ""
    gateway: Gateway

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - " + format, self.client_address[0], *args)

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        too_large = False
        if chunked:
            body = self._read_chunked()
        elif length:
            size = int(length)
            too_large = size > MAX_BODY_BYTES
            body = b"" if too_large else self.rfile.read(size)
        else:
            body = b""
        raw_path, _, query = self.path.partition("?")
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path if raw_path.startswith("/") else "/" + raw_path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            oversized=too_large,
        )
        try:
            response = self.gateway.handle(request)
        except Exception:
            log.exception("gateway failed on %s %s", self.command, raw_path)
            response = HttpResponse(
                500, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
            )
        if too_large:
            self.close_connection = True
        self._write(response)

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(data)
            data += self.rfile.read(size)
            self.rfile.readline(65537)
            if len(data) > MAX_BODY_BYTES:
                return bytes(data)

    def _write(self, response: HttpResponse) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        lines = [f"HTTP/1.1 {response.status} {reason}"]
        skip = {"content-length", "connection", "transfer-encoding"}
        lines += [f"{name}: {value}" for name, value in response.headers if name.lower() not in skip]
        body = b"" if self.command == "HEAD" else response.body
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head + body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, PROPFIND, ...) goes to the gateway too, which answers it
        # the way API Gateway does (no such route) instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of concurrent clients (20 orders at
    # once) would see connections reset before a thread could accept them.
    request_queue_size = 256


class ApiServer:
    def __init__(self, gateway: Gateway, port: int, host: str = "127.0.0.1") -> None:
        handler = type("Handler", (_Handler,), {"gateway": gateway})
        self.httpd = _Server((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="api-server", daemon=True
        )

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
