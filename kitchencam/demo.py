"""``kitchencam demo``: a simulated school on loopback, and the job run against it end to end
with what exists so far: discover (unicast sweep of the school's loopback subnet), then read
every camera found through the real ONVIF client.

It never touches a non-loopback address, needs no root and no fixed port: the school gets a
random 127.x.y.0 base and every server picks a free port.
"""

from __future__ import annotations

import ipaddress
import random
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from kitchencam.discover import DiscoveredDevice
from kitchencam.errors import KitchencamError
from kitchencam.models import ErrorItem, Facts
from kitchencam.workers import DaemonPool

if TYPE_CHECKING:
    from kitchencam.app import Context
    from kitchencam.settings import SiteConfig
    from kitchencam.sim.centre import CentreServer

DEMO_PERSONAS = [
    "dahua-wizsense2",
    "dahua-wizsense2-ready",
    "dahua-lite-s2",
    "hikvision-ds2cd1023g0e-i",
    "generic-720p",
    "hikvision-onvif-off",
]


class CameraSummary(BaseModel):
    """One row of the demo table: what was read from one simulated camera."""

    persona: str
    target: str
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    mac: str | None = None
    onvif_profiles: list[str] = []
    media: str | None = None  # "Media2" or "Media1"
    main_stream: str | None = None  # "H264 1920x1080 25fps 4096kbps"
    wdr: str | None = None
    ir_cut: str | None = None
    timezone: str | None = None
    clock_offset_s: float | None = None
    read_errors: int = 0
    found_by: list[str] = []
    check_before: str | None = None  # overall verdict of `check` (camera rules) before provisioning
    provision_state: str | None = None
    check_after: str | None = None
    registration: str | None = None  # sent (with the centre's device id), queued, rejected, skipped
    error: ErrorItem | None = None


class DemoResult(BaseModel):
    bind_base: str
    centre_url: str | None
    subnet: str
    discovered_cameras: int
    discovered_others: int
    cameras: list[CameraSummary]
    elapsed_s: float
    uplink_mbps: float | None = None  # 10th percentile of a short upload to the simulated centre
    store: str | None = None  # the demo's own store (never yours)
    report: dict[str, str] = {}  # "pdf" / "html" -> the handover minutes written


def summarise(persona: str, facts: Facts) -> CameraSummary:
    info = facts.device_info
    main = facts.encoders[0] if facts.encoders else None
    stream = None
    if main is not None:
        parts = [main.encoding or "?", f"{main.width}x{main.height}"]
        if main.fps:
            parts.append(f"{main.fps:g}fps")
        if main.bitrate_kbps:
            parts.append(f"{main.bitrate_kbps}kbps")
        stream = " ".join(parts)
    imaging = facts.imaging[0] if facts.imaging else None
    mac = next((n.mac for n in facts.network_interfaces if n.mac), None)
    return CameraSummary(
        persona=persona,
        target=facts.target,
        manufacturer=info.manufacturer if info else None,
        model=info.model if info else None,
        firmware=info.firmware if info else None,
        serial=info.serial if info else None,
        mac=mac,
        onvif_profiles=facts.scopes.profiles if facts.scopes else [],
        media="Media2" if facts.media2 else ("Media1" if facts.encoders else None),
        main_stream=stream,
        wdr=imaging.wdr_mode if imaging else None,
        ir_cut=imaging.ir_cut_filter if imaging else None,
        timezone=facts.time.timezone if facts.time else None,
        clock_offset_s=round(facts.time.clock_offset_s, 1)
        if facts.time and facts.time.clock_offset_s is not None
        else None,
        read_errors=len(facts.read_errors),
    )


def read_one(persona: str, xaddr: str, user: str, password: str) -> CameraSummary:
    from kitchencam.onvif.client import OnvifCamera
    from kitchencam.onvif.read import read_facts

    try:
        with OnvifCamera(xaddr, user=user, password=password) as camera:
            return summarise(persona, read_facts(camera))
    except KitchencamError as exc:
        return CameraSummary(persona=persona, target=exc.target or xaddr, error=ErrorItem.from_error(exc))


