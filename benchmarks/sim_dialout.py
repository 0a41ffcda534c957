"""How long until 20 simulated cameras configured to dial out are online at the simulated centre? (issue 15)

    .venv/bin/python benchmarks/sim_dialout.py    # writes benchmarks/results/sim_dialout.json

A simulated school on 127.0.174.10 (in-process): 10 Dahua cameras on Auto Register, 5 Hikvision on
ISUP and 5 Hikvision on GB/T 28181, all pointed at the school's centre at once (their vendor state
set directly, as a write through the vendor API would leave it). Measured: seconds from the
settings to every device online by the centre's REST API (polled every 20 ms), then from disabling
them to every device offline. The simulator's side only: it bounds what ``register``'s wait for
"online at the centre" can see (each camera notices a change within its 0.5 s poll).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import requests
from _results import stamp, write

from kitchencam.sim.school import SimulatedSchool

BASE = "127.0.174.10"
RUNS = 3
KINDS = ["auto-register"] * 10 + ["isup"] * 5 + ["gb28181"] * 5


def configure(cam: Any, kind: str, school: SimulatedSchool, device_id: str, enabled: bool = True) -> None:
    centre = school.centre_server
    assert centre is not None
    assert centre.registrar is not None
    with cam._lock:
        s = cam.vendor_state
        if kind == "auto-register":
            s.update({"DVRIP.RegisterServer": enabled, "DVRIP.Address": BASE, "DVRIP.Port": school.auto_register_port,
                      "DVRIP.DeviceID": device_id})
        elif kind == "isup":
            s.update({"isup_enabled": enabled, "isup_ip": BASE, "isup_port": school.isup_port,
                      "isup_device_id": device_id, "isup_key": centre.isup_key})
        else:
            s.update({"gb28181": enabled, "gb28181_server": BASE, "gb28181_port": centre.registrar.port,
                      "gb28181_server_id": centre.sip_server_id, "gb28181_domain": centre.sip_domain,
                      "gb28181_device_id": device_id, "gb28181_password": centre.sip_password})


def wait_all(session: requests.Session, url: str, token: str, ids: list[str], online: bool,
             limit: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        listed = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).json()["connections"]
        state = {c["device_id"]: c["online"] for c in listed}
        if all(state.get(d, False) is online for d in ids):
            return time.monotonic() - started
        time.sleep(0.02)
    raise SystemExit(f"not all {'online' if online else 'offline'} within {limit} s")


def run_once(run: int) -> dict[str, float]:
    personas = ["dahua-wizsense2" if k == "auto-register" else "hikvision-ds2cd2023g2-i" for k in KINDS]
    with SimulatedSchool(personas=personas, bind_base=BASE, http_port=0, rtsp_port=0, centre=True, centre_port=0,
                         centre_sip_port=0, discovery=False) as school, requests.Session() as session:
        session.trust_env = False
        centre = school.centre_server
        assert centre is not None
        ids = [f"{centre.sip_domain}132{run:03d}{i:04d}" if kind == "gb28181" else f"BENCH-{run}-{i:02d}"
               for i, kind in enumerate(KINDS)]
        url = f"{centre.base_url}/api/v1/connections"
        for member, kind, device_id in zip(school.members, KINDS, ids, strict=True):
            configure(member.camera, kind, school, device_id)
        online = wait_all(session, url, centre.token, ids, True)
        for member, kind, device_id in zip(school.members, KINDS, ids, strict=True):
            configure(member.camera, kind, school, device_id, enabled=False)
        offline = wait_all(session, url, centre.token, ids, False)
        return {"online_s": round(online, 3), "offline_s": round(offline, 3)}


def main() -> None:
    runs = [run_once(r) for r in range(RUNS)]
    result = {
        **stamp(),
        "cameras": len(KINDS),
        "methods": {k: KINDS.count(k) for k in sorted(set(KINDS))},
        "runs": runs,
        "online_median_s": statistics.median(r["online_s"] for r in runs),
        "offline_median_s": statistics.median(r["offline_s"] for r in runs),
        "note": "simulator only: settings to online/offline at the centre's REST API; camera poll 0.5 s",
    }
    print(write("sim_dialout", result))


if __name__ == "__main__":
    main()
