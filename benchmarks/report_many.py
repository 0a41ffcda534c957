"""How long does `kitchencam report` take for a whole school? (issue 7, Performance)

    .venv/bin/python benchmarks/report_many.py    # writes benchmarks/results/report_many.json

A store is built directly (no camera, no network) for a school of 20 cameras, each with what a
full run leaves behind: inventory row, a check with one verdict per rule of thanhtri-2024 and
two attestations, a provisioning backup with its steps and outcome (RTSP included), a
registration accepted by the centre, and a 1920x1080 JPEG snapshot of its own (about 200 kB,
made with Pillow so that no two are alike), plus a bandwidth result. Then the report is
written as the CLI writes it (``kitchencam.report.write_report``): PDF alone, HTML alone, and
both, each timed in a fresh process (imports and font loading included, as a technician
running ``kitchencam report`` would see), ``--runs`` times; the median counts.
Target: the PDF of 20 cameras with snapshots in under 3 s.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CAMERAS = 20
TARGET_S = 3.0
SITE = "MN-BENCH"


def picture(k: int) -> bytes:
    """A 1920x1080 JPEG unlike the others: a kitchen-ish scene of flat shapes, a gradient and noise."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(k)
    image = Image.linear_gradient("L").resize((1920, 1080)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1800), rng.randrange(1000)
        colour = tuple(rng.randrange(40, 230) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300)), fill=colour)
    noise = Image.effect_noise((1920, 1080), 18).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def build_store(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from kitchencam.profile import load_profile
    from kitchencam.store import AttestationRecord, CheckRecord, Store

    profile = load_profile("thanhtri-2024")
    with Store(path) as store:
        site = store.upsert_site(SITE, "Trường Tiểu học Bench")
        records = []
        for k in range(1, CAMERAS + 1):
            serial = f"8H0A20433{k:05d}"
            address = f"192.168.1.{100 + k}"
            device = store.upsert_device(
                site.id, f"urn:uuid:bench-{k}", kind="camera", address=address,
                xaddr=f"http://{address}/onvif/device_service", manufacturer="Dahua", model="IPC-HFW2241S-S-0360B",
                firmware="V2.820.0000000.18.R", serial=serial, mac=f"3c:ef:8c:00:01:{k:02x}",
                location=f"Bếp ăn, vị trí {k}", found_by="multicast", onvif="on")
            verdicts = [{
                "rule": rule.id, "title": rule.title, "title_vi": rule.title_vi or "", "kind": rule.kind,
                "severity": "required", "status": ("PASS", "PASS", "PASS", "WARN", "MANUAL")[i % 5],
                "seen": f"value seen for {rule.id} on the main stream, 1920x1080",
                "required": f"as the letter says ({i})",
                "evidence": "device" if rule.kind == "device" else "catalogue",
                "source": "ONVIF Media2 GetVideoEncoderConfigurationOptions", "detail": "",
                "fixable_by_provision": False, "attested_by": None, "attested_at": None,
            } for i, rule in enumerate(profile.rules)]
            records.append(CheckRecord(target=f"http://{address}/onvif/device_service", device_id=device.id,
                                       manufacturer="Dahua", model="IPC-HFW2241S-S-0360B", serial=serial,
                                       firmware="V2.820.0000000.18.R", mac=f"3c:ef:8c:00:01:{k:02x}",
                                       overall="INCOMPLETE", checked_at="2024-11-12T08:05:00+00:00",
                                       verdicts=verdicts))
            backup = store.save_backup(site.id, serial, f"{address}:80", {
                "media2": True, "encoder": {"encoding": "H264", "width": 1920, "height": 1080, "fps": 25.0,
                                            "bitrate_kbps": 4096, "gop": 50, "constant_bitrate": True},
                "imaging": {"wdr_mode": "OFF", "wdr_level": 50.0, "ir_cut_filter": "AUTO"},
                "ntp": {"servers": []}, "time": {"date_time_type": "Manual", "timezone": "GMT+08:00"},
                "hostname": "IPC", "users": ["admin"]})
            steps = []
            for name, changes in (("time", [("ntp", "Manual: ", "NTP: 0.vn.pool.ntp.org"),
                                            ("timezone", "GMT+08:00", "<+07>-7")]),
                                  ("imaging", [("wdr", "OFF", "ON")]),
                                  ("encoder", [("encoding", "H264", "H265"), ("bitrate_kbps", "4096", "2048"),
                                               ("rate_control", "CBR", "VBR")]),
                                  ("hostname", [("hostname", "IPC", f"{SITE}-cam-{k:02d}")])):
                store.record_step(backup, name, "done", None)
                steps.append({"name": name, "how": "", "status": "done", "detail": None,
                              "changes": [{"setting": s, "current": c, "target": t} for s, c, t in changes]})
            store.save_provision_result(site.id, camera_key=serial, target=f"{address}:80", backup_id=backup,
                                        state="provisioned", steps=steps, verify_problems=[], timezone_used="<+07>-7",
                                        rtsp={"codec": "H265", "width": 1920, "height": 1080, "fps": 25.0})
            data = picture(k)
            store.save_snapshot(site.id, camera_key=serial, target=f"{address}:80", content_type="image/jpeg",
                                data=data, sha256=hashlib.sha256(data).hexdigest(),
                                source=f"tr2:GetSnapshotUri http://{address}/onvif/snapshot?channel=1&subtype=0")
            item = store.enqueue_registration(site.id, camera_key=serial, target=f"{address}:80",
                                              idempotency_key=f"bench-{k}", payload={"serial": serial},
                                              secret_ref=None, device_id=device.id)
            store.mark_sent(item.id, http_status=201, centre_device_id=f"TT-{SITE}-{k:04d}")
        attestations = [AttestationRecord(rule=r, answer=True, by="Nguyễn Văn An", at="2024-11-12T08:10:00+00:00",
                                          origin="command-line") for r in ("power", "ip67")]
        store.record_check_run(site.id, "thanhtri-2024", "2024-11-12T08:05:00+00:00", records, attestations)
        store.save_bandwidth(site.id, mean_mbps=48.2, p10_mbps=41.0, duration_s=20.0, streams=2)


CHILD = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from datetime import datetime, timezone
from pathlib import Path
from kitchencam.profile import load_profile
from kitchencam.report import ReportInput, write_report
from kitchencam.store import Store
with Store(Path({db!r})) as store:
    given = ReportInput(site_code={site!r}, site_name="bench", config=None, profile=load_profile("thanhtri-2024"),
                        lang="vi", now=datetime.now(timezone.utc), version="bench")
    result = write_report(store, given, fmt={fmt!r}, output=Path({out!r}))
print(json.dumps({{"seconds": time.perf_counter() - started, "paths": result.paths}}))
"""


def run_once(db: Path, out: Path, fmt: str) -> dict[str, Any]:
    code = CHILD.format(root=str(ROOT), db=str(db), site=SITE, fmt=fmt, out=str(out))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kitchencam-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        build_store(db)
        build_s = time.perf_counter() - started
        figures: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        for fmt in ("pdf", "html", "both"):
            runs = [run_once(db, Path(tmp) / f"out-{fmt}", fmt) for _ in range(args.runs)]
            figures[fmt] = {"seconds": round(statistics.median(r["seconds"] for r in runs), 3),
                            "seconds_runs": [round(r["seconds"], 3) for r in runs]}
            for kind, path in runs[-1]["paths"].items():
                sizes[f"{fmt}:{kind}"] = Path(path).stat().st_size
        pages = _pages(Path(runs[-1]["paths"]["pdf"]))
    out = {
        "benchmark": "report_many",
        "command": ".venv/bin/python benchmarks/report_many.py",
        "cameras": CAMERAS,
        "snapshots": "one 1920x1080 JPEG per camera, all different",
        "how": "write_report() in a fresh process per run (imports, fonts and the store read included); median of "
               f"{args.runs} runs",
        "store_build_s": round(build_s, 2),
        "pdf_s": figures["pdf"]["seconds"],
        "html_s": figures["html"]["seconds"],
        "both_s": figures["both"]["seconds"],
        "runs": figures,
        "bytes": sizes,
        "pdf_pages": pages,
        "target_s": TARGET_S,
        "meets_target": figures["pdf"]["seconds"] < TARGET_S,
        **stamp(),
    }
    return write("report_many", out)


def _pages(pdf: Path) -> int | None:
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), None)


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
