"""The login budget and the URI scope, in-process: what every login path relies on."""

from __future__ import annotations

import threading

import pytest

from kitchencam.errors import AuthFailed, BadReply
from kitchencam.logins import LoginBudget
from kitchencam.models import Facts, MediaProfile
from kitchencam.uriscope import confine, confine_profile_uris, same_host


def test_the_first_refusal_stops_the_host_and_names_the_call() -> None:
    budget = LoginBudget()
    budget.attempt("192.0.2.10", "tds:GetDeviceInformation").refused()
    with pytest.raises(AuthFailed, match="at tds:GetDeviceInformation") as err:
        budget.attempt("192.0.2.10", "snapshot GET")
    assert "no login tried" in err.value.message
    budget.attempt("192.0.2.11", "tds:GetDeviceInformation").ok()  # another camera is not touched
    assert budget.refused_calls("192.0.2.10") == ["tds:GetDeviceInformation"]


def test_a_retry_that_does_not_stop_still_counts_and_two_is_the_end() -> None:
    budget = LoginBudget()
    budget.attempt("[2001:db8::1]", "tds:GetServices").refused(stop=False)  # the WS token before digest
    second = budget.attempt("2001:db8::1", "tds:GetServices (HTTP digest)")
    second.refused(stop=False)
    with pytest.raises(AuthFailed, match="2 logins were already refused"):
        budget.attempt("2001:DB8::1", "RTSP DESCRIBE")
    assert not budget.claim_probe("2001:db8::1")


def test_cancelled_and_accepted_logins_cost_nothing() -> None:
    budget = LoginBudget()
    for _ in range(10):
        budget.attempt("192.0.2.12", "snapshot GET").ok()
        budget.attempt("192.0.2.12", "snapshot GET").cancel()
    assert budget.refused_calls("192.0.2.12") == []
    assert budget.claim_probe("192.0.2.12")
    assert not budget.claim_probe("192.0.2.12")  # once per host per run
    budget.record_probe("192.0.2.12", False)
    assert budget.probe_result("192.0.2.12") == (True, False)


def test_parallel_threads_never_get_more_than_two_refusals_sent() -> None:
    """20 threads on one camera, each refused: at most 2 ever reach the camera."""
    budget = LoginBudget()
    sent: list[int] = []
    lock = threading.Lock()

    def login(i: int) -> None:
        try:
            attempt = budget.attempt("192.0.2.13", f"call {i}")
        except AuthFailed:
            return
        with lock:
            sent.append(i)
        attempt.refused(stop=False)

    threads = [threading.Thread(target=login, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(sent) == 2
    assert len(budget.refused_calls("192.0.2.13")) == 2


@pytest.mark.parametrize(("uri", "kind", "expect"), [
    ("rtsp://10.1.1.64:554/Streaming/Channels/101", "rtsp", "rtsp://192.0.2.20:554/Streaming/Channels/101"),
    ("rtsp://10.1.1.64/cam/realmonitor?channel=1&subtype=0", "rtsp",
     "rtsp://192.0.2.20:554/cam/realmonitor?channel=1&subtype=0"),
    ("rtsp://admin:secret@198.51.100.7:8554/live", "rtsp", "rtsp://192.0.2.20:8554/live"),
    ("http://0.0.0.0/onvif-http/snapshot?Profile_1", "http", "http://192.0.2.20:8080/onvif-http/snapshot?Profile_1"),
    ("http://192.0.2.20:8080/snap.jpg", "http", "http://192.0.2.20:8080/snap.jpg"),
])
def test_uris_are_kept_on_the_camera(uri: str, kind: str, expect: str) -> None:
    scoped = confine(uri, camera_host="192.0.2.20", camera_netloc="192.0.2.20:8080", camera_scheme="http",
                     kind=kind)  # type: ignore[arg-type]
    assert scoped.uri == expect
    assert scoped.rewritten is (expect != uri)
    assert "secret" not in scoped.advertised
    assert same_host(scoped.uri, "192.0.2.20")


def test_a_uri_of_the_wrong_kind_is_refused_and_recorded() -> None:
    with pytest.raises(BadReply):
        confine("file:///etc/passwd", camera_host="192.0.2.21", camera_netloc="192.0.2.21", camera_scheme="http",
                kind="http")
    facts = Facts(target="192.0.2.21:80", device_xaddr="http://192.0.2.21/onvif/device_service",
                  read_at="2026-01-01T00:00:00Z", media2=True,
                  profiles=[MediaProfile(token="p", stream_uri="http://192.0.2.99/live",
                                         snapshot_uri="http://203.0.113.5/snap.jpg")])
    confine_profile_uris(facts, "192.0.2.21", facts.device_xaddr)
    [profile] = facts.profiles
    assert profile.stream_uri is None
    assert facts.read_errors[0].operation == "tr2:GetStreamUri"
    assert profile.snapshot_uri == "http://192.0.2.21/snap.jpg"
    assert profile.snapshot_uri_advertised == "http://203.0.113.5/snap.jpg"


@pytest.mark.parametrize("kind", ["rtsp", "http"])
def test_an_address_that_is_no_url_is_refused_not_raised(kind) -> None:
    with pytest.raises(BadReply, match="no valid URL"):
        confine(f"{'rtsp' if kind == 'rtsp' else 'http'}://[10.0.0.9/stream", camera_host="127.0.0.5",
                camera_netloc="127.0.0.5:80", camera_scheme="http", kind=kind)


def test_only_a_login_a_call_needed_and_not_the_probe_counts_as_accepted() -> None:
    """What handover offers to keep rests on this: a typed password some camera really accepted."""
    from kitchencam.logins import BUDGET
    from kitchencam.onvif.client import LoginGuard

    hosts = ("192.0.2.201", "192.0.2.202", "192.0.2.203")
    for host in hosts:
        BUDGET.reset(host)
    try:
        probe = LoginGuard(hosts[0], hosts[0], probe=True)  # the wrong-password probe, accepted
        probe.before("tds:GetDeviceInformation")
        probe.succeeded("tds:GetDeviceInformation")
        pre_auth = LoginGuard(hosts[1], hosts[1])  # answered without looking at the password
        pre_auth.before("tds:GetSystemDateAndTime")
        pre_auth.succeeded("tds:GetSystemDateAndTime")
        real = LoginGuard(hosts[2], hosts[2])
        real.before("tds:GetDeviceInformation")
        real.succeeded("tds:GetDeviceInformation")
        accepted = set(BUDGET.accepted_hosts())
        assert hosts[2] in accepted
        assert hosts[0] not in accepted
        assert hosts[1] not in accepted
    finally:
        for host in hosts:
            BUDGET.reset(host)
