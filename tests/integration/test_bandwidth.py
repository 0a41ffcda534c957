"""`kitchencam bandwidth` against the simulated centre on loopback (127.0.0.93), plus its arithmetic."""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from kitchencam import bandwidth as bw
from kitchencam.settings import Paths
from kitchencam.sim import centre as centre_mod
from kitchencam.sim.centre import CentreServer
from kitchencam.store import Store
from kitchencam.uplink import HEADROOM, PROTOCOL_OVERHEAD

TOKEN = "t"
IP = "127.0.0.93"
UPLOAD = "/api/v1/bandwidth/upload"


class Received:
    """Bytes the centre read from upload bodies, finished or cut short."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Received:
    seen = Received()
    original = centre_mod._Handler.iter_body

    def counting(self: Any, limit: int) -> Any:
        for chunk in original(self, limit):
            with seen.lock:
                seen.total += len(chunk)
            yield chunk

    monkeypatch.setattr(centre_mod._Handler, "iter_body", counting)
    return seen


@pytest.fixture
def centre() -> Iterator[CentreServer]:
    server = CentreServer(IP, 0, token=TOKEN)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def short_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bw, "WARMUP_S", 0.3)


def site_init(run: Any, centre_url: str) -> None:
    result = run("site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code", "MN-TTO",
                 "--centre-url", centre_url)
    assert result.exit_code == 0, result.output


def test_measure_counts_what_the_centre_receives(centre: CentreServer, received: Received) -> None:
    result = bw.measure(centre.base_url + UPLOAD, token=TOKEN, duration_s=2.0, warmup_s=0.3, streams=2)
    assert result.mean_mbps > 0
    assert result.p10_mbps <= result.mean_mbps
    assert len(result.windows) == 2
    assert all(w > 0 for w in result.windows)
    assert 0 < result.bytes_counted < result.bytes_sent
    # Every byte the client counts as sent reached the centre (socket buffers aside).
    assert received.total == pytest.approx(result.bytes_sent, rel=0.10)
    # The mean is the counted bytes over the counted seconds (as the sampler's clock saw them, a
    # few ms off the nominal 2 s), and agrees with the windows.
    assert result.mean_mbps == pytest.approx(result.bytes_counted * 8 / 1e6 / 2.0, rel=0.02)
    assert result.mean_mbps == pytest.approx(sum(result.windows) / 2, rel=0.01)
    assert result.carries is None  # no cap given
    # Linux counts what the centre's TCP acknowledged, never more than was handed to the sockets.
    assert result.counted_by == ("tcp_acked" if sys.platform.startswith("linux") else "socket_send")
    assert received.total >= result.bytes_counted


def test_without_tcp_info_the_bytes_sent_are_counted(centre: CentreServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bw, "_TCP_INFO", None)  # as on macOS or Windows
    result = bw.measure(centre.base_url + UPLOAD, token=TOKEN, duration_s=1.0, warmup_s=0.3, streams=1)
    assert result.counted_by == "socket_send"
    assert result.mean_mbps > 0
    assert 0 < result.bytes_counted < result.bytes_sent


def _open_fds() -> int | None:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


def test_a_centre_that_closes_after_each_post(centre: CentreServer, received: Received,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A real centre may answer "Connection: close": http.client reconnects for the next POST, and
    # what the closed connection delivered must still count (and its watch descriptor be closed).
    original = CentreServer._upload

    def closing(self: CentreServer, handler: Any) -> Any:
        handler.close_connection = True
        return original(self, handler)

    monkeypatch.setattr(CentreServer, "_upload", closing)
    monkeypatch.setattr(bw, "BODY_BYTES", 1024 * 1024)  # many POSTs, so many connections
    fds = _open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)  # a socket collected while still open
        result = bw.measure(centre.base_url + UPLOAD, token=TOKEN, duration_s=1.0, warmup_s=0.3, streams=2)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
    assert result.mean_mbps > 0
    assert result.bytes_sent > 4 * 1024 * 1024, "expected several POSTs, each on its own connection"
    assert 0 < result.bytes_counted <= received.total
    if fds is not None:
        # The in-process centre closes its side of the last connections a moment later.
        deadline = time.monotonic() + 3
        while _open_fds() != fds and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _open_fds() == fds


def test_cli_json_stores_the_result(run: Any, centre: CentreServer) -> None:
    site_init(run, centre.base_url + "/")
    code, doc = run.json("bandwidth", "--duration", "2", "--streams", "2", env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert code == 0, doc["errors"]
    assert doc["command"] == "bandwidth"
    assert doc["status"] == "ok"
    assert doc["errors"] == []
    data = doc["data"]
    assert set(data) >= {"url", "streams", "duration_s", "mean_mbps", "p10_mbps", "windows", "carries",
                         "cameras_on_site", "verdict"}
    assert data["url"] == centre.base_url + UPLOAD
    assert data["streams"] == 2
    assert data["mean_mbps"] > 0
    assert data["p10_mbps"] <= data["mean_mbps"]
    assert len(data["windows"]) == 2
    assert data["cameras_on_site"] == 0
    assert data["carries"] == bw.cameras_carried(data["p10_mbps"], data["cap_kbps"])
    with Store(Paths.from_env().store_file) as store:
        site = store.get_site("MN-TTO")
        assert site is not None
        stored = store.latest_bandwidth(site.id)
    assert stored is not None
    assert stored["mean_mbps"] == data["mean_mbps"]
    assert stored["p10_mbps"] == data["p10_mbps"]
    assert stored["streams"] == 2
    assert stored["url"] == data["url"]


def test_cli_human_output(run: Any, centre: CentreServer) -> None:
    result = run("bandwidth", "--url", centre.base_url + UPLOAD, "--duration", "1", "--streams", "1",
                 env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "10th percentile" in result.stdout
    assert "(site has 0)" in result.stdout


def test_wrong_token_exits_5(run: Any, centre: CentreServer) -> None:
    code, doc = run.json("bandwidth", "--url", centre.base_url + UPLOAD, "--duration", "1",
                         env={"KITCHENCAM_CENTRE_TOKEN": "wrong"})
    assert code == 5
    assert doc["status"] == "error"
    assert doc["errors"][0]["code"] == "AuthFailed"
    assert "KITCHENCAM_CENTRE_TOKEN" in str(doc["errors"][0])
    assert "wrong" not in str(doc)


def test_centre_down_exits_4(run: Any) -> None:
    down = CentreServer(IP, 0, token=TOKEN, faults=["down"])
    down.start()
    try:
        code, doc = run.json("bandwidth", "--url", down.base_url + UPLOAD, "--duration", "1",
                             env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    finally:
        down.stop()
    assert code == 4
    assert doc["errors"][0]["code"] == "Unreachable"


def test_server_error_is_reported_with_its_status(run: Any) -> None:
    broken = CentreServer(IP, 0, token=TOKEN, faults=["500"])
    broken.start()
    try:
        code, doc = run.json("bandwidth", "--url", broken.base_url + UPLOAD, "--duration", "1",
                             env={"KITCHENCAM_CENTRE_TOKEN": TOKEN})
    finally:
        broken.stop()
    assert code == 1
    assert "500" in doc["errors"][0]["message"]


def test_no_site_and_no_url_is_a_usage_error(run: Any) -> None:
    code, doc = run.json("bandwidth", "--duration", "1")
    assert code == 2
    assert "--url" in doc["errors"][0]["message"]


def test_url_credentials_are_not_kept() -> None:
    target = bw._target("http://user:secret@127.0.0.93:8000/api/v1/bandwidth/upload", True)
    assert target.safe_url == "http://127.0.0.93:8000/api/v1/bandwidth/upload"


def test_carries_arithmetic() -> None:
    # 4096 kbit/s x 1.1 x 1.3 = 5857.28 kbit/s per camera: 20 Mbit/s carries 3, 23.43 carries 4.
    assert bw.cameras_carried(20.0, 4096) == 3
    assert bw.cameras_carried(4 * 4096 * PROTOCOL_OVERHEAD * HEADROOM / 1000, 4096) == 4
    assert bw.cameras_carried(23.42, 4096) == 3
    assert bw.cameras_carried(0.0, 4096) == 0
    result = bw.BandwidthResult(url="http://x/", streams=1, duration_s=1, warmup_s=0, mean_mbps=25, p10_mbps=20,
                                windows=[20, 30], bytes_counted=1, bytes_sent=1)
    bw.assess(result, 4096, 4)
    assert result.carries == 3
    assert result.verdict
    assert "4 camera(s)" in result.verdict
    bw.assess(result, 4096, 3)
    assert result.verdict
    assert result.verdict.startswith("Enough")


def test_percentile() -> None:
    assert bw.percentile([10.0, 20.0], 0.10) == pytest.approx(11.0)
    assert bw.percentile([5.0], 0.10) == 5.0
    assert bw.percentile([], 0.10) == 0.0
