"""Time zone strings, read by offset: POSIX (inverted sign), vendor forms, labels, IANA names."""

from __future__ import annotations

import pytest

from kitchencam.timezones import format_offset, posix_tz, read_timezone, utc_offset_minutes


@pytest.mark.parametrize("tz", [
    "<+07>-7",  # POSIX, what provisioning writes
    "ICT-7",  # POSIX, legacy name
    "CST-7:00:00",  # Hikvision: every zone is "CST", POSIX sign
    "KRAT-07:00",  # POSIX with minutes
    "GMT+07:00",  # Dahua: everyday sign (vendor quirk)
    "GMT+7",
    "UTC+07:00",
    "UTC+7",
    "(UTC+07:00) Bangkok, Hanoi, Jakarta",  # the web page label
    " gmt+0700 ",
    "Asia/Ho_Chi_Minh",
])
def test_forms_of_viet_nam_time(tz):
    assert utc_offset_minutes(tz) == 420


@pytest.mark.parametrize(("tz", "minutes", "convention"), [
    ("CST-8:00:00", 480, "posix"),  # Hikvision factory zone (Beijing)
    ("GMT+08:00", 480, "everyday"),  # Dahua factory zone (Beijing)
    ("UTC+0", 0, "everyday"),
    ("UTC", 0, "posix"),
    ("GMT", 0, "posix"),
    ("IST-5:30", 330, "posix"),
    ("EST5", -300, "posix"),
    ("<-03>3", -180, "posix"),
    ("GMT-03:30", -210, "everyday"),
])
def test_other_offsets(tz, minutes, convention):
    reading = read_timezone(tz)
    assert reading is not None
    assert (reading.offset_minutes, reading.convention) == (minutes, convention)


def test_dst_part_is_reported():
    reading = read_timezone("CST6CDT,M3.2.0,M11.1.0")
    assert reading is not None
    assert reading.offset_minutes == -360
    assert reading.has_dst
    assert not read_timezone("<+07>-7").has_dst  # type: ignore[union-attr]
    assert not read_timezone("(UTC+07:00) Bangkok, Hanoi, Jakarta").has_dst  # type: ignore[union-attr]


@pytest.mark.parametrize("tz", [None, "", "   ", "garbage", "XYZ-30", "GMT+25:00", "Mars/Olympus_Mons", "7"])
def test_unreadable(tz):
    assert utc_offset_minutes(tz) is None


def test_formatting():
    assert format_offset(420) == "UTC+07:00"
    assert format_offset(-210) == "UTC-03:30"
    assert posix_tz(420) == "<+07>-7"
    assert posix_tz(330) == "<+0530>-5:30"
    assert posix_tz(0) == "UTC0"
    for minutes in (420, 330, -300, 0):
        assert utc_offset_minutes(posix_tz(minutes)) == minutes
