"""Sustained upload test: how much the school's line really carries, and how many cameras that is.

N threads each POST a generated body (a large Content-Length, streamed in 64 KiB chunks) to the
centre's ``/api/v1/bandwidth/upload`` for the whole test, starting a new POST when one finishes.
After a warm-up that is not counted, the main thread samples the bytes delivered so far at every
1-second boundary; a window is the difference between two samples over the time between them.

"Delivered" is what the centre's TCP acknowledged (Linux ``TCP_INFO`` ``tcpi_bytes_acked``, read
on a duplicate of each connection's descriptor so a connection closed by http.client can still
be read). Counting the bytes handed to the socket instead runs ahead of the wire by whatever sits
in the send buffer (megabytes, seconds on a slow line) and moves in 64 KiB steps, which on a
2 Mbit/s line is a quarter of a window: the 10th percentile came out 18% low on a shaped link
(docs/reference/cli.md). Where ``TCP_INFO`` is not available (not Linux) the bytes handed to the
socket are counted, and ``counted_by`` says so. The test stops at a hard deadline: the main
thread shuts every socket down and joins every thread.

A speed-test burst overstates a shared school uplink; the 10th percentile of the 1 s windows is
what the cameras can count on, so ``carries`` uses it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

from kitchencam.errors import AuthFailed, KitchencamError, Unreachable, UsageError
from kitchencam.i18n import _
from kitchencam.uplink import cameras_carried, uplink_warning

CHUNK = 64 * 1024
#: Bytes per POST (under the centre's 1 GiB limit); a new POST starts when one is sent.
BODY_BYTES = 32 * 1024 * 1024
CONNECT_TIMEOUT = 5.0
#: A send that makes no progress for this long means the line is gone.
IO_TIMEOUT = 10.0
#: Seconds not counted at the start (the CLI reads it here, tests shorten it).
WARMUP_S = 2.0
#: The workers' own deadline, this long after the last sample is due: the line stays full until the
#: main thread takes that sample (and then stops them itself).
_GRACE_S = 1.0
#: Seconds between samples for the live gauge.
_TICK_S = 0.25
_PAYLOAD = bytes(range(256)) * (CHUNK // 256)

#: progress(elapsed_s, total_s, current_mbps, warming_up)
Progress = Callable[[float, float, float, bool], None]


class BandwidthResult(BaseModel):
    """One upload test (docs/reference/cli.md, `kitchencam bandwidth`)."""

    url: str
    streams: int
    duration_s: float
    warmup_s: float
    mean_mbps: float
    p10_mbps: float
    windows: list[float]
    bytes_counted: int
    bytes_sent: int
    counted_by: Literal["tcp_acked", "socket_send"] = "tcp_acked"
    cap_kbps: int | None = None
    carries: int | None = None
    cameras_on_site: int | None = None
    verdict: str | None = None


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    safe_url: str
    verify_tls: bool


def _target(url: str, verify_tls: bool) -> _Target:
    split = urlsplit(url)
    if split.scheme not in ("http", "https") or not split.hostname:
        raise UsageError(_("Not an http(s) URL: {url}").format(url=url))
    try:
        port = split.port or (443 if split.scheme == "https" else 80)
    except ValueError:
        raise UsageError(_("Not an http(s) URL: {url}").format(url=url)) from None
    host = split.hostname
    shown_host = f"[{host}]" if ":" in host else host
    netloc = f"{shown_host}:{split.port}" if split.port else shown_host
    path = (split.path or "/") + (f"?{split.query}" if split.query else "")
    return _Target(split.scheme, host, port, path, f"{split.scheme}://{netloc}{path}", verify_tls)


def _connection(t: _Target, timeout: float) -> http.client.HTTPConnection:
    if t.scheme == "https":
        ctx = ssl.create_default_context()
        if not t.verify_tls:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(t.host, t.port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(t.host, t.port, timeout=timeout)


def _network_error(t: _Target, exc: BaseException) -> KitchencamError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return KitchencamError(
            _("The centre's TLS certificate was not accepted: {reason}").format(reason=exc.verify_message),
            target=t.safe_url,
            hint=_("Ask the district for the right address, or set centre.verify_tls: false in the site config "
                   "if they say so."))
    return Unreachable(
        _("No answer from {url}: {reason}").format(url=t.safe_url, reason=exc or type(exc).__name__),
        target=t.safe_url,
        hint=_("Check the school's internet connection and the centre address (--url or centre.url in the site "
               "config), then run the test again."))


def _status_error(t: _Target, status: int, body: bytes) -> KitchencamError:
    detail = body[:300].decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
            detail = parsed["message"]
    except ValueError:
        pass
    if status in (401, 403):
        return AuthFailed(_("The centre refused the token (HTTP {status}).").format(status=status), target=t.safe_url,
                          hint=_("Set KITCHENCAM_CENTRE_TOKEN to the token the district gave you."))
    return KitchencamError(
        _("The centre answered HTTP {status} to the upload test: {detail}").format(status=status, detail=detail or "-"),
        target=t.safe_url)


def _headers(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/octet-stream", "User-Agent": "kitchencam-bandwidth"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _preflight(t: _Target, token: str | None) -> None:
    """An empty POST first: a wrong token or address gets a clear answer before the body flows."""
    conn = _connection(t, CONNECT_TIMEOUT)
    try:
        conn.request("POST", t.path, body=b"", headers={**_headers(token), "Content-Length": "0"})
        resp = conn.getresponse()
        body = resp.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        raise _network_error(t, exc) from None
    finally:
        conn.close()
    if not 200 <= resp.status < 300:
        raise _status_error(t, resp.status, body)


# Linux <linux/tcp.h> struct tcp_info: __u64 tcpi_bytes_acked (RFC 4898 ThruOctetsAcked, since
# Linux 4.1) sits after 8 x __u8, 24 x __u32 and 2 x __u64. Other systems' tcp_info differ.
_TCP_INFO: int | None = getattr(socket, "TCP_INFO", None) if sys.platform.startswith("linux") else None
_BYTES_ACKED_AT = 120
_TCP_INFO_LEN = 256


def _tcp_acked(sock: socket.socket) -> int | None:
    """Bytes of this connection its peer has acknowledged, or None where the kernel does not say."""
    if _TCP_INFO is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO, _TCP_INFO_LEN)
    except OSError:
        return None
    if len(info) < _BYTES_ACKED_AT + 8:
        return None
    acked: int = struct.unpack_from("=Q", info, _BYTES_ACKED_AT)[0]
    return acked


class _Probe:
    """Bytes delivered over one TCP connection: acknowledged by the peer, else handed to the socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.handed = 0
        self.delivered = 0
        self.watch: socket.socket | None = None
        self.base = 0
        if _TCP_INFO is not None:
            # A duplicate descriptor of the same connection: http.client may close its own (a
            # centre that answers "Connection: close") while the sampler still reads this one.
            try:
                watch = socket.fromfd(sock.fileno(), sock.family, sock.type)
            except OSError:
                return
            base = _tcp_acked(watch)
            if base is None:
                watch.close()
            else:
                self.watch, self.base = watch, base

    def read(self) -> int:
        if self.watch is None:
            return self.handed
        acked = _tcp_acked(self.watch)
        if acked is not None:  # never backwards (a read that failed keeps the last value)
            self.delivered = max(self.delivered, acked - self.base)
        return self.delivered

    def close(self) -> None:
        if self.watch is not None:
            self.watch.close()
            self.watch = None


