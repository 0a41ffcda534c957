"""How many wrong passwords does one run send a camera? (issue 12, item 4)

    .venv/bin/python benchmarks/logins_lockout.py    # writes benchmarks/results/logins_lockout.json

Three Hikvision-like replay cameras (tests/replay.py: a refused WS-Security token gets HTTP
401 + Digest, HTTP digest is accepted with the right password) on 127.0.86.1-3, one port number.
In ONE process, through the real CLI: ``discover --subnet 127.0.86.k/32 ...`` with a wrong
password, then ``check`` of the three. Each camera counts the
requests that carried credentials and those it refused. A real Hikvision locks the account after
5 refusals; kitchencam's budget is 2 per camera per run. Loopback only; every server is stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if __name__ == "__main__":
    sys.path.insert(0, str(HERE))  # the scripts import _results
    sys.path.insert(0, str(ROOT))  # tests.replay


def main() -> dict[str, object]:
    import _results
    from typer.testing import CliRunner

    from kitchencam import cli
    from tests.replay import Reply, replay_camera, system_date_and_time

    nvt = "onvif-nvt/hikvision/"
    routes = {
        "tds:GetSystemDateAndTime": lambda _req: system_date_and_time(datetime.now(timezone.utc)),
        "tds:GetServices": Reply.capture(nvt + "core/GetServices.Response.xml"),
        "tds:GetDeviceInformation": Reply.capture(nvt + "core/GetDeviceInformation.Response.xml"),
        "tds:GetNetworkInterfaces": Reply.capture(nvt + "core/GetNetworkInterfaces.Response.xml"),
        "trt:GetProfiles": Reply.capture(nvt + "media/GetProfiles.Response.xml"),
    }
    hosts = ["127.0.86.1", "127.0.86.2", "127.0.86.3"]
    # Made up per run: the cameras' password, and a different one typed by the technician.
    right, typed = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        os.environ.update(KITCHENCAM_CONFIG_DIR=f"{tmp}/config", KITCHENCAM_DATA_DIR=f"{tmp}/data",
                          KITCHENCAM_KEYRING="file", KITCHENCAM_LANG="en")
        cams = []
        for host in hosts:
            cams.append(stack.enter_context(replay_camera(
                routes, ws_password=right, ws_refusal_digest=True, host=host,
                port=cams[0].port if cams else 0)))
        env = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": typed}
        runner = CliRunner()
        cli.ENV = cli.Env(interactive=False)
        steps: dict[str, dict[str, object]] = {}
        commands = {
            "discover": ["discover", *(a for h in hosts for a in ("--subnet", f"{h}/32")),
                         "--http-port", str(cams[0].port), "--timeout", "1", "--json"],
            "check": ["check", *(c.target for c in cams), "--json"],
        }
        for name, args in commands.items():
            result = runner.invoke(cli.app, args, env=env, catch_exceptions=False)
            doc = json.loads(result.stdout)
            steps[name] = {"exit_code": result.exit_code,
                           "errors": sorted({e["code"] for e in doc["errors"]}),
                           "refused_so_far": [c.refused for c in cams]}
        per_camera = {c.target: {"logins_sent": c.logins, "refused": c.refused} for c in cams}
    return _results.write("logins_lockout", {
        **_results.stamp(),
        "what": "one process: discover + check with a wrong password, 3 Hikvision-like cameras",
        "steps": steps,
        "per_camera": per_camera,
        "max_refused_per_camera": max(v["refused"] for v in per_camera.values()),
        "budget": 2,
        "hikvision_locks_after": 5,
    })


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
