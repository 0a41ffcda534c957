"""Third-party peers against the simulator, inside network namespaces a test made.

Two halves:

- test side: :func:`start_sim` runs ``python -m kitchencam sim`` in a namespace and waits for its
  JSON lines; :func:`start_peer` runs one of the clients below in a namespace; :class:`Lines`
  reads a child's stdout without blocking the test forever.
- namespace side (``python -m tests.netns.peers wsdiscovery|onvif SPEC_JSON``): the clients.
  They use the third-party packages exactly as their users would, print JSON lines on stdout,
  and never run in the root namespace (the tests start them with ``ip netns exec``).

Nothing here talks to the real network: the ``wsdiscovery`` client joins multicast on every
interface it sees, so it is only started inside a namespace whose only interfaces are ``lo``
and a veth to the camera namespace; the ONVIF client runs in a namespace with only ``lo``.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.netns.netns import Lab

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

NS_DN = "http://www.onvif.org/ver10/network/wsdl"
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_WSDP = "http://schemas.xmlsoap.org/ws/2006/02/devprof"
NS_WPRT = "http://schemas.microsoft.com/windows/2006/08/wdp/print"


# ------------------------------------------------------------------------------------------------
# test side


class Lines:
    """Read a child's stdout on a thread, so every wait has a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self._q.put(line)
        self._q.put(None)

    def next_json(self, timeout: float, what: str) -> dict[str, Any]:
        """The next stdout line that is a JSON object; AssertionError naming ``what`` otherwise."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"{what}: process ended (rc={self.proc.wait(5)}); stdout {self.seen!r}; "
                                     f"stderr {_stderr(self.proc)!r}")
            self.seen.append(line)
            if line.lstrip().startswith("{"):
                return dict(json.loads(line))
        raise AssertionError(f"{what}: nothing within {timeout} s; stdout so far {self.seen!r}")


def _stderr(proc: subprocess.Popen[str]) -> str:
    if proc.stderr is None or proc.poll() is None:
        return ""
    return str(proc.stderr.read())[-4000:]


def start_sim(net: Lab, ns: str, personas: Sequence[str], bind_base: str, *,
              extra: Sequence[str] = (), timeout: float = 15.0) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    """``kitchencam sim`` in ``ns`` (camera k on bind_base + k, HTTP 8080, RTSP 8554); its endpoints."""
    argv = [PYTHON, "-m", "kitchencam", "sim", "--bind-base", bind_base,
            "--http-port", "8080", "--rtsp-port", "8554", *extra]
    for p in personas:
        argv += ["--persona", p]
    proc = net.popen(ns, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(REPO),
                     env=_child_env())
    lines = Lines(proc)
    endpoints = [lines.next_json(timeout, f"sim endpoint {i + 1}/{len(personas)}") for i in range(len(personas))]
    return proc, endpoints


def stop(proc: subprocess.Popen[str], timeout: float = 8.0) -> int | None:
    """SIGTERM (the sim then stops its servers, and sends Bye), then SIGKILL after ``timeout``."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def start_peer(net: Lab, ns: str, kind: str, spec: dict[str, Any], *,
               env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[subprocess.Popen[str], Lines]:
    """Run ``python -m tests.netns.peers KIND SPEC`` in ``ns``; stdin is a pipe for commands."""
    proc = net.popen(ns, [PYTHON, "-m", "tests.netns.peers", kind, json.dumps(spec)],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     cwd=cwd or str(REPO), env=_child_env(env))
    return proc, Lines(proc)


