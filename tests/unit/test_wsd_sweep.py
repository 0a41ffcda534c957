"""Subnet expansion limits and interface selection (kitchencam/discovery/sweep.py, interfaces.py)."""

from __future__ import annotations

import ipaddress

import pytest

from kitchencam.discovery.interfaces import Interface, list_interfaces, select_interfaces
from kitchencam.discovery.sweep import expand_subnets
from kitchencam.errors import ExitCode, UsageError


def test_expand_subnets_hosts_in_order_without_repeats():
    hosts = expand_subnets(["192.168.1.0/30", "192.168.1.0/30", "10.0.0.7"])
    assert hosts == ["192.168.1.1", "192.168.1.2", "10.0.0.7"]
    assert len(expand_subnets(["192.168.1.0/24"])) == 254
    # A host address with its prefix means its subnet, as a technician would type it.
    assert expand_subnets(["192.168.1.77/29"]) == [f"192.168.1.{i}" for i in range(73, 79)]
    assert expand_subnets(["192.168.1.0/31"]) == ["192.168.1.0", "192.168.1.1"]


def test_a_22_is_the_largest_sweep():
    assert len(expand_subnets(["10.1.0.0/22"])) == 1022
    with pytest.raises(UsageError, match=r"at most a /22") as err:
        expand_subnets(["10.1.0.0/21"])
    assert err.value.exit_code == ExitCode.USAGE
    assert "10.1.0.0/21" in err.value.message


@pytest.mark.parametrize(("cidr", "says"), [
    ("fe80::/120", "not IPv4"),
    ("192.168.1.0/33", "not a subnet"),
    ("kitchen", "not a subnet"),
    ("239.255.255.0/24", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.0/24", "reserved"),
    ("0.0.0.0/24", "reserved"),
])
def test_refused_subnets(cidr, says):
    with pytest.raises(UsageError, match=says):
        expand_subnets([cidr])


def _iface(name: str, *addrs: str, up: bool = True, multicast: bool = True, loopback: bool = False) -> Interface:
    return Interface(name=name, addresses=[ipaddress.IPv4Interface(a) for a in addrs], up=up,
                     multicast=multicast, loopback=loopback)


FAKE = [
    _iface("lo", "127.0.0.1/8", loopback=True, multicast=False),
    _iface("eth0", "192.168.1.20/24"),
    _iface("wlan0", "10.0.0.5/24", "10.0.0.6/24"),
    _iface("tun0", "10.8.0.2/24", multicast=False),
    _iface("eth1", "172.16.0.2/24", up=False),
    _iface("docker0"),  # no IPv4 address
]


def test_default_selection_is_up_multicast_non_loopback_with_ipv4():
    assert [i.name for i in select_interfaces(None, available=FAKE)] == ["eth0", "wlan0"]
    assert [i.name for i in select_interfaces([], available=FAKE)] == ["eth0", "wlan0"]


def test_named_interfaces_are_taken_as_asked():
    chosen = select_interfaces(["tun0", "eth0", "tun0"], available=FAKE)
    assert [i.name for i in chosen] == ["tun0", "eth0"]


def test_unknown_interface_names_the_available_ones():
    with pytest.raises(UsageError) as err:
        select_interfaces(["eth9"], available=FAKE)
    assert "eth9" in err.value.message
    for name in ("eth0", "wlan0", "tun0", "eth1", "docker0"):
        assert name in err.value.message
    assert err.value.exit_code == ExitCode.USAGE


def test_list_interfaces_on_this_machine_has_loopback():
    # Read-only: psutil lists the interfaces; nothing is sent anywhere.
    found = list_interfaces()
    lo = [i for i in found if any(a.ip.is_loopback for a in i.addresses)]
    assert lo, found
    assert all(i.loopback and not i.usable_for_multicast for i in lo)
