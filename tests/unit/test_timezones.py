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


@pytest.mark.parametrize(("tz", "minutes", "convention", "dst"), [
    ("+00:00", 0, "everyday", False),  # ISO 8601 offsets, no zone name
    ("+07:00", 420, "everyday", False),
    ("+0700", 420, "everyday", False),
    ("-05:00", -300, "everyday", False),
    ("UTC+7", 420, "everyday", False),
    ("GMT+07:00", 420, "everyday", False),
    ("CST-7:00:00", 420, "posix", False),
    ("KRAT-07:00", 420, "posix", False),
    ("<+07>-7", 420, "posix", False),
    ("ICT-7", 420, "posix", False),
    ("<+07>-07:00", 420, "posix", False),
    # POSIX with DST rules: the standard offset, and the DST flagged
    ("CST-7:00:00DST01:00:00,M3.2.0/02:00:00,M11.1.0/02:00:00", 420, "posix", True),
    ("EET-2EEST,M3.5.0/3,M10.5.0/4", 120, "posix", True),
    ("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", -180, "posix", True),
    ("GMT+01:00BST,M3.5.0,M10.5.0", 60, "everyday", True),
])
def test_every_field_form_is_read_by_offset(tz, minutes, convention, dst):
    reading = read_timezone(tz)
    assert reading is not None, tz
    assert (reading.offset_minutes, reading.convention, reading.has_dst) == (minutes, convention, dst)


@pytest.mark.parametrize("tz", ["+7", "+25:00", "+07:99", "07:00"])
def test_bare_offsets_need_a_sign_and_two_digit_hours(tz):
    assert utc_offset_minutes(tz) is None