def run_demo(progress: Callable[[str], None] = lambda _m: None, personas: list[str] | None = None,
             out_dir: Path | None = None) -> DemoResult:
    from kitchencam.discover import DiscoverOptions, discover
    from kitchencam.sim.school import SimulatedSchool

    started = time.monotonic()
    # A random loopback /24 so a `kitchencam sim` left running elsewhere does not collide.
    base = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}.10"  # noqa: S311 - not security
    subnet = str(ipaddress.ip_network(f"{base}/27", strict=False))
    # Made up per run, and strong as QĐ 724 asks (upper, lower, digit, special): password-strength passes.
    password = f"Kc-{secrets.token_urlsafe(12)}-9a"
    school = SimulatedSchool(
        personas=personas or DEMO_PERSONAS, bind_base=base, http_port=0, rtsp_port=0,
        user="admin", password=password, centre=True, centre_port=0,
    )
    with school:
        progress(f"simulated school on {base} ({len(school.members)} cameras + centre); discovering {subnet}")
        answering = sum(1 for m in school.members if m.discovery)
        found = discover(DiscoverOptions(subnets=[subnet], timeout_s=2.0, expect=answering,
                                         user="admin", password=password))
        store_path = _fresh_store(out_dir)
        if store_path is not None:
            from kitchencam.discover import record
            from kitchencam.store import Store

            with Store(store_path) as store:
                record(found, store, DEMO_SITE, DEMO_SCHOOL)
        persona_of = {m.camera.ip: m.camera.persona.name for m in school.members}
        cameras = [d for d in found.devices if d.kind == "camera"]
        progress(f"found {len(cameras)} cameras; reading each through ONVIF")

        def read(device: DiscoveredDevice) -> CameraSummary:
            persona = persona_of.get(device.address, "?")
            if device.xaddr is None:
                return CameraSummary(persona=persona, target=device.address, found_by=device.found_by,
                                     error=device.error)
            row = read_one(persona, device.xaddr, "admin", password)
            return row.model_copy(update={"found_by": device.found_by})

        with DaemonPool(max_workers=8) as pool:
            rows = list(pool.map(read, cameras))
        # The ONVIF-off camera answers no discovery and its HTTP port is random here, so the sweep
        # cannot see it: read it directly to show what the technician is told.
        for member in school.members:
            if member.camera.ip not in {d.address for d in found.devices} and member.camera.persona.streams:
                rows.append(read_one(member.camera.persona.name, member.camera.device_xaddr, "admin", password))
        progress("checking against the thanhtri-2024 profile, provisioning, checking again")
        centre_url = school.centre_server.base_url if school.centre_server else None
        ctx = demo_context(store_path, centre_url, "admin", password)
        _check_and_provision(rows, ctx)
        uplink = None
        if store_path is not None and school.centre_server is not None:
            progress("measuring the upload to the centre, registering the compliant cameras")
            uplink = _bandwidth_and_register(rows, ctx, school.centre_server)
    report: dict[str, str] = {}
    if store_path is not None and out_dir is not None:
        progress("writing the handover minutes (PDF and HTML)")
        report = write_demo_report(ctx, out_dir)
    rows.sort(key=lambda r: DEMO_PERSONAS.index(r.persona) if r.persona in DEMO_PERSONAS else 99)
    return DemoResult(bind_base=base, centre_url=centre_url, subnet=subnet, discovered_cameras=found.cameras,
                      discovered_others=found.others, cameras=rows, elapsed_s=round(time.monotonic() - started, 2),
                      store=str(store_path) if store_path else None, report=report, uplink_mbps=uplink)


