"""What reading a camera's own vendor API costs `check` (issue 14): requests, logins, seconds.

    .venv/bin/python benchmarks/vendor_reads.py [--runs 5]   # writes benchmarks/results/vendor_reads.json

One simulated camera per persona on 127.0.87.x (a factory Dahua, an Amcrest that names no vendor,
a factory Hikvision, a no-name camera without a vendor API). For each, ``--runs`` times: the ONVIF
read as ``check`` does it (kitchencam.inspection), then the vendor read alone
(kitchencam.vendors.registry.read_vendor, with the same account), timed apart. Counted on the
camera: the vendor API requests it answered; in the run's login budget: refused logins (must stay
0 with the right password). The cameras' password is made up per run. Loopback only.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))

PERSONAS = ("dahua-wizsense2", "amcrest-ip2m-841", "hikvision-ds2cd2023g2-i", "generic-720p")


def main(runs: int) -> dict[str, object]:
    import _results

    from kitchencam.logins import LoginBudget
    from kitchencam.onvif.client import OnvifCamera, Timeouts
    from kitchencam.onvif.read import read_facts
    from kitchencam.sim.camera import SimCamera
    from kitchencam.sim.personas import get_persona
    from kitchencam.vendors.base import VendorCamera
    from kitchencam.vendors.registry import read_vendor

    password = "Bk-" + secrets.token_urlsafe(12)
    rows = []
    for i, name in enumerate(PERSONAS):
        with SimCamera(get_persona(name), f"127.0.87.{i + 1}", password=password, index=i) as cam:
            user = next(iter(cam.users()))
            onvif_s, vendor_s, requests, answered = [], [], [], None
            budget = LoginBudget()
            for _ in range(runs):
                started = time.perf_counter()
                with OnvifCamera(f"{cam.ip}:{cam.http_port}", user=user, password=password,
                                 timeouts=Timeouts(connect=2.0, read=5.0)) as onvif:
                    facts = read_facts(onvif)
                onvif_s.append(time.perf_counter() - started)
                before = len(cam.requests)
                started = time.perf_counter()
                info = facts.device_info
                _adapter, vendor, choice = read_vendor(VendorCamera(cam.ip, cam.http_port, user, password,
                                                                    budget=budget),
                                                       info.manufacturer if info else None,
                                                       info.model if info else None)
                vendor_s.append(time.perf_counter() - started)
                requests.append(sum(1 for _path, op in cam.requests[before:] if op.startswith(("GET ", "PUT "))))
                answered = {"vendor": choice.vendor, "how": choice.how,
                            "smart_codec": vendor.smart_codec.value if vendor and vendor.smart_codec else None,
                            "read_errors": len(vendor.read_errors) if vendor else None}
            rows.append({"persona": name, "manufacturer": get_persona(name).manufacturer, **(answered or {}),
                         "onvif_read_s_median": round(statistics.median(onvif_s), 4),
                         "vendor_read_s_median": round(statistics.median(vendor_s), 4),
                         "vendor_requests_per_read": max(requests),
                         "refused_logins": len(budget.refused_calls(cam.ip))})
    return _results.write("vendor_reads", {**_results.stamp(), "runs": runs, "cameras": rows})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import json

    print(json.dumps(main(args.runs), indent=2))