class _Delivered:
    """Bytes delivered and sent over every connection of the test; shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: list[_Probe] = []
        self.retired = 0
        self.sent = 0
        self.acked_everywhere = True

    def watch(self, sock: socket.socket) -> _Probe:
        probe = _Probe(sock)
        with self.lock:
            self.live.append(probe)
            if probe.watch is None:
                self.acked_everywhere = False
        return probe

    def add_sent(self, probe: _Probe, n: int) -> None:
        with self.lock:
            probe.handed += n
            self.sent += n

    def retire(self, probe: _Probe) -> None:
        """The connection is done with: keep what it delivered, let its descriptor go."""
        with self.lock:
            if probe in self.live:
                self.live.remove(probe)
                self.retired += probe.read()
                probe.close()

    def total(self) -> int:
        with self.lock:
            return self.retired + sum(probe.read() for probe in self.live)


class _Run:
    def __init__(self, t: _Target, token: str | None, delivered: _Delivered, deadline: float) -> None:
        self.t = t
        self.headers = {**_headers(token), "Content-Length": str(BODY_BYTES)}
        self.delivered = delivered
        self.deadline = deadline
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.conns: set[http.client.HTTPConnection] = set()
        self.error: KitchencamError | None = None

    def over(self) -> bool:
        return self.stop.is_set() or time.monotonic() >= self.deadline

    def fail(self, error: KitchencamError) -> None:
        with self.lock:
            if self.error is None:
                self.error = error
        self.stop.set()

    def worker(self) -> None:
        conn = _connection(self.t, CONNECT_TIMEOUT)
        with self.lock:
            self.conns.add(conn)
        probe: _Probe | None = None
        try:
            while not self.over():
                conn.putrequest("POST", self.t.path, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                conn.endheaders()
                if conn.sock is None:  # endheaders connects; None would be an http.client change
                    raise OSError("no socket after sending the request headers")
                conn.sock.settimeout(IO_TIMEOUT)
                if probe is None:
                    probe = self.delivered.watch(conn.sock)
                left = BODY_BYTES
                view = memoryview(_PAYLOAD)
                while left > 0:
                    if self.over():
                        return  # the connection is closed below; the centre drops the short body
                    n = min(CHUNK, left)
                    conn.send(view[:n])
                    left -= n
                    self.delivered.add_sent(probe, n)
                resp = conn.getresponse()
                body = resp.read(65536)
                if conn.sock is not probe.sock:  # the centre closed it; the next POST reconnects
                    self.delivered.retire(probe)
                    probe = None
                if not 200 <= resp.status < 300:
                    self.fail(_status_error(self.t, resp.status, body))
                    return
        except (OSError, http.client.HTTPException) as exc:
            if not self.over():  # errors after the deadline are our own shutdown
                self.fail(_network_error(self.t, exc))
        finally:
            if probe is not None:
                self.delivered.retire(probe)
            with self.lock:
                self.conns.discard(conn)
            conn.close()

    def abort(self) -> None:
        """Unblock every thread stuck in a send: shut the sockets down."""
        self.stop.set()
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def assess(result: BandwidthResult, cap_kbps: int, cameras_on_site: int) -> BandwidthResult:
    """Fill ``carries`` and the verdict for the profile's bitrate cap and the site's cameras."""
    result.cap_kbps = cap_kbps
    result.cameras_on_site = cameras_on_site
    result.carries = cameras_carried(result.p10_mbps, cap_kbps)
    if cameras_on_site <= 0:
        result.verdict = _("No cameras are recorded for this site yet (kitchencam discover); the line carries "
                           "{n} camera(s).").format(n=result.carries)
    elif result.carries >= cameras_on_site:
        result.verdict = _("Enough: the line carries the site's {m} camera(s) with headroom.").format(
            m=cameras_on_site)
    else:
        result.verdict = uplink_warning(cap_kbps, cameras_on_site, result.p10_mbps) or ""
    return result


def measure(url: str, *, token: str | None, duration_s: float = 20.0, warmup_s: float = WARMUP_S,
            streams: int = 2, verify_tls: bool = True, progress: Progress | None = None,
            cap_kbps: int | None = None, cameras_on_site: int | None = None) -> BandwidthResult:
    """Upload for ``warmup_s + duration_s`` over ``streams`` connections; see the module doc."""
    if not 1 <= streams <= 4:
        raise UsageError(_("--streams must be 1 to 4."))
    if duration_s < 1:
        raise UsageError(_("--duration must be at least 1 second."))
    t = _target(url, verify_tls)
    _preflight(t, token)
    start = time.monotonic()
    count_from = start + max(0.0, warmup_s)
    count_until = count_from + duration_s
    full = int(duration_s + 1e-9)
    partial = duration_s - full
    # Sample at the start of the counted part, at every whole second, and at its end.
    boundaries = [count_from + k for k in range(full + 1)] + ([count_until] if partial > 1e-9 else [])
    delivered = _Delivered()
    run = _Run(t, token, delivered, count_until + _GRACE_S)
    threads = [threading.Thread(target=run.worker, name=f"bandwidth-{i}", daemon=True) for i in range(streams)]
    for thread in threads:
        thread.start()
    total = count_until - start
    samples: list[tuple[float, int]] = []
    gauge_t, gauge_bytes, mbps = start, 0, 0.0
    next_tick = start + _TICK_S
    try:
        while len(samples) < len(boundaries) and not run.stop.is_set():
            now = time.monotonic()
            if now >= boundaries[len(samples)]:
                samples.append((now, delivered.total()))
                continue
            if now >= next_tick:
                next_tick = now + _TICK_S
                done = delivered.total()
                if now - gauge_t >= 0.9:
                    mbps = (done - gauge_bytes) * 8 / 1e6 / (now - gauge_t)
                    gauge_t, gauge_bytes = now, done
                if progress is not None:
                    progress(min(now - start, total), total, mbps, now < count_from)
            time.sleep(max(0.0, min(boundaries[len(samples)], next_tick) - time.monotonic()))
    finally:
        run.abort()
        for thread in threads:
            thread.join(timeout=IO_TIMEOUT)
    if run.error is not None:
        raise run.error
    windows = []
    for k in range(len(samples) - 1):
        (t0, b0), (t1, b1) = samples[k], samples[k + 1]
        nominal = boundaries[k + 1] - boundaries[k]
        # A window the sampler overslept into a sliver says nothing; the partial tail only from 0.5 s.
        if t1 - t0 >= 0.5 * nominal and nominal >= 0.5:
            windows.append((b1 - b0) * 8 / 1e6 / (t1 - t0))
    (first_t, first_b), (last_t, last_b) = samples[0], samples[-1]
    counted = last_b - first_b
    result = BandwidthResult(
        url=t.safe_url, streams=streams, duration_s=duration_s, warmup_s=warmup_s,
        mean_mbps=round(counted * 8 / 1e6 / max(last_t - first_t, 1e-6), 3),
        p10_mbps=round(percentile(windows, 0.10), 3), windows=[round(w, 3) for w in windows],
        bytes_counted=counted, bytes_sent=delivered.sent,
        counted_by="tcp_acked" if delivered.acked_everywhere else "socket_send")
    if cap_kbps is not None:
        assess(result, cap_kbps, cameras_on_site or 0)
    return result
