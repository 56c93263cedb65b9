from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.unit.conftest import NetworkAccessInUnitTest


def test_unit_tests_cannot_open_sockets() -> None:
    with pytest.raises(NetworkAccessInUnitTest):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises((NetworkAccessInUnitTest, urllib.error.URLError)):
        urllib.request.urlopen("http://example.com", timeout=1)
