"""Build throw-away network namespaces joined by veth pairs, for tests that need real
interfaces (multicast WS-Discovery, several interfaces, traffic shaping).

Linux + root + iproute2 only; the tests skip with the reason otherwise. Every namespace and
link made here is deleted on exit, also when the test fails. Addresses come from 198.18.0.0/15
(RFC 2544, benchmarking), and exist only inside the namespaces this module created.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


def unavailable_reason() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed; `make test` installs it as root"
    probe = f"kcprobe{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def sh(*argv: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = ["ip", "netns", "exec", ns, *argv] if ns else list(argv)
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=30)


@dataclass
class Lab:
    """Namespaces and links made by one test; ``close()`` removes them all."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:5])
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def namespace(self, role: str) -> str:
        name = f"kc{self.tag}{role}"[:15]
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "link", "set", "lo", "up", ns=name)
        return name

    def link(self, ns_a: str, addrs_a: Sequence[str], ns_b: str, addrs_b: Sequence[str],
             *, name_a: str | None = None, name_b: str | None = None) -> tuple[str, str]:
        """A veth pair between two namespaces; addresses as CIDR strings, first one primary.

        Also routes multicast (224.0.0.0/4) out of this link, since a fresh namespace has no
        default route for the kernel to pick an interface from.
        """
        n = len(self.links)
        a = name_a or f"kc{self.tag}a{n}"[:15]
        b = name_b or f"kc{self.tag}b{n}"[:15]
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        self.links.append(a)
        sh("ip", "link", "set", a, "netns", ns_a)
        sh("ip", "link", "set", b, "netns", ns_b)
        for ns, dev, addrs in ((ns_a, a, addrs_a), (ns_b, b, addrs_b)):
            for cidr in addrs:
                sh("ip", "addr", "add", cidr, "dev", dev, ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)
            sh("ip", "link", "set", dev, "multicast", "on", ns=ns)
            # First link wins the multicast route; later links need --interface or IP_MULTICAST_IF.
            sh("ip", "route", "add", "224.0.0.0/4", "dev", dev, ns=ns, check=False)
        return a, b

    def close(self) -> None:
        for ns in reversed(self.namespaces):
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                subprocess.run(["kill", "-9", pid], capture_output=True, check=False)
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
        self.links.clear()

    def popen(self, ns: str, argv: Sequence[str], **kw: object) -> subprocess.Popen[str]:
        return subprocess.Popen(["ip", "netns", "exec", ns, *argv], text=True, **kw)  # type: ignore[call-overload]


@contextmanager
def lab() -> Iterator[Lab]:
    made = Lab()
    try:
        yield made
    finally:
        made.close()
