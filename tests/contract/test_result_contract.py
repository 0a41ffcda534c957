"""Pin the `--json` result contract of every command against committed snapshots.

One simulated school on loopback (cameras on 127.0.113.x, the district centre on 127.0.113.10) is
started once for the module; every command that takes ``--json`` runs once through the real
Typer entry point, in the order a technician would run them (site init ... report, rollback),
and each document is compared with ``tests/contract/snapshots/<command>.json``.

A snapshot holds the document's *shape* and its *stable values*:

* ``exit_code``: the process exit code (also asserted against ``EXIT_CODES`` below, which a
  snapshot refresh does not touch);
* ``envelope``: ``kitchencam_result_version``, ``command``, ``status`` and the ``errors[].code`` list;
* ``shape``: every key path, in document order, with the JSON type found there
  (``data.devices[].verdicts[].rule: "string"``); a list's items are merged, so ``[]`` stands
  for "any item", and a path seen with several types lists them all (``"null|string"``); the
  order is pinned too, since the documents are meant to stay byte-identical;
* ``values``: every scalar at its exact path (``data.devices[0].verdicts[3].status``), except
  volatile ones (timestamps, durations, measurements, ports, addresses, URLs, temp paths, run
  ids, secrets-derived ids), which become a type marker such as ``"<str>"``; inside the stable
  strings that are kept, loopback addresses, ports, temp paths and times are masked the same way.

A key renamed, removed or added, or a type changed, fails the test with a diff naming the path.

Refreshing the snapshots on purpose (a deliberate contract change; raise
``kitchencam_result_version`` when a key is removed or renamed)::

    KITCHENCAM_UPDATE_CONTRACTS=1 .venv/bin/python -m pytest tests/contract -q

rewrites every snapshot from the current code; review ``git diff tests/contract/snapshots``
before committing it. Without the variable a missing snapshot is a failure, never written.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kitchencam import cli
from kitchencam.i18n import set_language
from kitchencam.logins import BUDGET
from kitchencam.sim.school import SimulatedSchool

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("KITCHENCAM_UPDATE_CONTRACTS") == "1"

PASSWORD = "Bep-An-2024-an-toan"
TOKEN = "tt-contract-token-5b1e"
BASE = "127.0.113.10"  # the centre; camera k on BASE + k. No other test uses 127.0.113.0/24.
SUBNET = "127.0.113.0/27"
HTTP_PORT = 18113  # the sweep's HTTP check (for the camera that answers no discovery) needs a fixed port
PERSONAS = ["dahua-wizsense2", "hikvision-ds2cd1023g0e-i", "hikvision-onvif-off"]
CAMERA_ENV = {"KITCHENCAM_USER": "admin", "KITCHENCAM_PASSWORD": PASSWORD}
CENTRE_ENV = {"KITCHENCAM_CENTRE_TOKEN": TOKEN}
BROKEN_PROFILE = Path(__file__).parents[1] / "data" / "profiles" / "broken" / "01-misspelt-param.yaml"

# The exit code of each run, written here by hand: a snapshot refresh cannot change these.
EXIT_CODES: dict[str, int] = {
    "site-init": 0,
    "site-show": 0,
    "profile-list": 0,
    "profile-show": 0,
    "profile-validate": 0,
    "profile-validate-invalid": 1,
    "credentials-set": 0,
    "credentials-set-centre-token": 0,
    "doctor": 0,
    "discover": 0,
    "check": 3,
    "check-onvif-off": 4,
    "provision-dry-run": 0,
    "provision-yes": 0,
    "register": 3,
    "register-status": 0,
    "sync": 0,
    "bandwidth": 0,
    "report": 0,
    "handover-plan": 0,
    "rollback": 0,
    "credentials-forget": 0,
    "credentials-forget-centre-token": 0,
    "site-show-missing": 1,
    "demo": 0,
}


@dataclass
class Ran:
    argv: list[str]
    exit_code: int
    stdout: str
    crash: str | None  # a traceback when the command raised instead of exiting
    home: Path  # the temporary config/data folder, masked in the values


class Runner:
    """Invokes ``kitchencam.cli.app`` as a fresh process would: a fresh Env, the login budget reset."""

    def __init__(self, home: Path) -> None:
        self.runner = CliRunner()
        self.home = home

    def __call__(self, argv: list[str], env: dict[str, str] | None = None) -> Ran:
        cli.ENV = cli.Env(interactive=False)
        BUDGET.reset()
        result = self.runner.invoke(cli.app, [*argv, "--json"], env=env)
        crash = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            crash = "".join(traceback.format_exception(result.exception))
        return Ran(argv, result.exit_code, result.stdout, crash, self.home)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Ran]]:
    """Every command, run once in order against one simulated school and centre."""
    home = tmp_path_factory.mktemp("contract")
    school = SimulatedSchool(personas=PERSONAS, bind_base=BASE, http_port=HTTP_PORT, rtsp_port=0, user="admin",
                             password=PASSWORD, centre=True, centre_port=0, centre_token=TOKEN)
    saved_env = cli.ENV
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KITCHENCAM_CONFIG_DIR", str(home / "config"))
        mp.setenv("KITCHENCAM_DATA_DIR", str(home / "data"))
        mp.setenv("KITCHENCAM_KEYRING", "file")
        mp.setenv("KITCHENCAM_LANG", "en")
        for var in ("KITCHENCAM_USER", "KITCHENCAM_PASSWORD", "KITCHENCAM_SITE", "KITCHENCAM_STORE",
                    "KITCHENCAM_CENTRE_TOKEN"):
            mp.delenv(var, raising=False)
        set_language("en")
        school.start()
        try:
            yield _run_all(Runner(home), school, home)
        finally:
            school.stop()
            cli.ENV = saved_env
            BUDGET.reset()
            set_language("en")


def _run_all(run: Runner, school: SimulatedSchool, home: Path) -> dict[str, Ran]:
    assert school.centre_server is not None
    centre_url = school.centre_server.base_url
    dahua = school.members[0].camera.device_xaddr
    off = f"{school.members[2].camera.ip}:{HTTP_PORT}"  # hikvision-onvif-off: answers HTTP, not ONVIF
    out: dict[str, Ran] = {}
    out["site-init"] = run(["site", "init", "--school-name", "Trường Mầm non Tả Thanh Oai", "--school-code",
                            "MN-TTO", "--centre-url", centre_url])
    out["site-show"] = run(["site", "show"])
    out["profile-list"] = run(["profile", "list"])
    out["profile-show"] = run(["profile", "show", "thanhtri-2024"])
    out["profile-validate"] = run(["profile", "validate", "thanhtri-2024"])
    out["profile-validate-invalid"] = run(["profile", "validate", str(BROKEN_PROFILE)])
    out["credentials-set"] = run(["credentials", "set", "--user", "admin"], env=CAMERA_ENV)
    out["credentials-set-centre-token"] = run(["credentials", "set", "--centre-token"], env=CENTRE_ENV)
    out["doctor"] = run(["doctor"])
    out["discover"] = run(["discover", "--subnet", SUBNET, "--http-port", str(HTTP_PORT), "--timeout", "2",
                           "--expect", str(len(PERSONAS)), "--user", "admin"])
    out["check"] = run(["check", "--all", "--attest", "power=yes", "--by", "Nguyễn Văn An", "--user", "admin"])
    out["check-onvif-off"] = run(["check", off, "--user", "admin"])
    out["provision-dry-run"] = run(["provision", "--all", "--dry-run", "--user", "admin"])
    out["provision-yes"] = run(["provision", dahua, "--yes", "--user", "admin"])
    out["register"] = run(["register", "--all", "--user", "admin"])
    out["register-status"] = run(["register", "--status"])
    out["sync"] = run(["sync"])
    # The site exists; discover, check, then no --yes and no terminal: the plan only, exit 0 (before
    # bandwidth: its figure in a verdict is no stable value).
    out["handover-plan"] = run(["handover", "--subnet", SUBNET, "--http-port", str(HTTP_PORT), "--timeout", "2",
                                "--expect", str(len(PERSONAS)), "--user", "admin"])
    out["bandwidth"] = run(["bandwidth", "--duration", "1", "--streams", "1"])
    out["report"] = run(["report", "--draft", "--format", "html", "-o", str(home / "minutes")])
    out["rollback"] = run(["rollback", dahua, "--yes", "--user", "admin"])
    out["credentials-forget"] = run(["credentials", "forget", "--user", "admin"])
    out["credentials-forget-centre-token"] = run(["credentials", "forget", "--centre-token"])
    out["site-show-missing"] = run(["site", "show", "--site", str(home / "missing.yaml")])
    out["demo"] = run(["demo"])
    return out


# ---------------------------------------------------------------------------------------------
# Normalisation: a document -> its shape and stable values
# ---------------------------------------------------------------------------------------------

# Keys whose value changes from run to run (or machine to machine) for the same inputs.
VOLATILE_KEYS = re.compile(
    r"""^(
        .*_at | at | when | time | timestamp | started | finished
      | .*elapsed.* | .*duration.* | .*_ms | .*_s | seconds
      | .*mbps.* | .*bytes.* | windows | carries
      | probes_sent | replies | refused | duplicates
      | port | .*_port | address | ip | host | target | url | .*_url | .*_uri | uri | xaddr | xaddrs
      | endpoint | .*path | paths | pdf | html | out_dir | file | bind_base
      | .*_id | idempotency_key | serial | camera_key | mac | sha256 | endpoint_reference
    )$""",
    re.X,
)
TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean",
              type(None): "null"}
MASKS = [
    (re.compile(r"\b\d+(\.\d+)? (h|min|s)\b( \d+(\.\d+)? (min|s)\b)*"), "<duration>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "<time>"),
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"/(tmp|var/tmp|private)/\S*"), "<tmp-path>"),
    (re.compile(r"(rtsp|https?)://[^\s'\"),;]+"), "<url>"),
    (re.compile(r"\b127(\.\d{1,3}){3}(:\d+)?"), "<loopback>"),
]


def json_type(value: Any) -> str:
    return TYPE_NAMES[type(value)]


def shape(doc: Any, path: str = "", out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every key path in ``doc`` with the JSON types seen there; a list's items share the path ``[]``."""
    out = {} if out is None else out
    if path:
        out.setdefault(path, set()).add(json_type(doc))
    if isinstance(doc, dict):
        for key, value in doc.items():
            shape(value, f"{path}.{key}" if path else key, out)
    elif isinstance(doc, list):
        for item in doc:
            shape(item, f"{path}[]", out)
    return out


