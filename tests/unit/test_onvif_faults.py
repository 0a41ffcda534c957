"""The fault classifier, driven through the real zeep client against a replay camera."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from kitchencam.errors import (
    AuthFailed,
    BadReply,
    ClockSkew,
    DeviceFault,
    DeviceTimeout,
    ExitCode,
    InvalidArgument,
    KitchencamError,
    NotSupported,
    OnvifDisabled,
    Unreachable,
)
from kitchencam.onvif.client import OnvifCamera, Timeouts
from tests.replay import ReplayCamera, Reply, replay_camera

NVT = "onvif-nvt/"
EASY = "easy_onvif_workspace/"


@pytest.fixture
def cam() -> Iterator[ReplayCamera]:
    with replay_camera() as replay:
        yield replay


FAST = Timeouts(1.0, 1.0)


def _fail(replay: ReplayCamera, reply: Reply, *, authenticated: bool = True,
          timeouts: Timeouts = FAST) -> KitchencamError:
    replay.default = reply
    kwargs = {"user": "admin", "password": "pw"} if authenticated else {}
    with OnvifCamera(replay.target, timeouts=timeouts, **kwargs) as camera:
        call = camera.device.get_scopes if authenticated else camera.device.get_system_date_and_time
        with pytest.raises(KitchencamError) as err:
            call()
    assert replay.target in str(err.value), "every error names host:port"
    assert err.value.target == replay.target
    return err.value


# --- the capture faults -------------------------------------------------------------------------

def test_axis_action_failed_is_device_fault(cam: ReplayCamera) -> None:
    err = _fail(cam, Reply.capture(NVT + "axis/core/GetServices.Error.xml", status=500))
    assert type(err) is DeviceFault
    assert err.subcode == "ter:Action"
    assert "Action failed" in err.message


def test_gsoap_method_not_implemented_is_not_supported(cam: ReplayCamera) -> None:
    # no ter: subcode at all, only the gSOAP text
    err = _fail(cam, Reply.capture(EASY + "IPD-H4K8M05-BS/device_management/Fault.xml", status=500))
    assert type(err) is NotSupported


def test_invalid_arg_keeps_subcodes_and_text(cam: ReplayCamera) -> None:
    err = _fail(cam, Reply.capture("ex_onvif/test/fixtures/soap_fault.xml", status=400))
    assert type(err) is InvalidArgument
    assert err.subcode == "ter:InvalidArgVal/ter:NoProfile"
    assert "Argument Value Invalid" in err.message


# --- synthetic faults ------------------------------------------------------------------------------

@pytest.mark.parametrize(("reply", "cls"), [
    (Reply.fault("ter:NotAuthorized", reason="Sender not Authorized"), AuthFailed),
    (Reply.fault("wsse:FailedAuthentication", reason="x"), AuthFailed),
    # Dahua/XiongMai style: no subcode, only the text says it
    (Reply.fault(reason="Sender not Authorized", code="env:Sender"), AuthFailed),
    (Reply.fault("ter:OperationProhibited", reason="The action requested requires authorization"), DeviceFault),
    (Reply.fault("ter:ActionNotSupported", code="env:Receiver", reason="Optional Action Not Implemented"),
     NotSupported),
    (Reply.fault("ter:InvalidArgVal", "ter:NoSource", reason="No such source"), InvalidArgument),
    # a password-policy complaint under InvalidArgVal is not a failed login
    (Reply.fault("ter:OperationProhibited", "ter:Password", reason="Password too weak"), InvalidArgument),
    (Reply.fault("ter:Receiver", reason="Internal error", code="env:Receiver", status=500), DeviceFault),
    (Reply.html(401), AuthFailed),
    (Reply.html(403, "Forbidden"), AuthFailed),
    (Reply.html(404, "Not Found"), OnvifDisabled),
    (Reply.html(405, "Method Not Allowed"), OnvifDisabled),
    (Reply.html(500, "Internal Server Error"), BadReply),
    (Reply(b"<html><body>camera login</body></html>", content_type="text/html"), BadReply),
    (Reply(b"<?xml version='1.0'?><a><b></a>"), BadReply),
    (Reply(b"<root>not soap</root>"), BadReply),
])
def test_classification(cam: ReplayCamera, reply: Reply, cls: type[KitchencamError]) -> None:
    assert type(_fail(cam, reply)) is cls


def test_html_401_on_unauthenticated_time_means_onvif_off(cam: ReplayCamera) -> None:
    err = _fail(cam, Reply.html(401), authenticated=False)
    assert type(err) is OnvifDisabled
    assert err.exit_code == ExitCode.UNREACHABLE
    assert "Integration Protocol" in err.message


def test_auth_fault_with_uncorrected_large_offset_is_clock_skew(cam: ReplayCamera) -> None:
    # A camera whose reported time is 2 h ahead refuses a token stamped with our own clock.
    from datetime import datetime, timedelta, timezone

    from tests.replay import system_date_and_time
    cam.routes["tds:GetSystemDateAndTime"] = system_date_and_time(datetime.now(timezone.utc) + timedelta(hours=2))
    cam.routes["tds:GetScopes"] = Reply.fault("ter:NotAuthorized", reason="Sender not Authorized")
    with OnvifCamera(cam.target, user="admin", password="pw") as camera:
        camera.measure_clock()
        camera.apply_clock_offset = False
        with pytest.raises(ClockSkew) as err:
            camera.device.get_scopes()
    assert err.value.exit_code == ExitCode.AUTH_FAILED
    assert re.search(r"\b(7199|7200|7201) s\b", err.value.message)
    assert "time" in err.value.message


def test_auth_fault_with_corrected_large_offset_blames_the_password(cam: ReplayCamera) -> None:
    # The token carried the offset, so the clock cannot be why it was refused.
    from datetime import datetime, timedelta, timezone

    from tests.replay import system_date_and_time
    cam.routes["tds:GetSystemDateAndTime"] = system_date_and_time(datetime.now(timezone.utc) + timedelta(hours=2))
    cam.routes["tds:GetScopes"] = Reply.fault("ter:NotAuthorized", reason="Sender not Authorized")
    with OnvifCamera(cam.target, user="admin", password="pw") as camera:
        camera.measure_clock()
        with pytest.raises(AuthFailed) as err:
            camera.device.get_scopes()
    assert type(err.value) is AuthFailed
    assert err.value.hint is not None
    assert "clock is also" in err.value.hint


def test_connection_refused_is_unreachable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with OnvifCamera(f"127.0.0.1:{port}") as camera, pytest.raises(Unreachable) as err:
        camera.device.get_system_date_and_time()
    assert type(err.value) is Unreachable
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert f"127.0.0.1:{port}" in err.value.message


def test_read_timeout_is_device_timeout(cam: ReplayCamera) -> None:
    slow = Reply.fault("ter:Whatever")
    slow.delay_s = 1.0
    err = _fail(cam, slow, timeouts=Timeouts(connect=1.0, read=0.2))
    assert type(err) is DeviceTimeout
    assert err.exit_code == ExitCode.UNREACHABLE


def test_bugs_are_not_relabelled() -> None:
    from kitchencam.onvif.faults import CallContext, classify
    with pytest.raises(ZeroDivisionError):
        classify(ZeroDivisionError("bug"), CallContext(target="h:80", operation="X"))
