"""How fast and how lean is `kitchencam check` on a whole school? (issue 4, Performance)

    .venv/bin/python benchmarks/check_many.py     # writes benchmarks/results/check_many.json

One run measures, side by side, against the SAME simulated school: 50 cameras (persona
dahua-wizsense2-ready, fault latency=20: every ONVIF call waits 20 ms) on 127.0.88.1-50, served
by ``kitchencam sim`` in a separate process so that the checker's memory is the checker's alone.

(a) kitchencam's way: ``kitchencam.check.check(CheckOptions(targets, user, password), profile,
    catalogue)`` in a fresh process: WSDLs parsed once per process, cameras read concurrently,
    every camera audited. Timed from the call to ``check`` (so the one-time WSDL parse is
    included) to its return; peak RSS (``ru_maxrss``) of that process is the memory figure.
    Repeated ``--runs`` times, each in a new process; the median counts.
    Targets: 50 cameras under 5 s, peak RSS under 150 MB.
(b) the naive baseline an onvif-zeep-style tool does: one camera after the other, a fresh zeep
    ``Client`` per service per camera (devicemgmt, media2, imaging), so the WSDLs are parsed
    again for every camera (as onvif-zeep's ``ONVIFCamera`` does), then the same reads as
    kitchencam (``read_facts``) one by one. No audit (that only flatters the baseline). It would
    take about a minute for 50 cameras, so ``--naive-cameras`` (default 10) are measured and
    the time is extrapolated linearly to 50; the JSON says so.
    Target: (a) at least 10x faster than (b).

Both sides count the SOAP requests they send, to show they did the same work; a run where a
camera could not be read is reported as such (``all_ok: false``), never as a fast run.
Everything is bounded by timeouts and every process started here is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _results import stamp, write

HERE = Path(__file__).resolve().parent
CAMERAS = 50
PERSONA = "dahua-wizsense2-ready"
LATENCY_MS = 20
BIND_BASE = "127.0.88.0"
USER = "admin"
# The simulated cameras' own account: made up per run, and handed to the child processes this
# script starts through their environment.
PASSWORD = os.environ.setdefault("KITCHENCAM_BENCH_PASSWORD", secrets.token_urlsafe(12))
PROFILE = "thanhtri-2024"
RUNS = 3
NAIVE_CAMERAS = 10
TARGET_S = 5.0
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 150.0
SIM_START_TIMEOUT_S = 60.0
CHILD_TIMEOUT_S = 300.0


# --- the simulated school, in its own process -----------------------------------------------------

class School:
    """``kitchencam sim`` as a child process; ``endpoints`` are its JSON lines."""

    def __init__(self, cameras: int) -> None:
        self.cameras = cameras
        self.proc: subprocess.Popen[str] | None = None
        self.endpoints: list[dict[str, Any]] = []
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in stop())

    def __enter__(self) -> School:
        cmd = [sys.executable, "-m", "kitchencam", "sim", "--cameras", str(self.cameras), "--persona", PERSONA,
               "--bind-base", BIND_BASE, "--http-port", "0", "--rtsp-port", "0", "--no-discovery",
               "--user", USER, "--password", PASSWORD, "--fault", f"latency={LATENCY_MS}"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     stdin=subprocess.DEVNULL)
        try:
            self._read_endpoints()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_endpoints(self) -> None:
        # A reader thread: a buffered pipe and select() do not mix (lines hide in the buffer).
        assert self.proc is not None
        assert self.proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout

        def pump() -> None:
            for line in iter(stdout.readline, ""):
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + SIM_START_TIMEOUT_S
        while len(self.endpoints) < self.cameras:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(0.01, min(left, 0.5)))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the simulator exited (code {self.proc.poll()})"
                                       f"{self._stderr_tail()}") from None
                if left <= 0:
                    raise RuntimeError(f"the simulator did not start within {SIM_START_TIMEOUT_S:g} s"
                                       f"{self._stderr_tail()}") from None
                continue
            endpoint = json.loads(line)
            if endpoint.get("kind") == "camera":
                self.endpoints.append(endpoint)

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read()[-2000:].strip()
        return f": {text}" if text else ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        self._stderr.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_child(phase: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; it reads ``payload`` on stdin, answers JSON on stdout."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", phase],
                          input=json.dumps(payload), capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"phase {phase} failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _count_posts() -> list[int]:
    """Count every SOAP request sent through kitchencam's transport (both sides use it)."""
    from kitchencam.onvif.client import OfflineTransport

    counter = [0]
    original = OfflineTransport.post

    def post(self: OfflineTransport, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        counter[0] += 1
        return original(self, address, message, headers)

    OfflineTransport.post = post  # type: ignore[method-assign]
    return counter


# --- (a) kitchencam's way ----------------------------------------------------------------------------

def child_check(payload: dict[str, Any]) -> dict[str, Any]:
    from kitchencam.check import CheckOptions, check
    from kitchencam.onvif.client import parse_times
    from kitchencam.profile import load_catalogue, load_profile

    counter = _count_posts()
    profile, catalogue = load_profile(PROFILE), load_catalogue()
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    result = check(CheckOptions(targets=payload["targets"], user=USER, password=PASSWORD), profile, catalogue)
    elapsed = time.perf_counter() - started
    overall: dict[str, int] = {}
    for d in result.devices:
        overall[d.overall] = overall.get(d.overall, 0) + 1
    errors = [f"{d.target}: {d.error.message}" for d in result.devices if d.error is not None]
    # Each camera's verdicts must come from a complete read, not from read errors.
    unknown_device = sorted({v.rule for d in result.devices for v in d.verdicts
                             if v.kind == "device" and v.status == "UNKNOWN"})
    return {
        "seconds": round(elapsed, 3),
        "cameras": len(result.devices),
        "overall": overall,
        "errors": errors[:5],
        "device_rules_unknown": unknown_device,
        "all_ok": not errors and not unknown_device and len(result.devices) == len(payload["targets"]),
        "soap_requests": counter[0],
        "wsdl_parse_s": round(sum(parse_times().values()), 3),
        "rss_after_imports_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


# --- (b) the naive onvif-zeep-style loop ---------------------------------------------------------

def _fresh_service(spec: Any, xaddr: str) -> Any:
    """What onvif-zeep's ONVIFService does: a new zeep Client, i.e. the WSDL parsed again."""
    from zeep import Client, Settings
    from zeep.wsse.username import UsernameToken

    from kitchencam.onvif.client import WSDL_DIR, OfflineTransport

    client = Client(str(WSDL_DIR / spec.wsdl), wsse=UsernameToken(USER, PASSWORD, use_digest=True),
                    transport=OfflineTransport(), settings=Settings(strict=False, xml_huge_tree=True))
    return client.create_service(spec.binding, xaddr)


def naive_read(xaddr: str) -> int:
    """Read one camera the naive way; returns how many encoders it read (0 would be a failure)."""
    from kitchencam.onvif.client import DEVICE, IMAGING, MEDIA2

    dev = _fresh_service(DEVICE, xaddr)
    dev.GetSystemDateAndTime()
    xaddrs = {s.Namespace: s.XAddr for s in dev.GetServices(IncludeCapability=True)}
    for operation in ("GetDeviceInformation", "GetScopes", "GetNetworkInterfaces", "GetHostname", "GetNTP",
                      "GetDNS", "GetDynamicDNS", "GetUsers"):
        getattr(dev, operation)()
    media2 = _fresh_service(MEDIA2, xaddrs[MEDIA2.namespace])
    profiles = media2.GetProfiles(Type=["All"])
    sources = media2.GetVideoSourceConfigurations()
    encoders = media2.GetVideoEncoderConfigurations()
    for encoder in encoders:
        media2.GetVideoEncoderConfigurationOptions(ConfigurationToken=encoder.token)
    for p in profiles:
        media2.GetStreamUri(Protocol="RtspUnicast", ProfileToken=p.token)
        media2.GetSnapshotUri(ProfileToken=p.token)
    imaging = _fresh_service(IMAGING, xaddrs[IMAGING.namespace])
    for token in dict.fromkeys(s.SourceToken for s in sources):
        imaging.GetImagingSettings(VideoSourceToken=token)
        imaging.GetOptions(VideoSourceToken=token)
    return len(encoders)


def child_naive(payload: dict[str, Any]) -> dict[str, Any]:
    counter = _count_posts()
    import zeep  # noqa: F401 (imported before the clock starts, as in (a))

    per_camera = []
    failures = []
    started = time.perf_counter()
    for xaddr in payload["targets"]:
        t = time.perf_counter()
        try:
            if naive_read(xaddr) == 0:
                failures.append(f"{xaddr}: no encoder")
        except Exception as exc:  # noqa: BLE001 (report, do not hide, what failed)
            failures.append(f"{xaddr}: {type(exc).__name__}: {exc}")
        per_camera.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    return {
        "seconds": round(elapsed, 3),
        "cameras": len(payload["targets"]),
        "per_camera_mean_s": round(statistics.mean(per_camera), 3),
        "per_camera_stdev_s": round(statistics.stdev(per_camera), 3) if len(per_camera) > 1 else 0.0,
        "errors": failures[:5],
        "all_ok": not failures,
        "soap_requests": counter[0],
        "peak_rss_mb": _peak_rss_mb(),
    }


# --- the run --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=CAMERAS)
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of (a), each in a fresh process")
    parser.add_argument("--naive-cameras", type=int, default=NAIVE_CAMERAS,
                        help="cameras the naive loop (b) really reads; the rest is extrapolated")
    parser.add_argument("--child", choices=("check", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        payload = json.loads(sys.stdin.read())
        out = child_check(payload) if args.child == "check" else child_naive(payload)
        print(json.dumps(out))
        return out

    naive_count = max(2, min(args.naive_cameras, args.cameras))
    with School(args.cameras) as school:
        targets = [e["xaddr"] for e in school.endpoints]
        runs = [run_child("check", {"targets": targets}) for _ in range(max(1, args.runs))]
        naive = run_child("naive", {"targets": targets[:naive_count]})
    a_seconds = statistics.median(r["seconds"] for r in runs)
    b_seconds = naive["seconds"] * args.cameras / naive_count
    peak = max(r["peak_rss_mb"] for r in runs)
    speedup = b_seconds / a_seconds
    all_ok = all(r["all_ok"] for r in runs) and naive["all_ok"]
    result: dict[str, Any] = {
        "benchmark": "check_many",
        "command": ".venv/bin/python benchmarks/check_many.py",
        "cameras": args.cameras,
        "persona": PERSONA,
        "fault": f"latency={LATENCY_MS}",
        "simulator": "kitchencam sim, a separate process, 127.0.88.x, ports 0, discovery off",
        "kitchencam": {
            "how": "check(CheckOptions(targets, user, password), profile, catalogue): WSDLs parsed once, "
                   f"cameras concurrent; {len(runs)} run(s), each a fresh process, median counts",
            "seconds": round(a_seconds, 3),
            "seconds_runs": [r["seconds"] for r in runs],
            "wsdl_parse_s": runs[0]["wsdl_parse_s"],
            "soap_requests_per_camera": round(runs[0]["soap_requests"] / args.cameras, 1),
            "overall": runs[0]["overall"],
            "all_ok": all(r["all_ok"] for r in runs),
            "errors": [e for r in runs for e in r["errors"]][:5],
            "device_rules_unknown": sorted({u for r in runs for u in r["device_rules_unknown"]}),
        },
        "naive": {
            "how": "sequential loop, a fresh zeep Client per service per camera (devicemgmt, media2, imaging "
                   "WSDLs parsed again each time, like onvif-zeep's ONVIFCamera), same reads, no audit",
            "measured_cameras": naive_count,
            "measured_seconds": naive["seconds"],
            "per_camera_mean_s": naive["per_camera_mean_s"],
            "per_camera_stdev_s": naive["per_camera_stdev_s"],
            "extrapolated": naive_count != args.cameras,
            "seconds": round(b_seconds, 3),
            "note": (f"measured on {naive_count} cameras, extrapolated linearly to {args.cameras}"
                     if naive_count != args.cameras else "measured on every camera"),
            "soap_requests_per_camera": round(naive["soap_requests"] / naive_count, 1),
            "all_ok": naive["all_ok"],
            "errors": naive["errors"],
        },
        "speedup": round(speedup, 1),
        "peak_rss_mb": peak,
        "rss_after_imports_mb": runs[0]["rss_after_imports_mb"],
        "targets": {"seconds": TARGET_S, "speedup": TARGET_SPEEDUP, "peak_rss_mb": TARGET_RSS_MB},
        "meets_target": {"seconds": a_seconds < TARGET_S, "speedup": speedup >= TARGET_SPEEDUP,
                         "peak_rss_mb": peak < TARGET_RSS_MB},
        "all_ok": all_ok,
        "cpus": os.cpu_count(),
        **stamp(),
    }
    return write("check_many", result)


def _own_argv() -> list[str]:
    """Options only when run as this script (benchmarks/run_all.py runs it with its own argv)."""
    return sys.argv[1:] if sys.argv and Path(sys.argv[0]).resolve() == Path(__file__).resolve() else []


if __name__ == "__main__":
    report = main(_own_argv())
    if not report.get("benchmark"):
        sys.exit(0)  # a child phase: its JSON line is already printed
    print(json.dumps(report, indent=2))
