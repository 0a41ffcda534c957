"""Read a camera's time zone string as an offset from UTC, whatever way the firmware writes it.

ONVIF's ``TimeZone/TZ`` is meant to be a POSIX TZ string, and POSIX counts the offset the way
the old Unix ``TZ`` variable did: hours to ADD to local time to get UTC, so zones east of
Greenwich carry a MINUS sign. Viet Nam (UTC+7, no DST) is therefore ``<+07>-7`` (or the legacy
``ICT-7``). Cameras in the field do not all agree:

=====================  ===========  ==========================================================
string                 read as      why
=====================  ===========  ==========================================================
``<+07>-7``            UTC+07:00    POSIX; the quoted name ``<+07>`` is only a label
``ICT-7``              UTC+07:00    POSIX, legacy name
``CST-7:00:00``        UTC+07:00    POSIX with hh:mm:ss (Hikvision writes every zone "CST")
``KRAT-07:00``         UTC+07:00    POSIX (Krasnoyarsk time, same offset)
``GMT+07:00``          UTC+07:00    vendor quirk, see below (Dahua writes this)
``GMT+7``              UTC+07:00    vendor quirk
``UTC+07:00``          UTC+07:00    vendor quirk
``+07:00``             UTC+07:00    ISO 8601 offset, no name (``+00:00`` is UTC)
``(UTC+07:00) Hanoi``  UTC+07:00    the label web pages show
``Asia/Ho_Chi_Minh``   UTC+07:00    IANA name, when the system has the zone data
``CST-8:00:00``        UTC+08:00    POSIX: a Hikvision left at its Beijing factory zone
``GMT+08:00``          UTC+08:00    a Dahua left at its Beijing factory zone
=====================  ===========  ==========================================================

A bare signed offset with no name (``+07:00``, ``+0700``, ``-05:00``) is an ISO 8601 offset and
is read the everyday way; an unsigned bare number (``7``) says nothing and is not read.

The vendor quirk: when the zone's NAME is itself ``GMT``, ``UTC`` or ``UCT`` followed by a
signed offset, the sign is read the everyday way (``GMT+07:00`` = seven hours ahead of UTC),
not the POSIX way. Dahua firmwares (and many no-name ones) write their zones like that and
read them back that way; a strict POSIX reader would turn every Dahua in Hà Nội into UTC-7.
The cost: a rare camera that writes the strictly-POSIX ``UTC-7`` for Viet Nam is read as
UTC-7 and the time zone rule fails, which ``kitchencam provision`` then fixes by writing
``<+07>-7``. Every other name follows POSIX.

Only the standard offset is returned; a DST part (``CST6CDT,M3.2.0,M11.1.0``) is reported by
:func:`read_timezone` as ``has_dst``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Convention = Literal["posix", "everyday", "iana"]

# Names that mean "Universal Time itself": a signed offset after them is meant the everyday way.
_EVERYDAY_NAMES = frozenset({"GMT", "UTC", "UCT"})

_OFFSET = r"(?P<sign>[+-])?(?P<h>\d{1,2})(?::?(?P<m>\d{2})(?::?(?P<s>\d{2}))?)?"
_POSIX = re.compile(r"^(?P<name><[^<>]+>|[A-Za-z]{3,})" + _OFFSET + r"(?P<rest>.*)$")
# "(UTC+07:00) Bangkok, Hanoi, Jakarta", "UTC +7", "GMT+07:00 Hanoi"
_LABEL = re.compile(r"^\(?\s*(?P<name>GMT|UTC|UCT)\s*" + _OFFSET + r"\s*\)?(?P<rest>.*)$", re.IGNORECASE)
# "+07:00", "+0700", "-05:00", "+00:00": ISO 8601, sign required.
_ISO = re.compile(r"^(?P<sign>[+-])(?P<h>\d{2})(?::?(?P<m>\d{2}))?$")
_DST_RULE = re.compile(r",(?:M\d|J?\d)")
_BARE_UTC = frozenset({"GMT", "UTC", "UCT", "Z", "ZULU", "UNIVERSAL", "GMT0", "UTC0"})

# Real offsets run from UTC-12:00 to UTC+14:00.
_MIN_OFFSET = -12 * 60
_MAX_OFFSET = 14 * 60


@dataclass(frozen=True)
class TimezoneReading:
    """A time zone string read as an offset."""

    text: str
    offset_minutes: int  # east of UTC is positive: Viet Nam is +420
    convention: Convention
    has_dst: bool = False


def _minutes(sign: str | None, hours: str, minutes: str | None, seconds: str | None) -> int | None:
    h, m, s = int(hours), int(minutes or 0), int(seconds or 0)
    if h > 24 or m > 59 or s > 59:
        return None
    total = h * 60 + m + (1 if s >= 30 else 0)
    return -total if sign == "-" else total


def _in_range(offset: int | None) -> int | None:
    return offset if offset is not None and _MIN_OFFSET <= offset <= _MAX_OFFSET else None


def _iana(text: str) -> TimezoneReading | None:
    if "/" not in text or " " in text:
        return None
    try:
        zone = ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    year = datetime.now(timezone.utc).year
    offsets = []
    for month in (1, 7):
        delta = datetime(year, month, 15, tzinfo=zone).utcoffset()
        if delta is not None:
            offsets.append(int(delta.total_seconds() // 60))
    if not offsets:
        return None
    # The standard offset is the smaller one: DST moves clocks forward.
    return TimezoneReading(text, min(offsets), "iana", has_dst=len(set(offsets)) > 1)


def read_timezone(tz: str | None) -> TimezoneReading | None:
    """Read ``tz`` (POSIX, a vendor form, a web-page label or an IANA name); None if unreadable."""
    if tz is None:
        return None
    text = tz.strip()
    if not text:
        return None
    if text.upper() in _BARE_UTC:
        return TimezoneReading(text, 0, "posix")
    iso = _ISO.match(text)
    if iso:
        offset = _in_range(_minutes(iso.group("sign"), iso.group("h"), iso.group("m"), None))
        return TimezoneReading(text, offset, "everyday") if offset is not None else None
    label = _LABEL.match(text)
    if label and label.group("h") is not None:
        offset = _in_range(_minutes(label.group("sign"), label.group("h"), label.group("m"), label.group("s")))
        rest = label.group("rest").strip()
        # "GMT+07:00" / "(UTC+07:00) Hanoi": everyday sign. What follows is a place name, or
        # a POSIX DST tail ("GMT+01:00BST,M3.5.0,M10.5.0") recognisable by its rule.
        if offset is not None:
            return TimezoneReading(text, offset, "everyday", has_dst=bool(_DST_RULE.search(rest)))
    posix = _POSIX.match(text)
    if posix:
        name = posix.group("name")
        value = _minutes(posix.group("sign"), posix.group("h"), posix.group("m"), posix.group("s"))
        if value is None:
            return None
        convention: Convention = "everyday" if name.upper() in _EVERYDAY_NAMES else "posix"
        offset = _in_range(value if convention == "everyday" else -value)
        if offset is None:
            return None
        return TimezoneReading(text, offset, convention, has_dst=bool(posix.group("rest").strip()))
    return _iana(text)


def utc_offset_minutes(tz: str | None) -> int | None:
    """The standard offset of ``tz`` in minutes east of UTC (Viet Nam: 420); None if unreadable.

    >>> [utc_offset_minutes(s) for s in ("<+07>-7", "ICT-7", "CST-7:00:00", "GMT+07:00", "KRAT-07:00")]
    [420, 420, 420, 420, 420]
    """
    reading = read_timezone(tz)
    return reading.offset_minutes if reading else None


def format_offset(minutes: int) -> str:
    """420 -> ``UTC+07:00``; -210 -> ``UTC-03:30``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def posix_tz(minutes: int) -> str:
    """The POSIX TZ string for a fixed offset, as provisioning writes it: 420 -> ``<+07>-7``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    name = f"<{sign}{hours:02d}{mins:02d}>" if mins else f"<{sign}{hours:02d}>"
    posix_sign = "+" if minutes < 0 else "-"
    offset = f"{hours}:{mins:02d}" if mins else f"{hours}"
    return f"{name}{posix_sign}{offset}" if minutes else "UTC0"
