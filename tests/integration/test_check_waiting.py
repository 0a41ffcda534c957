"""A camera that accepts the connection and never answers: check's progress names it while it
waits (issue 17: 30 s of silence before). Through the real CLI, against a loopback server that
accepts and says nothing, then closes by itself."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kitchencam import cli
from kitchencam.cli import common

HOST = "127.0.188.5"
HOLD_S = 4.0  # the silent camera hangs up after this long (the test is bounded by it)


@pytest.fixture
def silent_camera() -> Iterator[int]:
    server = socket.socket()
    server.bind((HOST, 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        held: list[tuple[socket.socket, float]] = []
        deadline = time.monotonic() + 30  # never outlives the test, whatever happens
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _addr = server.accept()
                held.append((conn, time.monotonic()))
            except TimeoutError:
                pass
            for conn, since in list(held):
                if time.monotonic() - since > HOLD_S:
                    conn.close()
                    held.remove((conn, since))
        for conn, _since in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_check_names_the_camera_it_waits_for(silent_camera: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "WAIT_NOTICE_S", 1.0)  # the 5 s of a site, shortened for the test
    monkeypatch.setenv("KITCHENCAM_USER", "admin")
    monkeypatch.setenv("KITCHENCAM_PASSWORD", "not-used-here")
    stderr = io.StringIO()
    # A technician's terminal on stderr (the progress is for a person watching).
    cli.ENV = cli.Env(interactive=False, _err=Console(file=stderr, force_terminal=True, width=120, highlight=False))
    target = f"{HOST}:{silent_camera}"
    result = CliRunner().invoke(cli.app, ["check", target], catch_exceptions=False)
    assert result.exit_code != 0  # the camera never answered: an error for it, not a crash
    text = stderr.getvalue()
    assert f"waiting for {target} (" in text, text[-2000:]
