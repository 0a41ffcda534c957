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
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel

from kitchencam.discover import DiscoveredDevice
from kitchencam.errors import KitchencamError
from kitchencam.models import Facts
from kitchencam.render import ErrorItem

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
    error: ErrorItem | None = None


class DemoResult(BaseModel):
    bind_base: str
    centre_url: str | None
    subnet: str
    discovered_cameras: int
    discovered_others: int
    cameras: list[CameraSummary]
    elapsed_s: float


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


def run_demo(progress: Callable[[str], None] = lambda _m: None, personas: list[str] | None = None) -> DemoResult:
    from kitchencam.discover import DiscoverOptions, discover
    from kitchencam.sim.school import SimulatedSchool

    started = time.monotonic()
    # A random loopback /24 so a `kitchencam sim` left running elsewhere does not collide.
    base = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}.10"  # noqa: S311 - not security
    subnet = str(ipaddress.ip_network(f"{base}/27", strict=False))
    password = secrets.token_urlsafe(12)
    school = SimulatedSchool(
        personas=personas or DEMO_PERSONAS, bind_base=base, http_port=0, rtsp_port=0,
        user="admin", password=password, centre=True, centre_port=0,
    )
    with school:
        progress(f"simulated school on {base} ({len(school.members)} cameras + centre); discovering {subnet}")
        answering = sum(1 for m in school.members if m.discovery)
        found = discover(DiscoverOptions(subnets=[subnet], timeout_s=2.0, expect=answering,
                                         user="admin", password=password))
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

        with ThreadPoolExecutor(max_workers=8) as pool:
            rows = list(pool.map(read, cameras))
        # The ONVIF-off camera answers no discovery and its HTTP port is random here, so the sweep
        # cannot see it: read it directly to show what the technician is told.
        for member in school.members:
            if member.camera.ip not in {d.address for d in found.devices} and member.camera.persona.streams:
                rows.append(read_one(member.camera.persona.name, member.camera.device_xaddr, "admin", password))
        progress("checking against the thanhtri-2024 profile, provisioning, checking again")
        _check_and_provision(rows, "admin", password)
        centre_url = school.centre_server.base_url if school.centre_server else None
    rows.sort(key=lambda r: DEMO_PERSONAS.index(r.persona) if r.persona in DEMO_PERSONAS else 99)
    return DemoResult(bind_base=base, centre_url=centre_url, subnet=subnet, discovered_cameras=found.cameras,
                      discovered_others=found.others, cameras=rows, elapsed_s=round(time.monotonic() - started, 2))


def _check_and_provision(rows: list[CameraSummary], user: str, password: str) -> None:
    """check -> provision (in memory: the demo records nothing in your store) -> check again."""
    from kitchencam.audit import summarise
    from kitchencam.check import CheckOptions, check_one
    from kitchencam.profile import load_catalogue, load_profile
    from kitchencam.provision import ProvisionOptions, SiteContext, provision

    profile = load_profile("thanhtri-2024")
    catalogue = load_catalogue()
    readable = [r for r in rows if r.error is None and r.media is not None]
    options = CheckOptions(targets=[r.target for r in readable], user=user, password=password)

    def camera_overall(target: str) -> str:
        done = check_one(target, profile, catalogue, options)
        return done.overall if done.error else summarise(done.verdicts, kinds={"device", "catalogue"})[1]

    with ThreadPoolExecutor(max_workers=8) as pool:
        before = list(pool.map(camera_overall, options.targets))
    saved: dict[str, str] = {}
    result = provision(
        ProvisionOptions(targets=options.targets, user=user, password=password, secrets_get=saved.get,
                         secrets_set=saved.__setitem__),
        profile, catalogue, SiteContext(code="MN-DEMO", name="demo", ntp_servers=["0.vn.pool.ntp.org"]),
        lambda _t, _f, _s: 0, lambda *_a: None,
    )
    for row, was, cam in zip(readable, before, result.cameras, strict=True):
        row.check_before = was
        row.provision_state = cam.state
        row.check_after = cam.overall
