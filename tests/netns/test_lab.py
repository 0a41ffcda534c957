"""The namespace lab itself: links carry traffic, and nothing is left behind."""

from __future__ import annotations

import subprocess
import sys

from tests.netns.netns import lab, sh


def test_veth_pair_carries_udp_and_cleans_up():
    with lab() as net:
        cams = net.namespace("cam")
        tool = net.namespace("tool")
        net.link(cams, ["198.18.1.1/24"], tool, ["198.18.1.100/24"])
        server = net.popen(cams, [sys.executable, "-c",
                                  "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                                  "s.bind(('198.18.1.1',9999));s.settimeout(10);d,a=s.recvfrom(100);"
                                  "s.sendto(d.upper(),a)"])
        client = sh(sys.executable, "-c",
                    "import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(1)\n"
                    "for i in range(20):\n"
                    "  s.sendto(b'ping',('198.18.1.1',9999))\n"
                    "  try:\n    print(s.recv(100).decode());break\n  except OSError: time.sleep(0.1)\n",
                    ns=tool)
        server.wait(timeout=10)
        assert client.stdout.strip() == "PING"
        made = list(net.namespaces)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for name in made:
        assert name not in listed