def demo_context(store_path: Path | None, centre_url: str | None, user: str, password: str) -> Context:
    """The demo's one context (kitchencam/app.py): its own site, store and in-memory keyring, never yours."""
    from kitchencam.app import Context, MemorySecrets
    from kitchencam.settings import Credentials

    ctx = Context(paths=None, site_file=None, store_file=store_path, profile_name="thanhtri-2024", lang="vi")
    ctx.site = demo_site(centre_url)
    ctx.credentials = Credentials(user, password, "demo")
    ctx.secrets = MemorySecrets()  # the centre accounts' passwords, set by provision, read by register
    return ctx


def _check_and_provision(rows: list[CameraSummary], ctx: Context) -> None:
    """check -> provision -> check again; recorded in the demo's own store (never yours) when it has one."""
    from datetime import datetime, timezone

    from kitchencam.check import CheckOptions, CheckResult, check_one
    from kitchencam.profile import parse_attestations
    from kitchencam.provision import ProvisionOptions, SiteContext, provision
    from kitchencam.rules.engine import summarise

    profile = ctx.profile
    catalogue = ctx.catalogue
    user, password, saved = ctx.credentials.user, ctx.credentials.password, ctx.secrets
    store_path = ctx.store_file
    readable = [r for r in rows if r.error is None and r.media is not None]
    started = datetime.now(timezone.utc)
    # What the technician answers on site for the rules no device can show (recorded with name and time).
    attestations = parse_attestations(["power=yes", "ip67=yes"], DEMO_TECHNICIAN, started, profile=profile)
    options = CheckOptions(targets=[r.target for r in readable], user=user, password=password,
                           attestations=attestations)

    with DaemonPool(max_workers=8) as pool:
        checks = list(pool.map(lambda target: check_one(target, profile, catalogue, options), options.targets))
    before = [done.overall if done.error else summarise(done.verdicts, kinds={"device", "catalogue"})[1]
              for done in checks]

    def store_backup(target: str, facts: Facts, settings: dict[str, object]) -> int:
        if store_path is None:
            return 0
        from kitchencam.store import Store
        from kitchencam.targets import camera_key

        with Store(store_path) as store:
            return store.save_backup(store.upsert_site(DEMO_SITE, DEMO_SCHOOL).id, camera_key(facts), target,
                                     settings)

    def record_step(backup_id: int, step: str, status: str, detail: str | None) -> None:
        if store_path is not None and backup_id:
            from kitchencam.store import Store

            with Store(store_path) as store:
                store.record_step(backup_id, step, status, detail)

    result = provision(
        ProvisionOptions(targets=options.targets, user=user, password=password, secrets_get=saved.get,
                         secrets_set=saved.set),
        profile, catalogue, SiteContext(code=DEMO_SITE, name=DEMO_SCHOOL, ntp_servers=["0.vn.pool.ntp.org"]),
        store_backup, record_step,
    )
    if store_path is not None:
        from kitchencam.check import record as record_check
        from kitchencam.provision import record as record_provision
        from kitchencam.store import Store

        at = started.isoformat(timespec="seconds")
        with Store(store_path) as store:
            record_check(CheckResult(profile=profile.id, profile_title=profile.title, devices=checks,
                                     attestations=attestations, elapsed_s=0.0), store, DEMO_SITE, DEMO_SCHOOL, at)
            record_provision(result, store, DEMO_SITE, DEMO_SCHOOL, datetime.now(timezone.utc).isoformat(
                timespec="seconds"))
    for row, was, cam in zip(readable, before, result.cameras, strict=True):
        row.check_before = was
        row.provision_state = cam.state
        row.check_after = cam.overall


#: Where the demo's technician says each camera hangs (register --location on site).
DEMO_PLACES = ["Bếp ăn - khu sơ chế", "Bếp ăn - khu nấu", "Bếp ăn - khu chia thức ăn", "Kho thực phẩm",
               "Bếp ăn - cửa nhập hàng", "Nhà ăn"]


