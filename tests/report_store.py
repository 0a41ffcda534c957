"""A fixed store for the report tests: three cameras at different stages, every time injected.

Camera 1 (Dahua) went through everything: discovered, checked with attestations, provisioned
(backup, steps, RTSP, snapshot) and registered. Camera 2 (Hikvision) was discovered, checked
(it fails), provisioned with a refused step and no snapshot, and rejected by the centre. Camera
3 was only checked, by address: never discovered, provisioned or registered. Secrets are planted
where a careless report would pick them up (the outbox payload), so the tests can prove they
never reach a report.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from typing import Any

from kitchencam import store as store_module
from kitchencam.profile import load_profile
from kitchencam.report import ReportInput
from kitchencam.settings import Centre, Letter, Parties, Party, School, SiteConfig
from kitchencam.store import AttestationRecord, CheckRecord, Store

SITE_CODE = "MN-TTO"
SCHOOL = "Trường Mầm non Tả Thanh Oai"
SECRET_PASSWORD = "Bep-An-2024-an-toan!"
SECRET_TOKEN = "tok-3f9a1c-centre-bearer"
NOW = datetime(2024, 11, 12, 9, 30, tzinfo=timezone.utc)  # 16:30 in Hà Nội
VERSION = "0.1.0-test"

CAMERAS = [
    {"serial": "8H0A2043321581", "mac": "3c:ef:8c:00:00:01", "address": "192.168.1.64",
     "manufacturer": "Dahua", "model": "IPC-HFW2241S-S-0360B", "firmware": "V2.820.0000000.18.R"},
    {"serial": "DS-2CD1023G0E-I20240917AAWRF12345", "mac": "bc:ad:28:00:00:02", "address": "192.168.1.65",
     "manufacturer": "HIKVISION", "model": "DS-2CD1023G0E-I", "firmware": "V5.5.800 build 210628"},
    {"serial": "IPC3359010676", "mac": "00:12:41:00:00:03", "address": "192.168.1.66",
     "manufacturer": "Generic", "model": "IPC-720P", "firmware": "1.0.3"},
]


def snapshot_jpeg() -> bytes:
    return resources.files("kitchencam.sim").joinpath("assets/snapshot.jpg").read_bytes()


def site_config(*, nfd: bool = False) -> SiteConfig:
    import unicodedata

    def text(s: str) -> str:  # a Mac keyboard types decomposed Vietnamese
        return unicodedata.normalize("NFD", s) if nfd else s

    return SiteConfig(
        school=School(name=text(SCHOOL), code=SITE_CODE, address=text("Xã Tả Thanh Oai, huyện Thanh Trì, Hà Nội")),
        centre=Centre(url="https://centre.example.vn/"),
        letter=Letter(number="1115/GD&ĐT", date=date(2024, 10, 28),
                      issuer=text("Phòng Giáo dục và Đào tạo huyện Thanh Trì"),
                      subject=text("Lắp đặt hệ thống camera giám sát tại các bếp ăn tập thể trường học")),
        parties=Parties(
            supplier=Party(organisation=text("Công ty TNHH Thực phẩm sạch Hồng Hà"),
                           representative=text("Nguyễn Văn An"), position=text("Kỹ thuật viên"),
                           address=text("Số 12 Ngọc Hồi, Thanh Trì, Hà Nội"), phone="0912 345 678"),
            school=Party(organisation=text(SCHOOL), representative=text("Trần Thị Bích Ngọc"),
                         position=text("Hiệu trưởng"), address=text("Xã Tả Thanh Oai, Thanh Trì"),
                         phone="024 3686 1234"),
            district=Party(organisation=text("Phòng Giáo dục và Đào tạo huyện Thanh Trì"),
                           representative=text("Lê Minh Tuấn"), position=text("Chuyên viên"),
                           address=text("Thị trấn Văn Điển, Thanh Trì"), phone="024 3861 5678"),
        ),
    )


def _verdict(rule: str, title: str, title_vi: str, status: str, seen: str | None, required: str | None,
             evidence: str, source: str | None, kind: str = "device", **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "title": title, "title_vi": title_vi, "kind": kind, "severity": "required",
            "status": status, "seen": seen, "required": required, "evidence": evidence, "source": source,
            "detail": "", "fixable_by_provision": False, "attested_by": None, "attested_at": None, **extra}


def verdicts_dahua() -> list[dict[str, Any]]:
    return [
        _verdict("resolution", "2.0 MP main stream", "Độ phân giải 2.0 MP", "PASS", "1920x1080 offered",
                 ">= 1920x1080", "device", "ONVIF Media2 GetVideoEncoderConfigurationOptions"),
        _verdict("codec", "H.265 (+ smart codec)", "Chuẩn nén H.265+", "PASS", "H265 on the main stream", "H265",
                 "device", "ONVIF Media2 GetVideoEncoderConfigurations"),
        _verdict("lens", "Fixed 3.6 mm lens", "Ống kính cố định 3.6 mm", "PASS", "3.6 mm (SKU -0360B)", "3.6 mm",
                 "catalogue", "Dahua datasheet IPC-HFW2241S-S", kind="catalogue"),
        _verdict("power", "Power at the camera's spot", "Nguồn điện đến vị trí lắp camera", "PASS", "yes", "yes",
                 "technician", None, kind="site", attested_by="Nguyễn Văn An",
                 attested_at="2024-11-12T08:10:00+00:00"),
        _verdict("uplink", "Internet uplink carries the camera", "Đường truyền Internet đủ cho camera", "WARN",
                 "2.4 Mbit/s for 3 cameras", ">= 2.9 Mbit/s", "site", "kitchencam bandwidth", kind="site"),
    ]


def verdicts_hik() -> list[dict[str, Any]]:
    return [
        _verdict("lens", "Fixed 3.6 mm lens", "Ống kính cố định 3.6 mm", "FAIL", "2.8 or 4 mm only", "3.6 mm",
                 "catalogue", "Hikvision datasheet DS-2CD1023G0E-I", kind="catalogue"),
        _verdict("wdr", "WDR 120 dB", "Chống ngược sáng WDR 120 dB", "FAIL", "digital WDR only", "WDR ON, 120 dB",
                 "device", "ONVIF Imaging GetOptions"),
        _verdict("ip67", "IP67 housing", "Chống bụi nước IP67", "MANUAL", None, "IP67", "none", None,
                 kind="catalogue"),
        _verdict("centre-registration", "Connected to the district's operations centre",
                 "Kết nối với Trung tâm điều hành giáo dục thông minh của huyện", "UNKNOWN", None, "registered",
                 "none", None, kind="site"),
    ]


@contextmanager
def fixed_clock() -> Iterator[None]:
    """Every store timestamp from a fixed start, one minute apart (stable reports)."""
    ticks = itertools.count()
    start = datetime(2024, 11, 12, 8, 0, tzinfo=timezone.utc)
    original = store_module._now
    store_module._now = lambda: (start + timedelta(minutes=next(ticks))).isoformat(timespec="seconds")
    try:
        yield
    finally:
        store_module._now = original


def fill(store: Store) -> int:
    """Write the three cameras' history into ``store``; the site id."""
    with fixed_clock():
        site = store.upsert_site(SITE_CODE, SCHOOL)
        devices = []
        for k, cam in enumerate(CAMERAS[:2], start=1):
            devices.append(store.upsert_device(
                site.id, f"urn:uuid:cam-{k}", kind="camera", address=cam["address"],
                xaddr=f"http://{cam['address']}/onvif/device_service", manufacturer=cam["manufacturer"],
                model=cam["model"], firmware=cam["firmware"], serial=cam["serial"], mac=cam["mac"],
                location="Bếp ăn, góc sơ chế" if k == 1 else None, found_by="multicast", onvif="on"))
        checked_at = "2024-11-12T08:05:00+00:00"
        records = [
            CheckRecord(target=f"http://{CAMERAS[0]['address']}/onvif/device_service", device_id=devices[0].id,
                        manufacturer="Dahua", model=CAMERAS[0]["model"], serial=CAMERAS[0]["serial"],
                        firmware=CAMERAS[0]["firmware"], mac=CAMERAS[0]["mac"], overall="WARN",
                        checked_at=checked_at, verdicts=verdicts_dahua()),
            CheckRecord(target=f"http://{CAMERAS[1]['address']}/onvif/device_service", device_id=devices[1].id,
                        manufacturer="HIKVISION", model=CAMERAS[1]["model"], serial=CAMERAS[1]["serial"],
                        firmware=CAMERAS[1]["firmware"], mac=CAMERAS[1]["mac"], overall="FAIL",
                        checked_at=checked_at, verdicts=verdicts_hik()),
            CheckRecord(target=f"{CAMERAS[2]['address']}:80", manufacturer="Generic", model=CAMERAS[2]["model"],
                        serial=CAMERAS[2]["serial"], firmware=CAMERAS[2]["firmware"], mac=CAMERAS[2]["mac"],
                        overall="INCOMPLETE", checked_at=checked_at,
                        verdicts=[_verdict("ip67", "IP67 housing", "Chống bụi nước IP67", "MANUAL", None, "IP67",
                                           "none", None, kind="catalogue")]),
        ]
        attestations = [
            AttestationRecord(rule="power", answer=True, by="Nguyễn Văn An", at="2024-11-12T08:10:00+00:00",
                              origin="command-line"),
            AttestationRecord(rule="ip67", answer=True, by="Nguyễn Văn An", at="2024-11-12T08:11:00+00:00",
                              note="nhãn IP67 trên thân", origin="file"),
        ]
        store.record_check_run(site.id, "thanhtri-2024", checked_at, records, attestations)

        # Camera 1: provisioned and verified, with a snapshot.
        dahua = CAMERAS[0]
        backup = store.save_backup(site.id, dahua["serial"], f"{dahua['address']}:80", {
            "media2": True,
            "encoder": {"token": "VideoEncoderToken0", "encoding": "H264", "width": 1920, "height": 1080, "fps": 25.0,
                        "bitrate_kbps": 4096, "gop": 50, "profile": "Main", "constant_bitrate": True},
            "imaging": {"video_source_token": "VideoSourceToken0", "wdr_mode": "OFF", "wdr_level": 50.0,
                        "ir_cut_filter": "AUTO"},
            "ntp": {"from_dhcp": False, "servers": []},
            "time": {"date_time_type": "Manual", "timezone": "GMT+08:00", "dst": False},
            "hostname": "IPC",
            "users": ["admin"],
        })
        steps = [
            {"name": "time", "how": "tds:SetNTP, tds:SetSystemDateAndTime", "status": "done", "detail": None,
             "changes": [{"setting": "ntp", "current": "Manual: ", "target": "NTP: 0.vn.pool.ntp.org"},
                         {"setting": "timezone", "current": "GMT+08:00", "target": "<+07>-7"}]},
            {"name": "imaging", "how": "timg:SetImagingSettings", "status": "done", "detail": None,
             "changes": [{"setting": "wdr", "current": "OFF", "target": "ON"}]},
            {"name": "encoder", "how": "tr2:SetVideoEncoderConfiguration", "status": "done", "detail": None,
             "changes": [{"setting": "encoding", "current": "H264", "target": "H265"},
                         {"setting": "bitrate_kbps", "current": "4096", "target": "2048"},
                         {"setting": "rate_control", "current": "CBR", "target": "VBR"}]},
            {"name": "centre-account", "how": "tds:CreateUsers", "status": "done", "detail": None,
             "changes": [{"setting": "centre_account", "current": None,
                          "target": "kitchencam-centre (Operator), password in the keyring"}]},
        ]
        for step in steps:
            store.record_step(backup, step["name"], "done", None)
        store.save_provision_result(
            site.id, camera_key=dahua["serial"], target=f"{dahua['address']}:80", backup_id=backup,
            state="provisioned", steps=steps, verify_problems=[], timezone_used="<+07>-7",
            rtsp={"url": f"rtsp://{dahua['address']}:554/cam/realmonitor?channel=1&subtype=0", "codec": "H265",
                  "clock_rate": 90000, "width": 1920, "height": 1080, "fps": 25.0, "size_source": "sps",
                  "server": "Rtsp Server/3.0"})
        picture = snapshot_jpeg()
        import hashlib

        store.save_snapshot(site.id, camera_key=dahua["serial"], target=f"{dahua['address']}:80",
                            source=f"tr2:GetSnapshotUri http://{dahua['address']}/onvif/snapshot?channel=1&subtype=0",
                            content_type="image/jpeg", data=picture, sha256=hashlib.sha256(picture).hexdigest(),
                            taken_at="2024-11-12T08:40:00+00:00")

        # Camera 2: provisioned with a refused step; the snapshot failed.
        hik = CAMERAS[1]
        backup2 = store.save_backup(site.id, hik["serial"], f"{hik['address']}:80", {
            "media2": True, "encoder": {"token": "VideoEncoderToken_1", "encoding": "H265", "width": 1920,
                                        "height": 1080, "fps": 25.0, "bitrate_kbps": 2048, "gop": 50,
                                        "profile": "Main", "constant_bitrate": False},
            "imaging": None, "ntp": None, "time": None, "hostname": "IPCamera", "users": ["admin"]})
        store.record_step(backup2, "hostname", "failed", "ter:InvalidArgVal: the name is too long")
        store.save_provision_result(
            site.id, camera_key=hik["serial"], target=f"{hik['address']}:80", backup_id=backup2, state="failed",
            steps=[{"name": "hostname", "how": "tds:SetHostname", "status": "failed",
                    "detail": "ter:InvalidArgVal: the name is too long",
                    "changes": [{"setting": "hostname", "current": "IPCamera", "target": "MN-TTO-cam-02"}]}],
            verify_problems=["hostname: IPCamera -> MN-TTO-cam-02"], timezone_used=None,
            rtsp={"url": f"rtsp://{hik['address']}:554/Streaming/Channels/101", "codec": "H265", "width": 1920,
                  "height": 1080, "fps": 25.0, "size_source": "sps", "server": "Rtsp Server/3.0",
                  "clock_rate": 90000})
        store.save_snapshot(site.id, camera_key=hik["serial"], target=f"{hik['address']}:80",
                            source=f"tr2:GetSnapshotUri http://{hik['address']}/onvif-http/snapshot?Profile_1",
                            error="HTTP 401: the camera refused the account for the snapshot",
                            taken_at="2024-11-12T08:41:00+00:00")

        # Registrations: camera 1 accepted, camera 2 rejected. The payload holds secrets a careless
        # report would print.
        planted = {"password": SECRET_PASSWORD, "token": SECRET_TOKEN, "user": "kitchencam-centre"}
        item = store.enqueue_registration(site.id, camera_key=dahua["serial"], target=f"{dahua['address']}:80",
                                          idempotency_key="idem-1", payload=dict(planted),
                                          secret_ref="centre:MN-TTO:cam1", device_id=devices[0].id)
        store.mark_sent(item.id, http_status=201, centre_device_id="TT-MN-TTO-0001")
        item = store.enqueue_registration(site.id, camera_key=hik["serial"], target=f"{hik['address']}:80",
                                          idempotency_key="idem-2", payload=dict(planted),
                                          secret_ref="centre:MN-TTO:cam2", device_id=devices[1].id)
        store.mark_failed(item.id, reason="422: lens does not meet the district's specification", http_status=422,
                          retry_at=None)
        store.save_bandwidth(site.id, mean_mbps=24.6, p10_mbps=18.3, duration_s=20.0, streams=2,
                             url="https://centre.example.vn/api/v1/bandwidth/upload")
    return site.id


def report_input(lang: str, *, nfd: bool = False, config: SiteConfig | None = None) -> ReportInput:
    return ReportInput(site_code=SITE_CODE, site_name=SCHOOL, config=config or site_config(nfd=nfd),
                       profile=load_profile("thanhtri-2024"), lang=lang, now=NOW, version=VERSION)
