"""Ports and addresses for the local stack and everything that starts one (tests, benchmarks, tools)."""

from __future__ import annotations

import socket


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def connect_address(listen: str) -> str:
    """Where this machine's clients reach a server listening on `listen` (all interfaces → loopback)."""
    return "127.0.0.1" if listen in ("", "0.0.0.0", "127.0.0.1") else listen


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
