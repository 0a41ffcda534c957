"""A simulated camera's dial-out: it connects to the centre its vendor settings name, and stays connected.

One :class:`DialOutSupervisor` per :class:`~kitchencam.sim.camera.SimCamera` with a vendor API,
started and stopped with the camera (and across its simulated reboots). Every ``poll_interval``
seconds it reads the camera's outbound registrations (``dialouts(camera)`` of
:mod:`kitchencam.sim.dahua_api` / :mod:`kitchencam.sim.hikvision_api`) and keeps one link per
enabled entry:

* ``gb28181``: :class:`kitchencam.sim.gb28181.SipDevice` (SIP REGISTER with Digest, keepalive
  MESSAGE) to the configured registrar, with the configured server ID, domain and password;
* ``auto-register`` (Dahua) and ``isup`` (Hikvision): the TCP stand-in handshake of
  :mod:`kitchencam.sim.dialin` (the real protocols are proprietary; see that module).

A disabled entry closes its link (a ``bye`` / an unregistration); a changed one reconnects.
Each link writes its state to ``camera.vendor_state[DIALOUT_STATUS][kind]``:
``online`` (the centre accepted it and answers keepalives), ``refused`` (the centre said no: wrong
key, password or device ID), ``unreachable`` (no answer, connection refused, or a target the
simulator will not dial), ``offline`` (not enabled). Failed attempts are retried with a bounded
backoff (:data:`FIRST_BACKOFF` doubling to ``max_backoff``). Every socket has a timeout; every
thread ends on ``stop()``.

The simulator only dials IPv4 loopback addresses (127.0.0.0/8), given as literals: a camera
configured with a hostname or any other address reports ``unreachable`` without sending anything.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from kitchencam.sim import dahua_api, hikvision_api
from kitchencam.sim.dialin import (
    NONCE,
    PROTOCOL_VERSION,
    Closed,
    LineReader,
    ProtocolError,
    decode,
    encode,
    isup_mac,
    text_field,
)
from kitchencam.sim.gb28181 import DEVICE_ID as GB_DEVICE_ID
from kitchencam.sim.gb28181 import SipDevice
from kitchencam.sim.vendorapi import DIALOUT_STATUS, DialOut, SimDevice

logger = logging.getLogger(__name__)

#: Where each vendor's camera keeps its outbound registrations.
DIALOUTS: dict[str, Callable[[SimDevice], list[DialOut]]] = {
    "dahua": dahua_api.dialouts,
    "hikvision": hikvision_api.dialouts,
}
STAND_IN_KINDS = ("auto-register", "isup")
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 2.0
#: Keepalive seconds the camera accepts from a centre's welcome (clamped into this range).
KEEPALIVE_RANGE = (0.1, 300.0)


def target_of(dialout: DialOut) -> tuple[str, int] | None:
    """(ip, port) the simulator may dial for this entry, or None (not an IPv4 loopback literal)."""
    try:
        ip = ipaddress.IPv4Address(dialout.host)
    except ValueError:
        return None
    if not ip.is_loopback or not 1 <= dialout.port <= 65535:
        return None
    return str(ip), dialout.port


class _Link:
    """One outbound registration kept alive by its own thread."""

    def __init__(self, supervisor: DialOutSupervisor, config: DialOut) -> None:
        self.supervisor = supervisor
        self.config = config
        self.stop_event = threading.Event()
        self.graceful = True
        self.last_error: str | None = None
        self.thread = threading.Thread(target=self._guarded, daemon=True,
                                       name=f"dialout-{config.kind}-{supervisor.camera_ip}")

    def start(self) -> None:
        self.thread.start()

    def signal_stop(self, graceful: bool) -> None:
        self.graceful = graceful
        self.stop_event.set()

    def join(self, timeout: float) -> None:
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def status(self, word: str) -> None:
        if not self.stop_event.is_set() or word == "offline":
            self.supervisor.write_status(self.config.kind, word)

    def _guarded(self) -> None:
        backoff = FIRST_BACKOFF
        while not self.stop_event.is_set():
            try:
                was_online = self.run_once()
            except Exception:  # a link never takes the camera down; logged, and retried
                logger.exception("dial-out %s of %s failed", self.config.kind, self.supervisor.camera_ip)
                was_online = False
                self.status("unreachable")
            backoff = FIRST_BACKOFF if was_online else min(backoff * 2, self.supervisor.max_backoff)
            self.stop_event.wait(FIRST_BACKOFF if was_online else backoff)

    def run_once(self) -> bool:
        """One attempt (and session, if accepted); True when it had been online."""
        raise NotImplementedError


class _StandInLink(_Link):
    """Dahua Auto Register / Hikvision ISUP through the stand-in handshake (kitchencam/sim/dialin.py)."""

    def run_once(self) -> bool:
        cfg = self.config
        sup = self.supervisor
        target = target_of(cfg)
        if target is None:
            self.last_error = f"will not dial {cfg.host!r}:{cfg.port} (the simulator dials IPv4 loopback only)"
            self.status("unreachable")
            return False
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(sup.timeout)
            try:
                sock.bind((sup.camera_ip, 0))  # the centre sees the camera's own address
                sock.connect(target)
            except OSError as exc:
                self.last_error = f"connect to {target[0]}:{target[1]}: {exc}"
                self.status("unreachable")
                return False
            return self._session(sock)
        except (OSError, ProtocolError, TimeoutError, Closed) as exc:
            self.last_error = str(exc) or type(exc).__name__
            if not self.stop_event.is_set():
                self.status("unreachable")
            return False
        finally:
            sock.close()

    def _session(self, sock: socket.socket) -> bool:
        cfg, sup, camera = self.config, self.supervisor, self.supervisor.camera
        reader = LineReader(sock, self.stop_event)
        sock.sendall(encode({"op": "hello", "v": PROTOCOL_VERSION, "kind": cfg.kind, "device_id": cfg.device_id[:64],
                             "serial": camera.serial[:64], "model": camera.persona.model[:64]}))
        deadline = time.monotonic() + sup.timeout
        answer = decode(reader.line(deadline))
        if cfg.kind == "isup" and answer.get("op") == "challenge":
            nonce = text_field(answer, "nonce", 32)
            if nonce is None or not NONCE.match(nonce):
                raise ProtocolError("bad ISUP challenge")
            sock.sendall(encode({"op": "auth", "mac": isup_mac(cfg.secret or "", nonce, cfg.device_id[:64])}))
            answer = decode(reader.line(deadline))
        if answer.get("op") == "refused":
            self.last_error = f"refused: {text_field(answer, 'reason', 64)}"
            self.status("refused")
            return False
        keepalive = answer.get("keepalive")
        if answer.get("op") != "welcome" or not isinstance(keepalive, (int, float)) or isinstance(keepalive, bool):
            raise ProtocolError(f"unexpected answer {str(answer.get('op'))[:32]!r}")
        interval = min(max(float(keepalive), KEEPALIVE_RANGE[0]), KEEPALIVE_RANGE[1])
        self.status("online")
        seq = 0
        next_keepalive = time.monotonic() + interval
        ack_due: float | None = None
        while True:
            wake = next_keepalive if ack_due is None else min(next_keepalive, ack_due)
            try:
                message = decode(reader.line(wake))
            except TimeoutError:
                now = time.monotonic()
                if ack_due is not None and now >= ack_due:
                    raise TimeoutError("keepalive not acknowledged") from None
                if now >= next_keepalive:
                    seq += 1
                    sock.sendall(encode({"op": "keepalive", "seq": seq}))
                    ack_due = now + sup.timeout
                    next_keepalive = now + interval
                continue
            except Closed:
                if self.stop_event.is_set():
                    if self.graceful:
                        with contextlib.suppress(OSError):
                            sock.sendall(encode({"op": "bye"}))
                    return True
                raise
            if message.get("op") == "ack" and message.get("seq") == seq:
                ack_due = None
            elif message.get("op") == "refused":
                self.status("refused")
                return True


class _SipLink(_Link):
    """GB/T 28181 through the SIP client of kitchencam/sim/gb28181.py."""

    def run_once(self) -> bool:
        cfg, sup = self.config, self.supervisor
        target = target_of(cfg)
        server_id = cfg.server_id or ""
        domain = cfg.domain or server_id[:10]
        if target is None or not GB_DEVICE_ID.match(server_id):
            self.last_error = "no loopback registrar or no 20-digit server ID configured"
            self.status("unreachable")
            return False
        device = SipDevice(target, server_id=server_id, domain=domain, device_id=cfg.device_id,
                           password=cfg.secret or "", local_ip=sup.camera_ip, keepalive_interval=sup.sip_keepalive,
                           timeout=sup.timeout, retry_interval=FIRST_BACKOFF * 4, max_failures=3)
        was_online = False
        device.start()
        try:
            while not self.stop_event.is_set():
                st = device.status
                if st.registered:
                    was_online = True
                    self.status("online")
                elif st.last_status is not None and st.last_status >= 400:
                    self.status("refused")
                elif st.failures or st.gave_up:
                    self.status("unreachable")
                if st.gave_up:
                    self.last_error = st.last_error
                    break
                self.stop_event.wait(0.05)
        finally:
            device.stop(unregister=self.graceful)
        return was_online


class DialOutSupervisor:
    """Keeps a camera's configured dial-outs connected; ``start()`` / ``stop()``, restartable."""

    def __init__(self, camera: Any, *, poll_interval: float = 0.5, timeout: float = 2.0,
                 max_backoff: float = MAX_BACKOFF, sip_keepalive: float = 60.0) -> None:
        self.camera = camera
        self.read = DIALOUTS[camera.persona.vendor_api]
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.sip_keepalive = sip_keepalive
        self.links: dict[str, _Link] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    @property
    def camera_ip(self) -> str:
        return str(self.camera.ip)

    @staticmethod
    def supports(camera: Any) -> bool:
        return camera.persona.vendor_api in DIALOUTS

    def start(self) -> None:
        with self._lifecycle:
            if self._thread is not None:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, daemon=True, name=f"dialout-{self.camera_ip}")
            self._thread.start()

    def stop(self, graceful: bool = True) -> None:
        """End every link (``graceful``: say bye / unregister; a reboot just drops) and the thread."""
        with self._lifecycle:
            self._stop.set()
            thread, self._thread = self._thread, None
            if thread is not None and thread is not threading.current_thread():
                thread.join(self.poll_interval + 2)
            links, self.links = self.links, {}
            for link in links.values():
                link.signal_stop(graceful)
            for link in links.values():
                link.join(self.timeout + 3)
                self.write_status(link.config.kind, "offline")

    def write_status(self, kind: str, word: str) -> None:
        with self.camera._lock:
            statuses = self.camera.vendor_state.setdefault(DIALOUT_STATUS, {})
            statuses[kind] = word

    def _run(self) -> None:
        stop = self._stop
        while not stop.is_set():
            try:
                self.reconcile(self.read(self.camera))
            except Exception:  # bad vendor state must not end the camera's dial-out for good
                logger.exception("dial-out supervisor of %s could not read its settings", self.camera_ip)
            stop.wait(self.poll_interval)

    def reconcile(self, wanted: list[DialOut]) -> None:
        """Make the running links match ``wanted``: close disabled or changed ones, open new ones."""
        enabled = {d.kind: d for d in wanted if d.enabled}
        for kind in [k for k, running in self.links.items() if enabled.get(k) != running.config]:
            link = self.links.pop(kind)
            link.signal_stop(graceful=True)
            link.join(self.timeout + 3)
            self.write_status(kind, "offline")
        for kind, config in enabled.items():
            if kind in self.links or self._stop.is_set():
                continue
            if kind == "gb28181":
                self.links[kind] = _SipLink(self, config)
            elif kind in STAND_IN_KINDS:
                self.links[kind] = _StandInLink(self, config)
            else:
                continue  # hik-connect: a cloud the simulator does not reach
            self.links[kind].start()
