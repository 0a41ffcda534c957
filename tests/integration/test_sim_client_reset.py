"""A client that resets its connection mid-request (kitchencam closing a keep-alive connection, a
Ctrl-C) is no error of the simulator: no traceback on stderr, a debug line, and the next request is
served. Any other exception in a request's thread is still logged with its traceback. Real servers on
loopback (127.0.189.10 the camera, .11 the centre), a raw socket that sends half a request then RST."""

from __future__ import annotations

import logging
import socket
import struct
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kitchencam.sim.camera import SimCamera
from kitchencam.sim.centre import CentreServer
from kitchencam.sim.personas import get_persona


@contextmanager
def camera() -> Iterator[tuple[str, int, str]]:
    with SimCamera(get_persona("dahua-wizsense2"), "127.0.189.10") as cam:
        yield cam.ip, cam.http_port, cam.xaddr("/")


@contextmanager
def centre() -> Iterator[tuple[str, int, str]]:
    server = CentreServer("127.0.189.11", 0, token="t-reset")
    server.start()
    try:
        yield "127.0.189.11", server.port, server.base_url + "/api/v1/health"
    finally:
        server.stop()


def reset_mid_request(host: str, port: int) -> None:
    """Half a request's headers, then close with SO_LINGER 0: the kernel sends RST, not FIN."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"POST /onvif/device_service HTTP/1.1\r\nHost: camera\r\nContent-Len")
        time.sleep(0.2)  # the server's thread is in its read of the headers
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize("serve", [camera, centre], ids=["camera", "centre"])
def test_client_reset_is_no_traceback(serve: object, capsys: pytest.CaptureFixture[str],
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kitchencam.sim")
    with serve() as (host, port, url):  # type: ignore[operator]
        reset_mid_request(host, port)
        deadline = time.monotonic() + 3  # the server's thread notices the reset
        while time.monotonic() < deadline and not any("closed the connection" in r.message
                                                      for r in caplog.records):
            time.sleep(0.05)
        with urllib.request.urlopen(url, timeout=5) as reply:  # the next request is served
            assert reply.status == 200
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert "ConnectionResetError" not in err, err
    gone = [r for r in caplog.records if "closed the connection" in r.message]
    assert gone, [r.message for r in caplog.records]
    assert all(r.levelno == logging.DEBUG for r in gone)


def test_other_errors_keep_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """A bug in a handler is not a client hang-up: logged at error level with the traceback."""
    with SimCamera(get_persona("dahua-wizsense2"), "127.0.189.12") as cam:
        server = cam._server
        assert server is not None
        try:
            raise ValueError("a bug in the simulator")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "a bug in the simulator" in caplog.text
