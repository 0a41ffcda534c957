"""Connecting each camera to the centre's platform, and proving it online (issue 15).

Schools sit behind NAT: the camera dials out. ``register`` writes the camera's dial-out settings
through its vendor API (``VendorAdapter.set_registration``; the registration as it was is kept
in the store first, for ``rollback``), reads them back, then waits (bounded) until the camera
says it is registered (where its API says so) and the centre says it is online
(``GET /api/v1/connections/{device_id}``, docs/reference/centre-api.yaml). A camera configured
but not online gets its own diagnosis: wrong host/port in the read-back, the centre's refusal of
its device ID or key, a clock far off, the platform unreachable from this laptop.

Prints nothing: kitchencam/cli/ renders the models returned here.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, SecretStr

from kitchencam.errors import (
    CentreAuthFailed,
    CentreUnreachable,
    ClockSkew,
    DeviceFault,
    KitchencamError,
    NotSupported,
    Unreachable,
)
from kitchencam.i18n import _, current_language
from kitchencam.models import ErrorItem, Facts, Registration
from kitchencam.settings import KIND_METHOD, METHOD_KIND, Connection
from kitchencam.vendors.base import RegistrationTarget, VendorAdapter

#: How far the camera's clock may be from the laptop's before it is named as a cause (seconds).
CLOCK_LIMIT_S = 300.0
POLL_S = 1.0
#: Seconds to wait for a camera that drops off after the change (it reboots) to answer again.
REBOOT_WAIT_S = 60.0
PROBE_TIMEOUT_S = 3.0

#: The name each method goes by in the vendors' own pages.
METHOD_NAMES = {"dahua-auto-register": "Auto Register", "hikvision-isup": "ISUP (EHome)",
                "hik-connect": "Hik-Connect", "gb28181": "GB/T 28181"}
METHOD_OWNER = {"dahua-auto-register": "Dahua", "hikvision-isup": "Hikvision", "hik-connect": "Hikvision"}


class ReadBackSeen(BaseModel):
    """The dial-out settings as the camera holds them after the change (never a secret)."""

    enabled: bool | None = None
    host: str | None = None
    port: int | None = None
    device_id: str | None = None
    status: str | None = None  # the camera's own word (Hikvision registerStatus), if its API says it


class CameraConnection(BaseModel):
    """One camera's dial-out in one run (docs/reference/json.md, ``register``'s ``connections``)."""

    target: str
    serial: str | None = None
    method: str
    device_id: str | None = None
    host: str | None = None
    port: int | None = None
    state: str = "failed"  # "online", "not-online", "refused-method", "failed"
    configured: bool | None = None  # the read-back matched what was written
    read_back: ReadBackSeen | None = None
    online: bool | None = None  # the centre's word (None: it could not be asked)
    via: str | None = None
    last_seen: str | None = None
    last_refusal: str | None = None
    waited_s: float = 0.0
    reboots_waited: int = 0
    backup_saved: bool = False
    diagnosis: list[str] = []
    error: ErrorItem | None = None


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    word = " hoặc " if current_language() == "vi" else " or "
    return ", ".join(items[:-1]) + word + items[-1]


def method_refusal(method: str, vendor_label: str, kinds: tuple[str, ...] | list[str]) -> str | None:
    """Why this camera cannot do ``method`` and what it can do; None when it can."""
    kind = METHOD_KIND.get(method)
    if kind is None or kind in kinds:
        return None
    can = [KIND_METHOD[k] for k in kinds if k in KIND_METHOD]
    name = METHOD_NAMES.get(method, method)
    owner = METHOD_OWNER.get(method)
    if not can:
        return _("This {vendor} camera's API cannot set any dial-out kitchencam knows: set {name} in the camera's "
                 "web page, or ask the centre for another way in.").format(vendor=vendor_label, name=name)
    if owner and owner.lower() != vendor_label.lower():
        return _("{name} is {owner}'s; this {vendor} camera can do {methods}. Ask the centre which of those it "
                 "takes, then set centre.connection.method.").format(name=name, owner=owner, vendor=vendor_label,
                                                                    methods=_or_list(can))
    return _("This {vendor} camera cannot do {name} through its API; it can do {methods}.").format(
        vendor=vendor_label, name=name, methods=_or_list(can))


def target_for(connection: Connection, device_id: str, secret: str | None) -> RegistrationTarget:
    kind = METHOD_KIND[connection.method]
    return RegistrationTarget(kind=kind, enabled=True, server=connection.host, port=connection.port,  # type: ignore[arg-type]
                              device_id=device_id, secret=SecretStr(secret) if secret else None,
                              server_id=connection.server_id, domain=connection.domain,
                              protocol_version=connection.protocol_version)


def _seen(reg: Registration | None) -> ReadBackSeen | None:
    if reg is None:
        return None
    return ReadBackSeen(enabled=reg.enabled, host=reg.server, port=reg.port, device_id=reg.device_id,
                        status=reg.status)


def mismatches(seen: ReadBackSeen | None, want: RegistrationTarget) -> list[str]:
    """What the camera holds that differs from what was written (the read-back)."""
    if seen is None:
        return [_("the camera's API no longer shows the setting")]
    out = []
    if seen.enabled is False:
        out.append(_("enabled: no"))
    if want.server is not None and seen.host is not None and seen.host != want.server:
        out.append(_("host {seen} (should be {want})").format(seen=seen.host, want=want.server))
    if want.port is not None and seen.port is not None and seen.port != want.port:
        out.append(_("port {seen} (should be {want})").format(seen=seen.port, want=want.port))
    if want.device_id and seen.device_id is not None and seen.device_id != want.device_id:
        out.append(_("device ID {seen} (should be {want})").format(seen=seen.device_id, want=want.device_id))
    return out


def probe_tcp(host: str, port: int, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """One TCP connect from this laptop to the platform: None when it connects, else the reason."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def clock_offset_s(facts: Facts | None, now: datetime | None = None) -> float | None:
    """The camera's clock minus ours, from the read (ONVIF GetSystemDateAndTime)."""
    if facts is None or facts.time is None:
        return None
    if facts.time.clock_offset_s is not None:
        return facts.time.clock_offset_s
    if facts.time.utc is None:
        return None
    return (facts.time.utc - (now or facts.read_at)).total_seconds()


