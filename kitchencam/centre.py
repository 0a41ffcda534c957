"""Registration with the district centre, through a durable outbox in the store.

A registration is first written to the store (one transaction), then sent. The centre answers:

* 2xx: sent; the centre's device id is kept.
* a network error, a timeout, 5xx or 429: stays queued with the reason and a backoff
  (``BACKOFF_BASE_S`` doubling up to ``BACKOFF_MAX_S``, or the centre's ``Retry-After``); the
  rest of that run is not tried against a centre that cannot be reached.
* 401/403: the token is wrong; everything stays queued and the run stops (exit 5).
* any other 4xx: rejected with the centre's message and the fields it names; never retried
  as it is (a new ``register`` after the fix queues a new item).

Each item carries an ``Idempotency-Key`` derived from the school code, the serial and a digest of
the record, so sending it twice (a reply lost, a process killed after the centre committed) is
harmless: the centre replays its first answer. The camera's centre password never enters the
store: the item names its keyring entry, read just before sending.

Prints nothing; kitchencam/cli/ renders the models returned here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import requests
import urllib3
from pydantic import BaseModel

from kitchencam.connection import CameraConnection, connect_camera
from kitchencam.errors import CentreAuthFailed, CentreRejected, CentreUnreachable, KitchencamError, UsageError
from kitchencam.i18n import _
from kitchencam.inspection import CheckResult, inspect, judge, record, site_facts_from_store
from kitchencam.models import ErrorItem, Facts, Registration
from kitchencam.settings import Connection
from kitchencam.store import Store, registered_endpoint
from kitchencam.targets import centre_secret_key, host_of
from kitchencam.workers import DaemonPool

if TYPE_CHECKING:

    from kitchencam.inspection import DeviceCheck
    from kitchencam.profile import Profile
    from kitchencam.store import DeviceRow, OutboxItem

DEVICES_PATH = "/api/v1/devices"
CONNECTIONS_PATH = "/api/v1/connections"
HEALTH_PATH = "/api/v1/health"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 15.0
BACKOFF_BASE_S = 10.0
BACKOFF_MAX_S = 900.0
#: What the centre's ``compliance.status`` accepts, from our overall word.
COMPLIANCE_STATUS = {"PASS": "PASS", "WARN": "WARN", "FAIL": "FAIL", "INCOMPLETE": "MANUAL", "ERROR": "UNKNOWN"}

State = Literal["sent", "queued", "rejected", "skipped"]


def token_key(site_code: str) -> str:
    """The keyring entry holding the centre's bearer token for a site."""
    return f"centre-token:{site_code}"


def centre_token(site_code: str, secrets_get: Callable[[str], str | None]) -> str | None:
    """``KITCHENCAM_CENTRE_TOKEN`` first, then the keyring (``kitchencam credentials set --centre-token``)."""
    return os.environ.get("KITCHENCAM_CENTRE_TOKEN") or secrets_get(token_key(site_code)) or None


def _utc(seconds_from_now: float = 0.0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)).isoformat(timespec="seconds")


def idempotency_key(school_code: str, serial: str, payload: dict[str, Any]) -> str:
    """Same school, serial and record: same key, so a repeat is a replay at the centre."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"kitchencam:{school_code}:{serial}:{digest}"


def backoff_s(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after ``attempts`` failed ones (1, 2, ...)."""
    wait = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return max(wait, min(retry_after or 0.0, BACKOFF_MAX_S))


# -- the HTTP side ----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    retry_after: float | None = None
    replayed: bool = False