def _bandwidth_and_register(rows: list[CameraSummary], ctx: Context, centre: CentreServer) -> float:
    """A short upload test and the registration of every readable camera, as on site, into the demo's store."""
    from kitchencam import app
    from kitchencam.bandwidth import measure
    from kitchencam.centre import CentreClient
    from kitchencam.targets import host_of

    profile = ctx.profile
    readable = [r for r in rows if r.error is None and r.media is not None]
    with ctx.store() as store:
        site_id = store.upsert_site(DEMO_SITE, DEMO_SCHOOL).id
        # The loopback "line" is fast and short here: 1 s counted after 0.5 s of warm-up.
        uplink = measure(centre.base_url + "/api/v1/bandwidth/upload", token=centre.token, duration_s=1.0,
                         warmup_s=0.5, cap_kbps=profile.main_stream.bitrate_kbps_max,
                         cameras_on_site=len(readable))
        store.save_bandwidth(site_id, mean_mbps=uplink.mean_mbps, p10_mbps=uplink.p10_mbps,
                             duration_s=uplink.duration_s, streams=uplink.streams, url=uplink.url)
        for place, row in zip(DEMO_PLACES, readable, strict=False):
            device = store.find_device(site_id, serial=row.serial, address=host_of(row.target))
            if device is not None:
                store.upsert_device(site_id, device.endpoint, address=device.address, install_location=place)
    if not readable:
        return uplink.p10_mbps
    ctx.centre = CentreClient(centre.base_url, centre.token)
    result = app.register(ctx, targets=[r.target for r in readable], use_all=False)
    by_serial = {d.serial: d for d in result.cameras}
    for row in readable:
        done = by_serial.get(row.serial or "")
        if done is not None:
            row.registration = f"{done.state} {done.centre_device_id}" if done.centre_device_id else done.state
    return uplink.p10_mbps


# --- the handover minutes of the simulated school -----------------------------------------------

DEMO_SITE = "MN-DEMO"
DEMO_SCHOOL = "Trường Mầm non Hoa Sen (mô phỏng)"
DEMO_TECHNICIAN = "Nguyễn Văn An"


def _fresh_store(out_dir: Path | None) -> Path | None:
    """The demo's own store in ``out_dir``, emptied first: a demo never writes to your store."""
    if out_dir is None:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "kitchencam-demo.db"
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


def demo_site(centre_url: str | None) -> SiteConfig:
    """A filled-in site config for the simulated school (fictional people and organisations)."""
    from datetime import date

    from kitchencam.settings import Centre, Letter, Parties, Party, School, SiteConfig

    return SiteConfig(
        school=School(name=DEMO_SCHOOL, code=DEMO_SITE, address="Xã Tả Thanh Oai, huyện Thanh Trì, Hà Nội"),
        centre=Centre.model_validate({"url": centre_url or "http://127.0.0.1:8000/"}),
        letter=Letter(number="1115/GD&ĐT", date=date(2024, 10, 28),
                      issuer="Phòng Giáo dục và Đào tạo huyện Thanh Trì",
                      subject="Hướng dẫn lắp đặt hệ thống camera giám sát tại các bếp ăn tập thể trường học"),
        parties=Parties(
            supplier=Party(organisation="Công ty TNHH Thực phẩm An Khang (mô phỏng)", representative=DEMO_TECHNICIAN,
                           position="Kỹ thuật viên", address="Thanh Trì, Hà Nội", phone="0900 000 001"),
            school=Party(organisation=DEMO_SCHOOL, representative="Trần Thị Bích Ngọc", position="Hiệu trưởng",
                         address="Xã Tả Thanh Oai, huyện Thanh Trì, Hà Nội", phone="0900 000 002"),
            district=Party(organisation="Phòng Giáo dục và Đào tạo huyện Thanh Trì", representative="Lê Minh Tuấn",
                           position="Chuyên viên", address="Thị trấn Văn Điển, huyện Thanh Trì, Hà Nội",
                           phone="0900 000 003"),
        ),
    )


def write_demo_report(ctx: Context, out_dir: Path) -> dict[str, str]:
    """The simulated school's handover minutes, PDF and HTML, in Vietnamese; the paths written."""
    from kitchencam import app

    return app.report(ctx, fmt="both", lang="vi", output=out_dir).paths