def stable_values(doc: Any, path: str = "", out: dict[str, Any] | None = None, *,
                  masks: list[tuple[re.Pattern[str], str]]) -> dict[str, Any]:
    """Every scalar at its exact path; a volatile one (by its key) becomes a type marker."""
    out = {} if out is None else out
    key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    if doc is not None and not isinstance(doc, bool) and path and VOLATILE_KEYS.match(key):
        out[path] = f"<{json_type(doc)}>"  # and nothing below it: a volatile list or object is one marker
    elif isinstance(doc, dict):
        for k, value in doc.items():
            stable_values(value, f"{path}.{k}" if path else k, out, masks=masks)
        if not doc:
            out[path] = {}
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            stable_values(item, f"{path}[{i}]", out, masks=masks)
        if not doc:
            out[path] = []
    elif isinstance(doc, str):
        for pattern, marker in masks:
            doc = pattern.sub(marker, doc)
        out[path] = doc
    else:
        out[path] = doc
    return out


def snapshot_of(ran: Ran) -> dict[str, Any]:
    doc = json.loads(ran.stdout)
    masks = [(re.compile(re.escape(str(ran.home))), "<home>"), *MASKS]
    return {
        "exit_code": ran.exit_code,
        "envelope": {
            "kitchencam_result_version": doc.get("kitchencam_result_version"),
            "command": doc.get("command"),
            "status": doc.get("status"),
            "errors[].code": [e.get("code") for e in doc.get("errors") or []],
        },
        "shape": {p: "|".join(sorted(t)) for p, t in shape(doc).items()},  # in document order
        "values": stable_values(doc.get("data"), masks=masks) if doc.get("data") is not None else None,
    }


