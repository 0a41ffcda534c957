"""A simulated school: N cameras of given personas, each on its own address, plus the centre.

Camera k (1-based) listens on ``bind_base + k``: HTTP (ONVIF, snapshot), RTSP, and WS-Discovery
on UDP 3702. The centre listens on ``bind_base`` itself (HTTP API; GB/T 28181 on UDP; the Auto
Register and ISUP stand-ins on TCP). A camera with a vendor API dials out where its settings say.
Used by ``kitchencam sim`` (foreground) and ``kitchencam demo`` / the tests (in-process).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from typing import Any

from kitchencam.sim.camera import SimCamera
from kitchencam.sim.centre import CentreServer
from kitchencam.sim.discovery import DiscoveryResponder
from kitchencam.sim.personas import PERSONAS, get_persona
from kitchencam.sim.rtsp import RtspServer

DEFAULT_BIND_BASE = "127.0.0.10"


@dataclass
class SimulatedCamera:
    camera: SimCamera
    rtsp: RtspServer | None  # None for devices that stream nothing (the printer)
    discovery: DiscoveryResponder | None

    def endpoint(self) -> dict[str, Any]:
        cam = self.camera
        return {
            "kind": "camera",
            "index": cam.index,
            "persona": cam.persona.name,
            "ip": cam.ip,
            "http_port": cam.http_port,
            "xaddr": cam.device_xaddr,
            "rtsp_port": self.rtsp.port if self.rtsp else None,
            "rtsp_url": cam.stream_uri_for(0) if self.rtsp else None,
            "snapshot_uri": cam.snapshot_uri,
            "wsdiscovery": f"udp://{cam.ip}:{self.discovery.port}" if self.discovery else None,
            "endpoint_reference": cam.endpoint_reference,
            # The simulated device's own account (simulator output only; the real tool never prints one).
            "user": cam.user if self.rtsp else None,
            "password": cam.password if self.rtsp else None,
            "faults": list(cam.fault_specs),
        }


@dataclass
class SimulatedSchool:
    """Start with ``start()``, stop with ``stop()`` (also as a context manager)."""

    personas: list[str] = field(default_factory=lambda: ["dahua-wizsense2"])
    cameras: int | None = None
    bind_base: str = DEFAULT_BIND_BASE
    http_port: int = 80
    rtsp_port: int = 554
    user: str | None = None
    password: str | None = None
    faults: list[str] = field(default_factory=list)
    centre: bool = False
    centre_port: int = 8000
    centre_token: str | None = None
    centre_faults: list[str] = field(default_factory=list)
    centre_db: str | None = None
    #: UDP port of the centre's GB/T 28181 registrar (0: any free; None: no registrar).
    centre_sip_port: int | None = 0
    #: TCP ports of the centre's stand-in dial-in listeners (kitchencam/sim/dialin.py; 0: any free;
    #: None: none): Dahua Auto Register and Hikvision ISUP, and the ISUP key (default: made up).
    centre_auto_register_port: int | None = 0
    centre_isup_port: int | None = 0
    centre_isup_key: str | None = None
    discovery: bool = True
    members: list[SimulatedCamera] = field(default_factory=list)
    centre_server: CentreServer | None = None

    def __post_init__(self) -> None:
        unknown = [p for p in self.personas if p not in PERSONAS]
        if unknown:
            raise ValueError(f"unknown persona(s) {', '.join(unknown)}; choose from {', '.join(PERSONAS)}")
        if not self.personas:
            raise ValueError("at least one persona")

    def camera_ip(self, k: int) -> str:
        return str(ipaddress.IPv4Address(self.bind_base) + k)

    def start(self) -> list[dict[str, Any]]:
        count = self.cameras if self.cameras is not None else len(self.personas)
        try:
            if self.centre and "down" not in self.centre_faults:
                token = self.centre_token or secrets.token_urlsafe(24)
                self.centre_server = CentreServer(
                    self.bind_base,
                    self.centre_port,
                    token=token,
                    db_path=self.centre_db,
                    faults=[f for f in self.centre_faults if f != "down"],
                    sip_port=self.centre_sip_port,
                    auto_register_port=self.centre_auto_register_port,
                    isup_port=self.centre_isup_port,
                    isup_key=self.centre_isup_key,
                )
                self.centre_server.start()
            for k in range(1, count + 1):
                persona = get_persona(self.personas[(k - 1) % len(self.personas)])
                self.members.append(self._start_camera(k, persona))
        except BaseException:
            self.stop()
            raise
        return self.endpoints()

    def _start_camera(self, k: int, persona: Any) -> SimulatedCamera:
        ip = self.camera_ip(k)
        cam = SimCamera(
            persona,
            ip,
            http_port=self.http_port,
            user=self.user,
            password=self.password,
            faults=list(self.faults),
            index=k,
        )
        # A persona serving its media without credentials answers RTSP without a challenge too.
        rtsp = RtspServer(ip, self.rtsp_port, stream_info=cam.stream_info,
                          digest_user_pass=None if cam.persona.anonymous_media else cam.rtsp_credentials)
        rtsp.start()
        try:
            cam.rtsp_port = rtsp.port
            cam.start()
        except BaseException:
            rtsp.stop()
            raise
        responder = None
        if self.discovery and persona.discovery.answers:
            responder = DiscoveryResponder(
                ip,
                cam.endpoint_reference,
                cam.types,
                cam.scopes,
                cam.xaddrs,
                multicast=True,
                rng_seed=k,
            )
            try:
                responder.start()
            except BaseException:
                cam.stop()
                if rtsp is not None:
                    rtsp.stop()
                raise
        return SimulatedCamera(cam, rtsp, responder)

    def endpoints(self) -> list[dict[str, Any]]:
        out = [m.endpoint() for m in self.members]
        if self.centre_server is not None:
            out.insert(
                0,
                {
                    "kind": "centre",
                    "ip": self.bind_base,
                    "port": self.centre_server.port,
                    "url": self.centre_server.base_url,
                    "token": self.centre_server.token,
                    "faults": list(self.centre_faults),
                    **self._sip_endpoint(),
                    **self._dialin_endpoint(),
                },
            )
        return out

    def _sip_endpoint(self) -> dict[str, Any]:
        server = self.centre_server
        if server is None or server.registrar is None:
            return {}
        return {"sip": server.sip_url, "sip_server_id": server.sip_server_id, "sip_domain": server.sip_domain,
                "sip_password": server.sip_password}

    def _dialin_endpoint(self) -> dict[str, Any]:
        server = self.centre_server
        if server is None or not server.dialins:
            return {}
        out: dict[str, Any] = {"auto_register": server.dialin_url("auto-register"), "isup": server.dialin_url("isup")}
        if "isup" in server.dialins:
            out["isup_key"] = server.isup_key
        return out

    @property
    def auto_register_port(self) -> int | None:
        listener = self.centre_server.dialins.get("auto-register") if self.centre_server else None
        return listener.port if listener is not None else None

    @property
    def isup_port(self) -> int | None:
        listener = self.centre_server.dialins.get("isup") if self.centre_server else None
        return listener.port if listener is not None else None

    def stop(self) -> None:
        for member in reversed(self.members):
            if member.discovery is not None:
                member.discovery.stop()
            member.camera.stop()
            if member.rtsp is not None:
                member.rtsp.stop()
        self.members.clear()
        if self.centre_server is not None:
            self.centre_server.stop()
            self.centre_server = None

    def __enter__(self) -> SimulatedSchool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
