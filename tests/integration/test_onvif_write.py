"""kitchencam.onvif.write against simulated cameras, over real sockets.

Every setter round-trips: set through ``write``, read again with ``read_facts``, compare. A
refused value is InvalidArgument with the camera's subcode, and ``nearest_allowed`` offers a
value from the options the camera advertised. The time zone fallback records the form used.
No password appears in an exception or in zeep's debug log.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest

from kitchencam.errors import AuthFailed, InvalidArgument, KitchencamError, NotSupported
from kitchencam.models import Facts
from kitchencam.onvif import write
from kitchencam.onvif.read import read_facts
from kitchencam.timezones import utc_offset_minutes

if TYPE_CHECKING:  # tests/integration is no package: the fixture's class is for readers and type checkers
    from conftest import Sim

CENTRE_PASSWORD = "Tr0ng-Ky!9xQ-centre-2024"


def _no_secret(exc: BaseException, secret: str) -> None:
    """``secret`` is nowhere in the exception: message, repr, hint, or the formatted traceback."""
    shown = "".join(traceback.format_exception(exc))
    assert secret not in shown
    assert secret not in repr(exc)
    assert secret not in str(exc)
    if isinstance(exc, KitchencamError):
        assert secret not in exc.message
        assert secret not in (exc.hint or "")


# --- video encoder ---------------------------------------------------------------------------------

def test_encoder_h264_to_h265_round_trips_and_picks_an_allowed_profile(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    facts = read_facts(client)
    assert facts.encoders[0].profile == "High"  # an H.264-only profile: H.265 offers "Main" only

    result = write.set_video_encoder(client, facts, "VideoEncoder000", encoding="H265", width=1920, height=1080,
                                     fps=20, bitrate_kbps=2048, gov_length=40, constant_bitrate=False)
    assert result == write.EncoderResult("media2", "H265", "Main")

    after = read_facts(client)
    assert after.read_errors == []
    main = after.encoders[0]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps, main.gop) == \
        ("H265", 1920, 1080, 20.0, 2048, 40)
    assert (main.profile, main.constant_bitrate) == ("Main", False)
    assert main.quality == facts.encoders[0].quality  # untouched fields keep their values
    assert after.encoders[1] == facts.encoders[1]  # the sub stream was not touched
    assert cam.main_stream() == ("H265", 1920, 1080, 20.0)

    # Only the fields given change: a bitrate alone leaves codec, size, rate and GOP as they are.
    write.set_video_encoder(client, after, "VideoEncoder000", bitrate_kbps=3072)
    again = read_facts(client).encoders[0]
    assert again.model_copy(update={"bitrate_kbps": 2048}) == main


@pytest.mark.parametrize(("field", "values", "nearest", "why", "hint"), [
    ("bitrate_kbps", {"bitrate_kbps": 20000}, 8192, "bitrate 20000",
     "bitrate (kbit/s) 20000: allowed 32 to 8192; nearest allowed 8192"),
    ("fps", {"fps": 30}, 25.0, "frame rate 30", "frame rate 30: allowed 1 to 25; nearest allowed 25"),
    ("resolution", {"width": 2560, "height": 1440}, (1920, 1080), "resolution 2560x1440",
     "resolution 2560x1440: allowed one of 1920x1080, 1280x960, 1280x720; nearest allowed 1920x1080"),
    ("gov_length", {"gov_length": 10}, 25, "GOV length 10", "GOP length 10: allowed 25 to 150; nearest allowed 25"),
])
def test_refused_encoder_value_is_invalid_argument_with_the_nearest_allowed(
        sim: Sim, field: write.Field, values: dict[str, int], nearest: write.Allowed, why: str, hint: str) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    facts = read_facts(client)
    before = cam.stream(0)

    with pytest.raises(InvalidArgument) as err:
        write.set_video_encoder(client, facts, "VideoEncoder000", **values)  # type: ignore[arg-type]
    exc = err.value
    assert exc.subcode == "ter:InvalidArgVal/ter:ConfigModify"
    assert why in exc.message
    assert cam.stream(0) == before  # a refused Set changes nothing

    requested = (values["width"], values["height"]) if field == "resolution" else values[field]
    suggestion = write.nearest_allowed(facts, "VideoEncoder000", field, requested)
    assert suggestion == nearest
    # The hint names the allowed range and that nearest value, from the camera's own options.
    assert exc.hint == f"Outside the camera's options: {hint}."
    allowed = write.allowed_range(facts, "VideoEncoder000", field)
    assert allowed is not None

    # ... and the nearest allowed value is accepted.
    fixed = dict(values)
    if field == "resolution":
        assert isinstance(suggestion, tuple)
        fixed = {"width": suggestion[0], "height": suggestion[1]}
    else:
        assert isinstance(suggestion, (int, float))
        fixed = {field: int(suggestion)}
    write.set_video_encoder(client, facts, "VideoEncoder000", **fixed)  # type: ignore[arg-type]


def test_allowed_range_and_out_of_options_from_facts(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    facts = read_facts(sim.client(cam))
    bitrate = write.allowed_range(facts, "VideoEncoder000", "bitrate_kbps", encoding="H265")
    assert bitrate is not None
    assert (bitrate.minimum, bitrate.maximum, bitrate.describe()) == (32, 8192, "32 to 8192")
    sizes = write.allowed_range(facts, "VideoEncoder001", "resolution")
    assert sizes is not None
    assert sizes.describe() == "one of 704x576, 640x480, 352x288"
    profiles = write.allowed_range(facts, "VideoEncoder000", "profile", encoding="H265")
    assert profiles is not None
    assert profiles.values == ("Main",)
    assert write.nearest_allowed(facts, "VideoEncoder000", "profile", "High", encoding="H265") == "Main"
    assert write.nearest_allowed(facts, "VideoEncoder000", "fps", 12.4) == 12.0
    assert write.allowed_range(facts, "NoSuchEncoder", "fps") is None
    assert write.nearest_allowed(facts, "NoSuchEncoder", "fps", 25) is None

    found = write.out_of_options(facts, "VideoEncoder000", encoding="H265", width=1920, height=1080, fps=25,
                                 bitrate_kbps=10000, profile="High")
    assert [(o.field, o.nearest) for o in found] == [("bitrate_kbps", 8192), ("profile", "Main")]
    assert write.out_of_options(facts, "VideoEncoder000", encoding="AV1")[0].encodings == ("H264", "H265", "JPEG")
    assert write.out_of_options(facts, "VideoEncoder000", encoding="H265", width=1920, height=1080, fps=25,
                                bitrate_kbps=2048, gov_length=50, profile="Main") == []


def test_media1_only_camera_sets_h264_and_says_what_it_cannot(sim: Sim) -> None:
    cam = sim.camera("generic-720p")
    client = sim.client(cam)
    facts = read_facts(client)
    assert facts.media2 is False

    result = write.set_video_encoder(client, facts, "V_ENC_000", encoding="H264", width=640, height=360, fps=15,
                                     bitrate_kbps=1024, gov_length=30, constant_bitrate=False, profile="Baseline")
    assert result == write.EncoderResult("media1", "H264", "Baseline", ("constant_bitrate",))
    main = read_facts(client).encoders[0]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps, main.gop, main.profile) == \
        ("H264", 640, 360, 15.0, 1024, 30, "Baseline")

    with pytest.raises(NotSupported) as err:
        write.set_video_encoder(client, facts, "V_ENC_000", encoding="H265")
    assert "Media1 cannot set H265" in err.value.message
    with pytest.raises(NotSupported):
        write.set_video_encoder(client, facts, "V_ENC_000", fps=12.5)
    assert cam.stream(0).encoding == "H264"


# --- imaging ---------------------------------------------------------------------------------------

def test_imaging_round_trips_only_the_given_fields(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    before = read_facts(client).imaging[0]
    assert (before.wdr_mode, before.ir_cut_filter) == ("OFF", "AUTO")

    write.set_imaging(client, "VideoSource000", wdr_mode="ON", wdr_level=70, ir_cut=None)
    after = read_facts(client).imaging[0]
    assert (after.wdr_mode, after.wdr_level, after.ir_cut_filter) == ("ON", 70.0, "AUTO")
    assert (after.brightness, after.contrast, after.sharpness) == (before.brightness, before.contrast,
                                                                   before.sharpness)

    write.set_imaging(client, "VideoSource000", wdr_mode=None, wdr_level=None, ir_cut="ON")
    last = read_facts(client).imaging[0]
    assert (last.wdr_mode, last.wdr_level, last.ir_cut_filter) == ("ON", 70.0, "ON")

    with pytest.raises(InvalidArgument) as err:
        write.set_imaging(client, "VideoSource000", wdr_level=150)
    assert err.value.subcode == "ter:InvalidArgVal/ter:SettingsInvalid"
    assert cam.imaging.wdr_level == 70.0


# --- time ------------------------------------------------------------------------------------------

def test_time_ntp_and_the_standard_time_zone_form(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")  # 2 h behind, Manual, Beijing time
    client = sim.client(cam)
    read_facts(client)

    result = write.set_time(client, ntp_servers=["pool.ntp.org", "192.0.2.123"],
                            timezone_candidates=["<+07>-7", "ICT-7"], manual_utc=None)
    assert result == write.TimeResult("NTP", "<+07>-7", (), ("pool.ntp.org", "192.0.2.123"))

    facts = read_facts(client)
    assert facts.ntp is not None
    assert (facts.ntp.from_dhcp, facts.ntp.servers) == (False, ["pool.ntp.org", "192.0.2.123"])
    assert facts.time is not None
    assert (facts.time.date_time_type, facts.time.dst) == ("NTP", False)
    assert facts.time.timezone == "GMT+07:00"  # how a Dahua writes it back
    assert utc_offset_minutes(facts.time.timezone) == 420
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s) < 3  # NTP put the clock right


def test_time_zone_fallback_is_used_and_recorded(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2", faults=["refuse-tz=<"])
    client = sim.client(cam)
    read_facts(client)
    now = datetime.now(timezone.utc)

    result = write.set_time(client, ntp_servers=[], timezone_candidates=["<+07>-7", "ICT-7", "GMT+07:00"],
                            manual_utc=now)
    assert (result.date_time_type, result.timezone_used, result.refused) == ("Manual", "ICT-7", ("<+07>-7",))

    facts = read_facts(client)
    assert facts.time is not None
    assert facts.time.date_time_type == "Manual"
    assert utc_offset_minutes(facts.time.timezone) == 420
    assert facts.time.clock_offset_s is not None
    assert abs(facts.time.clock_offset_s) < 3  # set from "the laptop's" UTC clock
    assert cam.state.tz == "ICT-7"

    # Every form refused: InvalidArgument whose hint lists them, and nothing changed.
    with pytest.raises(InvalidArgument) as err:
        write.set_time(client, timezone_candidates=["<+08>-8", "<+07>-7"], manual_utc=now)
    assert "InvalidTimeZone" in (err.value.subcode or "")
    assert err.value.hint is not None
    assert "<+08>-8, <+07>-7" in err.value.hint
    assert cam.state.tz == "ICT-7"


@pytest.mark.parametrize(("persona", "mode"), [("generic-720p", "Manual"), ("dahua-wizsense2-ready", "NTP")])
def test_time_zone_alone_keeps_the_mode_and_the_clock(sim: Sim, persona: str, mode: str) -> None:
    cam = sim.camera(persona, faults=["clock-skew=30"])
    client = sim.client(cam)
    client.connect()
    kept = write.set_time(client, timezone_candidates=["<+07>-7"])
    assert (kept.date_time_type, kept.timezone_used, kept.ntp_servers) == (mode, "<+07>-7", ())
    facts = read_facts(client)
    assert facts.time is not None
    assert facts.time.date_time_type == mode
    assert utc_offset_minutes(facts.time.timezone) == 420
    assert facts.time.clock_offset_s is not None
    if mode == "Manual":  # the camera's own clock is re-sent, not ours
        assert abs(facts.time.clock_offset_s - 30) < 3


# --- hostname --------------------------------------------------------------------------------------

def test_hostname_round_trips_and_a_bad_one_is_refused(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    client = sim.client(cam)
    write.set_hostname(client, "TH01-BEP-1")
    facts = read_facts(client)
    assert facts.hostname is not None
    assert (facts.hostname.name, facts.hostname.from_dhcp) == ("TH01-BEP-1", False)

    with pytest.raises(InvalidArgument) as err:
        write.set_hostname(client, "bếp_1")
    assert err.value.subcode == "ter:InvalidArgVal/ter:InvalidHostname"
    assert cam.state.hostname == "TH01-BEP-1"


# --- users -----------------------------------------------------------------------------------------

def test_centre_account_created_reads_and_is_updated_never_leaking_the_password(
        sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    cam = sim.camera("dahua-wizsense2")
    admin = sim.client(cam)
    caplog.set_level(logging.DEBUG)  # every logger, zeep's and requests' included

    write.create_user(admin, "centre", CENTRE_PASSWORD, "User")
    facts = read_facts(admin)
    assert ("centre", "User") in [(u.name, u.level) for u in facts.users]
    # CreateUsers carries the password in clear inside the SOAP body: nothing may log it.
    assert caplog.records  # the DEBUG logs were captured (urllib3's connections at least)
    assert CENTRE_PASSWORD not in caplog.text

    # The least-privilege account reads what the centre needs, and may not change anything.
    centre = sim.client(cam, user="centre", password=CENTRE_PASSWORD)
    seen = read_facts(centre)
    assert seen.device_info is not None
    assert seen.device_info.model == "IPC-HFW2241S-S-0360B"
    assert seen.encoders[0].encoding == "H264"
    assert seen.error_for("tds:GetUsers") is not None  # an admin-only read
    with pytest.raises(AuthFailed):
        write.set_hostname(centre, "nope")

    # Creating it again is a clear UserExists (an InvalidArgument), without the password.
    with pytest.raises(write.UserExists) as clash:
        write.create_user(admin, "centre", CENTRE_PASSWORD, "User")
    assert isinstance(clash.value, InvalidArgument)
    assert "already has a user called centre" in clash.value.message
    _no_secret(clash.value, CENTRE_PASSWORD)

    # Update instead: the simulator has no SetUser, so the user is re-created with the new password.
    new_password = CENTRE_PASSWORD[::-1]
    assert write.set_user_password(admin, "centre", new_password) == "recreated"
    assert cam.users()["centre"] == "User"  # level kept
    assert read_facts(sim.client(cam, user="centre", password=new_password)).device_info is not None
    with pytest.raises(AuthFailed):
        read_facts(sim.client(cam, user="centre", password=CENTRE_PASSWORD))
    assert new_password not in caplog.text

    assert write.delete_user(admin, "centre") is True
    assert write.delete_user(admin, "centre") is False
    assert "centre" not in cam.users()


def test_password_never_in_an_exception(sim: Sim) -> None:
    cam = sim.camera("dahua-wizsense2")
    admin = sim.client(cam)
    too_long = "x7Q!" * 10  # 40 characters: the camera takes at most 32
    with pytest.raises(InvalidArgument) as err:
        write.create_user(admin, "centre", too_long, "User")
    assert "PasswordTooLong" in (err.value.subcode or "")
    _no_secret(err.value, too_long)

    # The session's own account is never deleted to change its password (no SetUser here).
    with pytest.raises(NotSupported) as unsupported:
        write.set_user_password(admin, cam.user, CENTRE_PASSWORD)
    _no_secret(unsupported.value, CENTRE_PASSWORD)
    assert cam.users()[cam.user] == "Administrator"

    with pytest.raises(InvalidArgument) as missing:
        write.set_user_password(admin, "nobody", CENTRE_PASSWORD)
    assert missing.value.subcode == "ter:InvalidArgVal/ter:UsernameMissing"

    # A firmware that quotes the refused value in its fault text: the message is scrubbed.
    with pytest.raises(InvalidArgument) as echoed:
        _refused_by_an_echoing_firmware(CENTRE_PASSWORD)
    assert "refused: password *** is too weak" in echoed.value.message
    _no_secret(echoed.value, CENTRE_PASSWORD)


def _refused_by_an_echoing_firmware(password: str) -> None:
    from kitchencam.onvif.write import _carrying

    with _carrying(password):
        try:
            raise ValueError(f"password {password} is too weak")  # the zeep Fault, as it were
        except ValueError as cause:
            raise InvalidArgument(f"refused: password {password} is too weak",
                                  subcode="ter:InvalidArgVal/ter:Password") from cause


# --- Hikvision, over HTTP digest -------------------------------------------------------------------

def test_hikvision_over_http_digest(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd2023g2-i", faults=["clock-skew=600"])
    client = sim.client(cam)
    facts = read_facts(client)
    # WS-Security tokens on our own clock are 10 min off the camera's: only HTTP digest works.
    client.apply_clock_offset = False
    assert facts.encoders[0].encoding == "H265"

    result = write.set_video_encoder(client, facts, "VideoEncoderToken_1", encoding="H264", width=1280, height=720,
                                     fps=12.5, bitrate_kbps=3000, gov_length=25, constant_bitrate=True)
    assert client.uses_http_digest is True
    assert result.profile == "Main"  # H.265 "Main" is also an H.264 profile: kept
    write.set_imaging(client, "VideoSource_1", wdr_mode="ON", wdr_level=40, ir_cut="AUTO")
    time_result = write.set_time(client, ntp_servers=["time.windows.com"], timezone_candidates=["<+07>-7"])
    write.set_hostname(client, "TH01-BEP-2")
    write.create_user(client, "centre", CENTRE_PASSWORD, "User")

    after = read_facts(client)
    assert after.auth == "http-digest"
    assert after.read_errors == []
    main = after.encoders[0]
    assert (main.encoding, main.width, main.height, main.fps, main.bitrate_kbps, main.gop, main.constant_bitrate) \
        == ("H264", 1280, 720, 12.5, 3000, 25, True)
    assert (after.imaging[0].wdr_mode, after.imaging[0].wdr_level) == ("ON", 40.0)
    assert time_result.timezone_used == "<+07>-7"
    assert after.time is not None
    assert after.time.timezone == "CST-7:00:00"  # Hikvision writes its zones this way
    assert utc_offset_minutes(after.time.timezone) == 420
    assert after.hostname is not None
    assert after.hostname.name == "TH01-BEP-2"
    assert ("centre", "User") in [(u.name, u.level) for u in after.users]


def test_wdr_refused_where_not_offered(sim: Sim) -> None:
    cam = sim.camera("hikvision-ds2cd1023g0e-i")
    client = sim.client(cam)
    facts: Facts = read_facts(client)
    assert facts.imaging[0].options is not None
    assert facts.imaging[0].options.wdr_modes == ["OFF"]
    with pytest.raises(InvalidArgument) as err:
        write.set_imaging(client, "VideoSource_1", wdr_mode="ON")
    assert err.value.subcode == "ter:InvalidArgVal/ter:SettingsInvalid"
    assert cam.imaging.wdr_mode == "OFF"