def _refusal_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("reason") or value.get("message") or value.get("code") or ""
    text = str(value)
    return text[:200] if text else None


def diagnose(outcome: CameraConnection, want: RegistrationTarget, *, offset_s: float | None,
             reach: Callable[[str, int], str | None] | None, tcp: bool) -> KitchencamError:
    """The causes found for a camera configured but not online, most certain first (what the camera
    holds, the platform not answering from here, the centre's refusal, the clock); fills
    ``outcome.diagnosis`` and returns the error whose exit code the run takes."""
    found: list[KitchencamError] = []
    target = outcome.target
    wrong = mismatches(outcome.read_back, want)
    if wrong:
        found.append(DeviceFault(_("The camera holds other dial-out settings than were written: {what}. Set them in "
                                   "the camera's web page, or run kitchencam register again.").format(
            what="; ".join(wrong)), target=target))
    if reach is not None and tcp and want.server and want.port:
        reason = reach(want.server, want.port)
        if reason is not None:
            found.append(CentreUnreachable(_("The centre's platform {host}:{port} does not answer from this laptop "
                                             "({reason}): check the host and port with the centre, and that the "
                                             "school's internet lets the camera out to it.").format(
                host=want.server, port=want.port, reason=reason), target=target))
    if outcome.last_refusal:
        found.append(CentreAuthFailed(_("The centre refused the camera ({reason}): check the device ID {device_id} "
                                        "with the centre, and the key or password saved with kitchencam site init.")
                                      .format(reason=outcome.last_refusal, device_id=outcome.device_id or "?"),
                                      target=target))
    if offset_s is not None and abs(offset_s) > CLOCK_LIMIT_S:
        found.append(ClockSkew(_("The camera's clock is {minutes:.0f} minutes off: platforms refuse a registration "
                                 "whose time is far off. Run kitchencam provision (it sets the time servers), then "
                                 "register again.").format(minutes=abs(offset_s) / 60), target=target))
    if not found:
        found.append(CentreUnreachable(_("The camera holds the right settings but the centre has not seen it online "
                                         "after {seconds:.0f} s: check that the school's firewall lets the camera "
                                         "out to {host}:{port}, then run kitchencam register --status.").format(
            seconds=outcome.waited_s, host=want.server or "?", port=want.port or "?"), target=target))
    outcome.diagnosis = [e.message for e in found]
    return found[0]


def _read_registration(adapter: VendorAdapter, kind: str, deadline: float) -> tuple[Registration | None, int]:
    """The registration as the camera's API shows it, waiting (bounded) through a reboot."""
    drops = 0
    last: KitchencamError | None = None
    while True:
        try:
            vendor = adapter.read()
            told = vendor.registration(kind)  # type: ignore[arg-type]
            if told is not None:
                return told.value, drops
        except Unreachable as exc:
            last = exc
            drops = 1
        if time.monotonic() >= deadline:
            if last is not None:
                raise last
            return None, drops
        time.sleep(POLL_S)