def send(proc: subprocess.Popen[str], command: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(command + "\n")
    proc.stdin.flush()


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    # No proxy may route a namespace's requests anywhere.
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(key, None)
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env.update(extra or {})
    return env


# ------------------------------------------------------------------------------------------------
# namespace side: helpers


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _wait_command(expected: str, timeout: float) -> None:
    """Block until stdin says ``expected``; exit if it does not within ``timeout`` (never hang)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin], [], [], left)
        if not ready:
            break
        line = sys.stdin.readline()
        if not line:
            raise SystemExit(f"stdin closed while waiting for {expected!r}")
        if line.strip() == expected:
            return
    raise SystemExit(f"no {expected!r} on stdin within {timeout} s")


def _wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------
# namespace side: the wsdiscovery package's own client


def wsdiscovery_client(spec: dict[str, Any]) -> None:
    """``WSDiscovery().start()``, then on ``search``: each search in spec["searches"], then on
    ``bye``: wait for Bye messages. Prints ``ready``, ``searched`` and ``byes`` JSON lines.

    spec: {"searches": [{"name", "types": [[ns, local], ...] | null, "scopes": [uri, ...] | null}],
           "timeout": seconds per search, "hellos": how many Hellos to wait for (bounded)}
    """
    from wsdiscovery import QName, Scope, WSDiscovery

    def service(svc: Any) -> dict[str, Any]:
        return {"epr": svc.getEPR(), "xaddrs": list(svc.getXAddrs()),
                "types": sorted([t.getNamespace(), t.getLocalname()] for t in svc.getTypes()),
                "scopes": sorted(s.getValue() for s in svc.getScopes())}

    hellos: list[dict[str, Any]] = []
    byes: list[str] = []
    raw_matches: list[dict[str, Any]] = []
    wsd = WSDiscovery()
    original = wsd._handle_probematches

    def record_probematches(env: Any, addr: Any) -> None:
        # What arrived on the wire, before the client filters by type/scope on its own side.
        for match in env.getProbeResolveMatches():
            raw_matches.append({"epr": match.getEPR(), "from": addr[0]})
        original(env, addr)

    wsd._handle_probematches = record_probematches
    wsd.setRemoteServiceHelloCallback(lambda svc: hellos.append(service(svc)))
    wsd.setRemoteServiceByeCallback(byes.append)
    wsd.start()
    try:
        _emit({"event": "ready"})
        _wait_command("search", 30)
        _wait_until(lambda: len({h["epr"] for h in hellos}) >= int(spec.get("hellos", 0)), 3.0)
        results: dict[str, Any] = {}
        for search in spec["searches"]:
            wsd.clearRemoteServices()
            raw_matches.clear()
            types = [QName(ns, local) for ns, local in search["types"]] if search.get("types") else None
            scopes = [Scope(s) for s in search["scopes"]] if search.get("scopes") else None
            found = wsd.searchServices(types=types, scopes=scopes, timeout=float(spec.get("timeout", 2.0)))
            results[search["name"]] = {"found": [service(s) for s in found],
                                       "wire": sorted({m["epr"] for m in raw_matches})}
        _emit({"event": "searched", "hellos": hellos, "searches": results})
        _wait_command("bye", 30)
        _wait_until(lambda: len(set(byes)) >= len({h["epr"] for h in hellos}), 3.0)
        _emit({"event": "byes", "byes": sorted(set(byes))})
    finally:
        wsd.stop()


# ------------------------------------------------------------------------------------------------
# namespace side: the onvif-python client


def onvif_client(spec: dict[str, Any]) -> None:
    """Read each camera in spec["cameras"] with ``onvif.ONVIFClient``; one JSON line per camera.

    camera: {"label", "host", "port", "user", "password", "http_digest": bool, "media2": bool}
    Every document zeep would load from a URL (instead of the package's own WSDL files) is
    recorded and refused, and reported in the final ``done`` line.
    """
    import zeep.transports
    from onvif import CacheMode, ONVIFClient

    remote_loads: list[str] = []

    def refuse_remote(self: Any, url: str) -> bytes:
        remote_loads.append(url)
        raise OSError(f"test refuses to fetch {url}")

    zeep.transports.Transport._load_remote_data = refuse_remote  # type: ignore[method-assign]

    for cam in spec["cameras"]:
        out: dict[str, Any] = {"event": "camera", "label": cam["label"]}
        started = time.monotonic()
        try:
            client = ONVIFClient(cam["host"], int(cam["port"]), cam["user"], cam["password"],
                                 http_digest=bool(cam.get("http_digest")), timeout=5, cache=CacheMode.NONE)
            info = client.devicemgmt().GetDeviceInformation()
            out["device"] = {k: str(getattr(info, k)) for k in
                             ("Manufacturer", "Model", "FirmwareVersion", "SerialNumber", "HardwareId")}
            out["services"] = sorted(str(s.Namespace) for s in (client.services or []))
            if cam.get("media2", True):
                media2 = client.media2()
                out["media2_xaddr"] = media2.operator.address
                out["media2_profiles"] = [
                    {"token": str(p.token), "name": str(p.Name),
                     "encoder": (str(p.Configurations.VideoEncoder.token), str(p.Configurations.VideoEncoder.Encoding))
                     if p.Configurations is not None and p.Configurations.VideoEncoder is not None else None}
                    for p in media2.GetProfiles(Type=["VideoEncoder"])]
                out["media2_profiles_untyped"] = [
                    {"token": str(p.token), "has_configurations": p.Configurations is not None
                     and any(getattr(p.Configurations, k, None) is not None
                             for k in ("VideoSource", "VideoEncoder"))}
                    for p in media2.GetProfiles()]
                out["media2_encoders"] = [
                    {"token": str(e.token), "encoding": str(e.Encoding), "width": int(e.Resolution.Width),
                     "height": int(e.Resolution.Height), "fps": float(e.RateControl.FrameRateLimit),
                     "bitrate": int(e.RateControl.BitrateLimit),
                     "gov": None if e.GovLength is None else int(e.GovLength), "profile": str(e.Profile)}
                    for e in media2.GetVideoEncoderConfigurations()]
            else:
                media = client.media()
                out["media1_profiles"] = [
                    {"token": str(p.token),
                     "encoder": (str(p.VideoEncoderConfiguration.token), str(p.VideoEncoderConfiguration.Encoding))
                     if p.VideoEncoderConfiguration is not None else None}
                    for p in media.GetProfiles()]
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            out["error"] = f"{type(exc).__name__}: {exc}"
        out["seconds"] = round(time.monotonic() - started, 2)
        _emit(out)
    _emit({"event": "done", "remote_loads": remote_loads})


def main(argv: Sequence[str]) -> int:
    # The clients join multicast on every interface they see, or might reach out: only ever in a
    # namespace a test made, where the interfaces are lo and the lab's own veths ("kc...").
    foreign = [name for _, name in socket.if_nameindex() if name != "lo" and not name.startswith("kc")]
    if foreign:
        raise SystemExit(f"tests.netns.peers clients only run inside a test's network namespace; "
                         f"this one has {', '.join(foreign)}")
    kind, spec = argv[0], json.loads(argv[1])
    {"wsdiscovery": wsdiscovery_client, "onvif": onvif_client}[kind](spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