def describe_differences(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """One readable line per difference, naming the key path."""
    lines: list[str] = []
    if want.get("exit_code") != got.get("exit_code"):
        lines.append(f"exit code: snapshot {want.get('exit_code')}, now {got.get('exit_code')}")
    for field in ("kitchencam_result_version", "command", "status", "errors[].code"):
        a, b = want.get("envelope", {}).get(field), got["envelope"].get(field)
        if a != b:
            lines.append(f"envelope {field}: snapshot {a!r}, now {b!r}")
    ws, gs = want.get("shape", {}), got["shape"]
    for p in sorted(set(ws) - set(gs)):
        lines.append(f"key removed (or renamed): {p} ({ws[p]})")
    for p in sorted(set(gs) - set(ws)):
        lines.append(f"key added (or renamed to): {p} ({gs[p]})")
    for p in sorted(set(ws) & set(gs)):
        if ws[p] != gs[p]:
            lines.append(f"type changed at {p}: snapshot {ws[p]}, now {gs[p]}")
    common_want, common_got = [p for p in ws if p in gs], [p for p in gs if p in ws]
    if common_want != common_got:
        at = next(i for i, (a, b) in enumerate(zip(common_want, common_got, strict=True)) if a != b)
        lines.append(f"key order changed: snapshot has {common_want[at]} where now {common_got[at]} comes")
    wv, gv = want.get("values") or {}, got["values"] or {}
    if (want.get("values") is None) != (got["values"] is None):
        lines.append(f"data: snapshot {'null' if want.get('values') is None else 'a result'}, "
                     f"now {'null' if got['values'] is None else 'a result'}")
    for p in sorted(set(wv) | set(gv)):
        if p not in gv:
            lines.append(f"value gone at data.{p}: snapshot {wv[p]!r}")
        elif p not in wv:
            lines.append(f"value new at data.{p}: now {gv[p]!r}")
        elif wv[p] != gv[p]:
            lines.append(f"value changed at data.{p}: snapshot {wv[p]!r}, now {gv[p]!r}")
    return lines


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------


def test_every_json_command_is_pinned():
    """A command that takes --json but has no run here fails: add it to _run_all and EXIT_CODES."""
    import typer.main

    group = typer.main.get_command(cli.app)

    def commands(cmd: Any, prefix: str = "") -> Iterator[str]:
        for name, sub in getattr(cmd, "commands", {}).items():
            full = f"{prefix} {name}".strip()
            if getattr(sub, "commands", None):
                yield from commands(sub, full)
            elif any("--json" in p.opts for p in sub.params):
                yield full

    pinned = {name.replace("-", " ") for name in EXIT_CODES}
    found = list(commands(group))
    assert len(found) >= 17, found  # the walk itself works (17 commands take --json today)
    missing = [c for c in found if not any(p == c or p.startswith(c + " ") for p in pinned)]
    assert missing == [], f"commands with --json and no contract snapshot: {missing}"


@pytest.mark.parametrize("name", list(EXIT_CODES))
def test_result_contract(runs: dict[str, Ran], name: str):
    ran = runs[name]
    assert ran.crash is None, f"kitchencam {' '.join(ran.argv)} --json raised:\n{ran.crash}"
    try:
        got = snapshot_of(ran)
    except json.JSONDecodeError as exc:
        pytest.fail(f"kitchencam {' '.join(ran.argv)} --json printed no JSON document ({exc}):\n{ran.stdout[:2000]}")
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with KITCHENCAM_UPDATE_CONTRACTS=1 to write it, then review it"
    want = json.loads(path.read_text(encoding="utf-8"))
    differences = describe_differences(want, got)
    assert not differences, (f"`kitchencam {' '.join(ran.argv)} --json` no longer matches {path.name}:\n  "
                             + "\n  ".join(differences)
                             + "\n(a deliberate change: KITCHENCAM_UPDATE_CONTRACTS=1, see the module docstring)")
    assert ran.exit_code == EXIT_CODES[name], f"exit code {ran.exit_code}, expected {EXIT_CODES[name]}"