class CentreClient:
    """A keep-alive session to the centre API. Raises CentreUnreachable when nothing comes back."""

    def __init__(self, base_url: str, token: str | None, *, verify_tls: bool = True,
                 timeouts: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts
        self.session = requests.Session()
        self.session.verify = verify_tls
        if not verify_tls:
            # The site config turned verification off on purpose (doctor says so once); not a
            # warning on stderr for each of 200 registrations.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.session.trust_env = False  # a school's proxy settings must not re-route the token
        self.session.headers["User-Agent"] = "kitchencam"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> CentreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, json=body, headers=headers, timeout=self.timeouts,
                                            allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise CentreUnreachable(
                _("The centre's TLS certificate was not accepted ({reason}). If the district uses its own "
                  "certificate, ask for it; set centre.verify_tls: false in the site config only if told to.").format(
                    reason=_short(exc)), target=self.base_url) from None
        except requests.exceptions.Timeout:
            raise CentreUnreachable(_("The centre at {url} did not answer in time.").format(url=self.base_url),
                                    target=self.base_url) from None
        except requests.exceptions.RequestException as exc:
            raise CentreUnreachable(
                _("Cannot reach the centre at {url} ({reason}). Check the school's internet; what is queued "
                  "stays queued: run kitchencam sync later.").format(url=self.base_url, reason=_short(exc)),
                target=self.base_url) from None
        try:
            data = response.json()
        except ValueError:
            data = {"message": response.text[:200]}
        retry_after = response.headers.get("Retry-After")
        return Reply(response.status_code, data, float(retry_after) if retry_after and retry_after.isdigit() else None,
                     replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true")

    def health(self) -> dict[str, Any]:
        reply = self.request("GET", HEALTH_PATH)
        if reply.status != 200:
            raise CentreUnreachable(_("The centre's health check answered HTTP {status}.").format(status=reply.status),
                                    target=self.base_url)
        return reply.body if isinstance(reply.body, dict) else {}

    def devices(self, school_code: str) -> list[dict[str, Any]]:
        reply = self.request("GET", f"{DEVICES_PATH}?school_code={school_code}")
        _raise_for_auth(reply, self.base_url)
        if reply.status >= 500:
            raise CentreUnreachable(_("The centre answered HTTP {status}: {message}").format(
                status=reply.status, message=_message(reply)), target=self.base_url)
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise CentreRejected(_("The centre refused the list of devices: HTTP {status} {message}").format(
                status=reply.status, message=_message(reply)), target=self.base_url)
        return list(reply.body.get("devices") or [])

    def connection(self, device_id: str) -> dict[str, Any]:
        """The centre's word on one device's dial-out: ``online``, ``via``, ``last_seen``, ``last_refusal``
        (``GET /api/v1/connections/{device_id}``, docs/reference/centre-api.yaml)."""
        reply = self.request("GET", f"{CONNECTIONS_PATH}/{quote(device_id, safe='')}")
        _raise_for_auth(reply, self.base_url)
        if reply.status == 404:
            return {"device_id": device_id, "online": False}
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise CentreUnreachable(_("The centre could not say whether {device_id} is online: HTTP {status} "
                                      "{message}").format(device_id=device_id, status=reply.status,
                                                          message=_message(reply)), target=self.base_url)
        return reply.body


def _short(exc: Exception) -> str:
    """The operating system's words ("Connection refused") rather than urllib3's wrapping of them."""

    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if found:
        return found.group(1).strip()
    return text if len(text) <= 160 else text[:157] + "..."


def _message(reply: Reply) -> str:
    body = reply.body if isinstance(reply.body, dict) else {}
    text = str(body.get("message") or body.get("error") or "")
    fields = body.get("fields")
    if isinstance(fields, list) and fields:
        text += " (" + "; ".join(f"{f.get('field')}: {f.get('message')}" for f in fields if isinstance(f, dict)) + ")"
    return text


def _raise_for_auth(reply: Reply, url: str) -> None:
    if reply.status in (401, 403):
        raise CentreAuthFailed(
            _("The centre refused the token (HTTP {status}). Set the district's token in KITCHENCAM_CENTRE_TOKEN, or "
              "save it with: kitchencam credentials set --centre-token").format(status=reply.status), target=url)


# -- building a record ------------------------------------------------------------------------


class Eligibility(BaseModel):
    ok: bool
    reason: str | None = None


def eligibility(check: DeviceCheck, *, has_password: bool, force: bool) -> Eligibility:
    """A camera is sent when it could be read, fails no rule and has its centre account; or when forced."""
    if check.error is not None:
        return Eligibility(ok=False, reason=check.error.message)
    if not check.serial:
        return Eligibility(ok=False, reason=_("The camera gave no serial number; the centre needs one."))
    if force:
        return Eligibility(ok=True)
    # The camera's own rules: the site's (uplink, registration itself) do not hold a camera back.
    failing = [v for v in check.verdicts if v.status == "FAIL" and v.kind != "site"]
    fixable = ", ".join(v.rule for v in failing if v.fixable_by_provision)
    not_fixable = ", ".join(v.rule for v in failing if not v.fixable_by_provision)
    if fixable and not not_fixable:
        return Eligibility(ok=False, reason=_("Fails {rules}: run kitchencam provision, or add --force to send it "
                                              "anyway.").format(rules=fixable))
    if not_fixable and not fixable:  # the camera cannot do it: provisioning is no use
        return Eligibility(ok=False, reason=_("Fails {rules}, which kitchencam provision cannot fix on this camera "
                                              "(see kitchencam check): replace the camera, or add --force to send "
                                              "it anyway.").format(rules=not_fixable))
    if failing:
        return Eligibility(ok=False, reason=_("Fails {fixable} (kitchencam provision fixes these) and {rules} "
                                              "(provision cannot fix these on this camera: see kitchencam check); "
                                              "or add --force to send it anyway.").format(fixable=fixable,
                                                                                          rules=not_fixable))
    if not has_password:
        return Eligibility(ok=False, reason=_("Its centre account is not set up from this computer: run kitchencam "
                                              "provision first (it creates the account and keeps its password)."))
    return Eligibility(ok=True)


def rtsp_urls(facts: Facts) -> list[str]:
    seen: list[str] = []
    for profile in facts.profiles:
        if profile.stream_uri and profile.stream_uri.startswith("rtsp") and profile.stream_uri not in seen:
            seen.append(profile.stream_uri)
    return seen[:16]


def build_record(*, school_code: str, check: DeviceCheck, facts: Facts | None, device: DeviceRow | None,
                 profile: Profile, centre_user: str | None, location: str | None) -> dict[str, Any]:
    """The body of ``POST /api/v1/devices``, without the password (added at send time)."""
    counts = ", ".join(f"{k} {n}" for k, n in check.counts.items() if n)
    name = None
    if facts is not None and facts.hostname is not None:
        name = facts.hostname.name
    record: dict[str, Any] = {
        "school_code": school_code,
        "serial": check.serial,
        "manufacturer": check.manufacturer,
        "model": check.model,
        "mac": check.mac,
        "firmware": check.firmware,
        "name": name or (device.name if device else None),
        "location": location or (device.where_installed() if device else None),
        "onvif_xaddr": check.xaddr,
        "rtsp_urls": rtsp_urls(facts) if facts is not None else [],
        "centre_user": centre_user,
        "compliance": {
            "status": COMPLIANCE_STATUS.get(check.overall, "UNKNOWN"),
            "summary": f"{check.overall}: {counts}" if counts else check.overall,
            "profile": profile.id,
            "checked_at": check.checked_at.isoformat(timespec="seconds"),
            "verdicts": [{"rule": v.rule, "status": v.status} for v in check.verdicts],
        },
    }
    return {k: v for k, v in record.items() if v not in (None, "")}


# -- sending ----------------------------------------------------------------------------------


class Delivery(BaseModel):
    """What happened to one queued registration in one run (docs/reference/json.md)."""

    item_id: int
    target: str
    serial: str
    state: State
    http_status: int | None = None
    centre_device_id: str | None = None
    created: bool | None = None
    replayed: bool = False
    reason: str | None = None
    next_attempt_at: str | None = None
    attempts: int = 0


def deliver(store: Store, items: Iterable[OutboxItem], client: CentreClient,
            secrets_get: Callable[[str], str | None],
            progress: Callable[[Delivery], None] | None = None) -> tuple[list[Delivery], Exception | None]:
    """Send queued items one by one; each outcome is in the store before the next is sent.

    Returns the outcomes and the error that stopped the run early (centre unreachable or the
    token refused), if any; items not tried then stay queued, untouched.
    """
    out: list[Delivery] = []
    stopped: Exception | None = None
    for item in items:
        if stopped is not None:
            out.append(Delivery(item_id=item.id, target=item.target, serial=item.camera_key, state="queued",
                                reason=_("not tried: {reason}").format(reason=stopped), attempts=item.attempts,
                                next_attempt_at=item.next_attempt_at))
            continue
        outcome, stopped = _send_one(store, item, client, secrets_get)
        out.append(outcome)
        if progress is not None:
            progress(outcome)
    return out, stopped


def _send_one(store: Store, item: OutboxItem, client: CentreClient,
              secrets_get: Callable[[str], str | None]) -> tuple[Delivery, Exception | None]:
    base: dict[str, Any] = {"item_id": item.id, "target": item.target, "serial": item.camera_key}
    attempts = item.attempts + 1
    body = dict(item.payload)
    if item.secret_ref:
        password = secrets_get(item.secret_ref)
        if password is None:
            reason = _("The centre account's password is no longer in this computer's keyring: run kitchencam "
                       "provision for this camera, then kitchencam register again.")
            store.mark_failed(item.id, reason=reason, http_status=None, retry_at=None)
            return Delivery(**base, state="rejected", reason=reason, attempts=attempts), None
        body["centre_password"] = password
    try:
        reply = client.request("POST", DEVICES_PATH, body=body, headers={"Idempotency-Key": item.idempotency_key})
    except CentreUnreachable as exc:
        retry_at = _utc(backoff_s(attempts))
        store.mark_failed(item.id, reason=exc.message, http_status=None, retry_at=retry_at)
        return Delivery(**base, state="queued", reason=exc.message, next_attempt_at=retry_at,
                        attempts=attempts), exc
    if 200 <= reply.status < 300:
        data = reply.body if isinstance(reply.body, dict) else {}
        device_id = str(data.get("device_id")) if data.get("device_id") else None
        store.mark_sent(item.id, http_status=reply.status, centre_device_id=device_id)
        return Delivery(**base, state="sent", http_status=reply.status, centre_device_id=device_id,
                        created=reply.status == 201, replayed=reply.replayed, attempts=attempts), None
    message = _message(reply)
    if reply.status in (401, 403):
        try:
            _raise_for_auth(reply, client.base_url)
        except CentreAuthFailed as exc:
            # The token, not the record: keep it queued, untouched, for after the token is fixed.
            return Delivery(**base, state="queued", http_status=reply.status, reason=exc.message,
                            attempts=item.attempts, next_attempt_at=item.next_attempt_at), exc
    if reply.status >= 500 or reply.status == 429:
        reason = _("The centre answered HTTP {status}: {message}").format(status=reply.status, message=message)
        retry_at = _utc(backoff_s(attempts, reply.retry_after))
        store.mark_failed(item.id, reason=reason, http_status=reply.status, retry_at=retry_at)
        return Delivery(**base, state="queued", http_status=reply.status, reason=reason, next_attempt_at=retry_at,
                        attempts=attempts), None
    if reply.status == 409:
        reason = _("The centre already holds another record under this registration's key (HTTP 409: {message}). "
                   "Ask the centre to clear it, then register again.").format(message=message)
    else:
        reason = _("The centre refused the record (HTTP {status}: {message}). Fix what it names, then register "
                   "again.").format(status=reply.status, message=message)
    store.mark_failed(item.id, reason=reason, http_status=reply.status, retry_at=None)
    return Delivery(**base, state="rejected", http_status=reply.status, reason=reason, attempts=attempts), None


def sync(store: Store, site_id: int, client: CentreClient, secrets_get: Callable[[str], str | None], *,
         due_only: bool = False, progress: Callable[[Delivery], None] | None = None) -> SyncResult:
    started = time.monotonic()
    items = store.queued(site_id, due_by=_utc() if due_only else None)
    waiting = len(store.queued(site_id)) - len(items)
    deliveries, stopped = deliver(store, items, client, secrets_get, progress)
    return SyncResult(centre=client.base_url, deliveries=deliveries, not_due=waiting,
                      stopped_by=_error_item(stopped), elapsed_s=round(time.monotonic() - started, 2))


def _error_item(exc: Exception | None) -> ErrorItem | None:
    return ErrorItem.from_error(exc) if isinstance(exc, KitchencamError) else None


class SyncResult(BaseModel):
    centre: str
    deliveries: list[Delivery]
    not_due: int = 0
    stopped_by: Any = None
    elapsed_s: float = 0.0

    def count(self, state: str) -> int:
        return sum(1 for d in self.deliveries if d.state == state)


def errors_of(deliveries: list[Delivery], stopped_by: Any) -> list[Any]:
    """Exit codes: token refused 5, still queued 4, rejected 1."""
    errors: list[ErrorItem] = []
    if stopped_by is not None:
        errors.append(stopped_by)
    for d in deliveries:
        if d.state == "rejected":
            errors.append(ErrorItem.from_error(CentreRejected(d.reason or "", target=d.target)))
        elif d.state == "queued" and stopped_by is None:
            errors.append(ErrorItem.from_error(CentreUnreachable(d.reason or "", target=d.target)))
    return errors


def require_token(token: str | None) -> str:
    if not token:
        raise UsageError(_("No token for the district centre. Set KITCHENCAM_CENTRE_TOKEN, or save it once with: "
                           "kitchencam credentials set --centre-token"))
    return token


# -- register: read, judge, queue, send ------------------------------------------------------


class RegisterResult(BaseModel):
    """``kitchencam register`` (docs/reference/json.md)."""

    site: str
    centre: str
    cameras: list[Delivery]
    run_id: int | None = None
    stopped_by: Any = None
    elapsed_s: float = 0.0
    method: str = "none"  # centre.connection.method: "none" records only
    connections: list[CameraConnection] = []  # each camera's dial-out, when the method is not "none"


@dataclass
class RegisterRequest:
    targets: list[str]
    school_code: str
    school_name: str
    force: bool = False
    location: str | None = None
    centre_user: str | None = None
    connection: Connection | None = None  # the site's centre.connection (None or "none": record only)
    connection_secret: str | None = None  # the ISUP key / GB28181 password from the keyring
    user: str | None = None  # the camera login, for the vendor API
    password: str | None = field(default=None, repr=False)
    wait_s: float | None = None
    progress: Callable[[str], None] | None = None


def register(request: RegisterRequest, profile: Profile, catalogue: Any, check_options: Any, store: Store,
             client: CentreClient, secrets_get: Callable[[str], str | None],
             progress: Callable[[Delivery], None] | None = None) -> RegisterResult:
    """Read and judge each camera now, queue the eligible ones in the store, then send the queue's new items.

    The check made here is stored as a run of its own (command ``register``): the compliance the
    centre receives is the evidence the report shows.
    """

    started = time.monotonic()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if request.location and len(request.targets) != 1:
        raise UsageError(_("--location names one camera's place: give one target with it."))
    check_options.site_facts = site_facts_from_store(store, request.school_code, _method(request))
    workers = max(1, min(8, len(request.targets)))
    with DaemonPool(max_workers=workers) as pool:
        inspected = list(pool.map(lambda t: inspect(t, profile, catalogue, check_options), request.targets))
    site = store.upsert_site(request.school_code, request.school_name)
    outcomes: list[Delivery] = []
    queued: list[OutboxItem] = []
    eligible: list[tuple[DeviceCheck, Facts | None, DeviceRow | None, str | None]] = []
    for check, facts in inspected:
        device = store.find_device(site.id, serial=check.serial, address=host_of(check.target))
        if device is None and check.serial:
            # Registered without a discover first: into the inventory, so the report has its row
            # (a later discover gives it its endpoint reference, see Store.adopt_device).
            device = store.upsert_device(
                site.id, registered_endpoint(check.serial), kind="camera", address=host_of(check.target),
                xaddr=check.xaddr, manufacturer=check.manufacturer, model=check.model, firmware=check.firmware,
                serial=check.serial, mac=check.mac, found_by="register", onvif="on")
        if request.location and device is not None:
            device = store.upsert_device(site.id, device.endpoint, address=device.address,
                                         install_location=request.location)
        secret_ref = None
        if request.centre_user and check.serial:
            ref = centre_secret_key(request.school_code, check.serial, request.centre_user)
            secret_ref = ref if secrets_get(ref) is not None else None
        verdict = eligibility(check, has_password=secret_ref is not None, force=request.force)
        if not verdict.ok:
            outcomes.append(Delivery(item_id=0, target=check.target, serial=check.serial or "?", state="skipped",
                                     reason=verdict.reason))
            continue
        eligible.append((check, facts, device, secret_ref))
    connections: list[CameraConnection] = []
    method = request.connection.method if request.connection is not None else "none"
    if method != "none":
        eligible, connections, held = connect_all(request, store, site.id, eligible, client)
        outcomes += held
    for check, facts, device, secret_ref in eligible:
        payload = build_record(school_code=request.school_code, check=check, facts=facts, device=device,
                               profile=profile, centre_user=request.centre_user if secret_ref else None,
                               location=request.location)
        assert check.serial is not None
        queued.append(store.enqueue_registration(
            site.id, camera_key=check.serial, target=check.target, device_id=device.id if device else None,
            idempotency_key=idempotency_key(request.school_code, check.serial, payload), payload=payload,
            secret_ref=secret_ref))
    deliveries, stopped = deliver(store, queued, client, secrets_get, progress)
    # The evidence kept is the camera judged with what the centre just answered (centre-registration
    # PASS with its device id, or FAIL while it waits), from the same facts: no second read.
    check_options.site_facts = site_facts_from_store(store, request.school_code, _method(request))
    now = datetime.now(timezone.utc)
    checks = CheckResult(profile=profile.id, profile_title=profile.title, elapsed_s=0.0, devices=[
        judge(facts, profile, catalogue, check_options, now) if facts is not None else check
        for check, facts in inspected])
    run_id = record(checks, store, request.school_code, request.school_name, started_at).run_id
    return RegisterResult(site=request.school_code, centre=client.base_url, cameras=deliveries + outcomes,
                          run_id=run_id, stopped_by=_error_item(stopped),
                          elapsed_s=round(time.monotonic() - started, 2), method=method, connections=connections)


def _method(request: RegisterRequest) -> str | None:
    return request.connection.method if request.connection is not None else None


def _connection_status(store: Store, site_id: int, method: str, client: CentreClient | None,
                       cameras: list[CameraStatus]) -> ErrorItem | None:
    """Ask the centre about each camera register configured, keep its word in the store (for check's
    centre-registration), and put it beside each camera's row."""
    error: ErrorItem | None = None
    by_serial = {c.serial: c for c in cameras}
    for rec in store.connections(site_id):
        if rec.method != method:
            continue
        word: dict[str, Any] | None = None
        if client is not None and rec.device_id and error is None:
            try:
                word = client.connection(rec.device_id)
            except (CentreUnreachable, CentreAuthFailed) as exc:
                error = _error_item(exc)
        if word is not None:
            store.save_connection(site_id, camera_key=rec.camera_key, target=rec.target, n=rec.n, method=rec.method,
                                  device_id=rec.device_id, host=rec.host, port=rec.port, configured=None,
                                  read_back=None, online=bool(word.get("online")),
                                  via=str(word["via"]) if word.get("via") else None,
                                  last_seen=str(word["last_seen"]) if word.get("last_seen") else None,
                                  last_refusal=_refusal(word.get("last_refusal")),
                                  diagnosis=[] if word.get("online") else rec.diagnosis)
        fresh = next((r for r in store.connections(site_id) if r.camera_key == rec.camera_key), rec)
        shown = ConnectionStatus(method=fresh.method, device_id=fresh.device_id, configured=fresh.configured,
                                 read_back=fresh.read_back, configured_at=fresh.configured_at,
                                 online=fresh.online if word is not None else None, via=fresh.via,
                                 last_seen=fresh.last_seen, last_refusal=fresh.last_refusal,
                                 checked_at=fresh.checked_at, confirmed_at=fresh.confirmed_at,
                                 diagnosis=fresh.diagnosis)
        row = by_serial.get(rec.camera_key)
        if row is None:
            row = CameraStatus(serial=rec.camera_key, target=rec.target)
            cameras.append(row)
            by_serial[rec.camera_key] = row
        row.connection = shown
    return error


def _refusal(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("reason") or value.get("message")
    return str(value)[:200] if value else None


# -- dial-out: configure each camera and wait for the centre to see it online ------------------


def connect_all(request: RegisterRequest, store: Store, site_id: int,
                eligible: list[tuple[DeviceCheck, Facts | None, DeviceRow | None, str | None]],
                client: CentreClient) -> tuple[list[tuple[DeviceCheck, Facts | None, DeviceRow | None, str | None]],
                           list[CameraConnection], list[Delivery]]:
    """Configure each eligible camera's dial-out in parallel; the ones the centre sees online go on to
    the outbox, the others are held back with their diagnosis. Every outcome is kept in the store."""
    from kitchencam.vendors.base import VendorCamera
    from kitchencam.vendors.registry import adapter_for

    connection = request.connection
    assert connection is not None
    numbers = store.connection_numbers(site_id, [check.serial for check, *_rest in eligible if check.serial])
    store_path = store.path

    def one(entry: tuple[DeviceCheck, Facts | None, DeviceRow | None, str | None]) -> CameraConnection:
        check, facts, _device, _ref = entry
        serial = check.serial or "?"
        n = numbers.get(check.serial or "", 0)
        device_id = connection.device_id_for(request.school_code, n)
        adapter = None
        vendor_label = "?"
        if facts is not None and facts.vendor is not None:
            host, _sep, port = facts.target.rpartition(":")
            camera = VendorCamera(host.strip("[]"), int(port), request.user, request.password,
                                  https=facts.device_xaddr.startswith("https:"))
            adapter = adapter_for(facts.vendor.vendor, camera)
            vendor_label = facts.vendor.vendor.capitalize()

        def save_backup(before: Registration | None) -> bool:
            with Store(store_path) as s:
                if any(b.get("registration", {}).get("kind") == connection.kind
                       for _i, b in s.registration_backups(site_id, serial)):
                    return True  # the settings from before kitchencam's first change are kept already
                value = (before.model_dump(mode="json") if before is not None
                         else {"kind": connection.kind, "enabled": False})
                s.save_backup(site_id, serial, check.target, {
                    "registration": value, "vendor": facts.vendor.vendor if facts and facts.vendor else None,
                    "api": adapter.api if adapter is not None else None})
            return True

        outcome = connect_camera(target=check.target, serial=check.serial, facts=facts, adapter=adapter,
                                 vendor_label=vendor_label, connection=connection, device_id=device_id,
                                 secret=request.connection_secret, save_backup=save_backup,
                                 centre_get=client.connection, progress=request.progress, wait_s=request.wait_s)
        with Store(store_path) as s:
            s.save_connection(site_id, camera_key=serial, target=check.target, n=n, method=connection.method,
                              device_id=device_id, host=connection.host, port=connection.port,
                              configured=outcome.configured,
                              read_back=outcome.read_back.model_dump() if outcome.read_back else None,
                              online=outcome.online, via=outcome.via, last_seen=outcome.last_seen,
                              last_refusal=outcome.last_refusal, diagnosis=outcome.diagnosis)
        return outcome

    workers = max(1, min(20, len(eligible)))
    with DaemonPool(max_workers=workers) as pool:
        outcomes = list(pool.map(one, eligible))
    online = []
    held = []
    for entry, outcome in zip(eligible, outcomes, strict=True):
        if outcome.state == "online":
            online.append(entry)
        else:
            held.append(Delivery(item_id=0, target=outcome.target, serial=outcome.serial or "?", state="skipped",
                                 reason=outcome.diagnosis[0] if outcome.diagnosis else None))
    return online, outcomes, held



# -- status: what the centre has and what waits -----------------------------------------------


class CameraStatus(BaseModel):
    serial: str
    target: str | None = None
    local_state: str | None = None  # queued, sent, rejected, or None when only the centre knows it
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: str | None = None
    sent_at: str | None = None
    centre_device_id: str | None = None
    at_centre: bool | None = None  # None: the centre could not be asked
    centre_updated_at: str | None = None
    connection: ConnectionStatus | None = None  # the camera's dial-out, with a dial-out method


class ConnectionStatus(BaseModel):
    """A camera's dial-out: as the camera read back at ``register``, and as the centre says now."""

    method: str
    device_id: str | None = None
    configured: bool | None = None
    read_back: dict[str, Any] | None = None  # enabled, host, port, device_id, status (never a secret)
    configured_at: str | None = None
    online: bool | None = None  # the centre's word now (None: it could not be asked)
    via: str | None = None
    last_seen: str | None = None
    last_refusal: str | None = None
    checked_at: str | None = None
    confirmed_at: str | None = None  # last time the centre said online
    diagnosis: list[str] = []


class StatusResult(BaseModel):
    site: str
    centre: str
    centre_error: Any = None
    cameras: list[CameraStatus]


def status(store: Store, site_code: str, client: CentreClient | None,
           connection: Connection | None = None) -> StatusResult:
    """The outbox beside the centre's own list (when it can be asked)."""
    site = store.get_site(site_code)
    items = store.registrations(site.id) if site else []
    remote: dict[str, dict[str, Any]] | None = None
    error = None
    if client is not None:
        try:
            remote = {str(d.get("serial")): d for d in client.devices(site_code)}
        except (CentreUnreachable, CentreAuthFailed, CentreRejected) as exc:
            error = _error_item(exc)
    cameras = []
    for item in items:
        at = remote.get(item.camera_key) if remote is not None else None
        cameras.append(CameraStatus(
            serial=item.camera_key, target=item.target, local_state=item.state, attempts=item.attempts,
            last_error=item.last_error, next_attempt_at=item.next_attempt_at if item.state == "queued" else None,
            sent_at=item.sent_at, centre_device_id=(at or {}).get("device_id") or item.centre_device_id,
            at_centre=None if remote is None else at is not None,
            centre_updated_at=(at or {}).get("updated_at")))
    known = {i.camera_key for i in items}
    for serial, d in sorted((remote or {}).items()):
        if serial not in known:
            cameras.append(CameraStatus(serial=serial, at_centre=True, centre_device_id=d.get("device_id"),
                                        centre_updated_at=d.get("updated_at")))
    if site is not None and connection is not None and connection.method != "none":
        error = _connection_status(store, site.id, connection.method, client, cameras) or error
        for row in cameras:
            if row.at_centre is None and remote is not None:
                row.at_centre = row.serial in remote
    return StatusResult(site=site_code, centre=client.base_url if client else "", centre_error=error, cameras=cameras)