def connect_camera(*, target: str, serial: str | None, facts: Facts | None, adapter: VendorAdapter | None,
                   vendor_label: str, connection: Connection, device_id: str, secret: str | None,
                   save_backup: Callable[[Registration | None], bool],
                   centre_get: Callable[[str], dict[str, Any]],
                   progress: Callable[[str], None] | None = None,
                   reach: Callable[[str, int], str | None] | None = probe_tcp,
                   wait_s: float | None = None) -> CameraConnection:
    """Write, read back, wait for online; never raises for the camera (its error is in the outcome)."""
    method = connection.method
    outcome = CameraConnection(target=target, serial=serial, method=method, device_id=device_id,
                               host=connection.host, port=connection.port)
    started = time.monotonic()
    want = target_for(connection, device_id, secret)
    try:
        if adapter is None or facts is None or facts.vendor is None:
            raise NotSupported(_("{target}: the camera's vendor API did not answer, so kitchencam cannot set its "
                                 "dial-out: set {name} in the camera's web page.").format(
                target=target, name=METHOD_NAMES.get(method, method)), target=target)
        refusal = method_refusal(method, vendor_label, adapter.registration_kinds)
        if refusal is not None:
            outcome.state = "refused-method"
            raise NotSupported(refusal, target=target)
        told = facts.vendor.registration(want.kind)
        outcome.backup_saved = save_backup(told.value if told is not None else None)  # before any change
        _report(progress, _("{target}: writing {name} to {host}:{port} as {device_id}").format(
            target=target, name=METHOD_NAMES.get(method, method), host=want.server or "-", port=want.port or "-",
            device_id=device_id))
        try:
            adapter.set_registration(want)
        except Unreachable:
            outcome.reboots_waited += 1  # the change answered by a reboot: read back once it answers again
        reg, drops = _read_registration(adapter, want.kind, time.monotonic() + REBOOT_WAIT_S)
        outcome.reboots_waited = max(outcome.reboots_waited, drops)
        outcome.read_back = _seen(reg)
        wrong = mismatches(outcome.read_back, want)
        outcome.configured = not wrong
        if wrong:
            outcome.state = "not-online"
            raise diagnose(outcome, want, offset_s=clock_offset_s(facts), reach=None, tcp=False)
        _wait_online(outcome, adapter, want, centre_get, progress,
                     deadline=time.monotonic() + (wait_s if wait_s is not None else connection.wait_s))
        outcome.waited_s = round(time.monotonic() - started, 1)
        if outcome.online:
            outcome.state = "online"
            return outcome
        outcome.state = "not-online"
        raise diagnose(outcome, want, offset_s=clock_offset_s(facts), reach=reach, tcp=method != "gb28181")
    except KitchencamError as exc:
        outcome.waited_s = round(time.monotonic() - started, 1)
        if outcome.state == "online":
            outcome.state = "failed"
        outcome.error = ErrorItem.from_error(exc)
        if not outcome.diagnosis:
            outcome.diagnosis = [exc.message]
        return outcome


def _report(progress: Callable[[str], None] | None, text: str) -> None:
    if progress is not None:
        progress(text)


def _wait_online(outcome: CameraConnection, adapter: VendorAdapter, want: RegistrationTarget,
                 centre_get: Callable[[str], dict[str, Any]], progress: Callable[[str], None] | None, *,
                 deadline: float) -> None:
    """Poll the centre (and the camera's own word, where its API says it) until both say online."""
    device_id = want.device_id or ""
    camera_status: str | None = None
    rounds = 0
    while True:
        try:
            record = centre_get(device_id)
        except CentreUnreachable:
            record = None
            outcome.online = None
        if record is not None:
            outcome.online = bool(record.get("online"))
            outcome.via = str(record["via"]) if record.get("via") else None
            outcome.last_seen = str(record["last_seen"]) if record.get("last_seen") else None
            outcome.last_refusal = _refusal_text(record.get("last_refusal")) or outcome.last_refusal
        if outcome.online:
            try:
                reg = adapter.read().registration(want.kind)
                camera_status = reg.value.status if reg is not None else None
            except KitchencamError:
                camera_status = None
            if outcome.read_back is not None:
                outcome.read_back.status = camera_status
            if camera_status in (None, "online"):
                return
        if time.monotonic() >= deadline:
            if outcome.online and camera_status not in (None, "online"):
                outcome.online = True  # the centre's word decides; the camera's is shown beside it
            return
        rounds += 1
        if rounds % 5 == 1:  # every 5 s: 20 cameras waiting must not flood the terminal
            _report(progress, _("{target}: waiting for the centre to see {device_id} online ({seconds:.0f} s left)")
                    .format(target=outcome.target, device_id=device_id,
                            seconds=max(0.0, deadline - time.monotonic())))
        time.sleep(POLL_S)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
