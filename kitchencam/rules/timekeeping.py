"""The clock's checks: how far off it is, whether NTP sets it, and its time zone.
"""

from __future__ import annotations

from kitchencam.i18n import _
from kitchencam.models import Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    _OPS_TIME,
    _SRC_NTP,
    _SRC_TIME,
    Context,
    _fixable,
    _read_error,
    _unknown_read,
    _verdict,
)
from kitchencam.rules.registry import register
from kitchencam.timezones import format_offset, posix_tz, read_timezone


@register("clock", evidence={"device"}, needs={"max_clock_offset_s"})
def check_clock(ctx: Context, rule: Rule) -> Verdict:
    """The camera's clock is more than ``max_clock_offset_s`` away from true time.

    Why: beyond the letter, evidence timestamps come from the camera clock, and ONVIF logins are
    refused when the clocks differ by more than a few seconds. ``kitchencam provision`` sets NTP.
    Example: ``2 h 0 min behind`` against ``within 5 s of true time`` -> FAIL, fixable.
    """
    limit = rule.max_clock_offset_s or 5.0
    required = _("within {limit:g} s of true time").format(limit=limit)
    time = ctx.facts.time
    if time is None or time.clock_offset_s is None:
        error = _read_error(ctx.facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The camera did not report its clock."))
    offset = time.clock_offset_s
    if abs(offset) <= limit:
        seen = _("{amount} ahead").format(amount=_duration(offset)) if offset > 0 else \
            _("{amount} behind").format(amount=_duration(offset))
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_TIME)
    if offset > 0:
        seen = _("{amount} ahead").format(amount=_duration(offset))
        text = _("The camera clock is {amount} ahead of true time.").format(amount=_duration(offset))
    else:
        seen = _("{amount} behind").format(amount=_duration(offset))
        text = _("The camera clock is {amount} behind true time.").format(amount=_duration(offset))
    if time.date_time_type == "NTP":
        text += " " + _("NTP is on but not working: check that the camera can reach its NTP server "
                        "(gateway and DNS settings).")
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_TIME, fixable=True,
                    detail=_fixable(text))


@register("ntp", evidence={"device"})
def check_ntp(ctx: Context, rule: Rule) -> Verdict:
    """The camera's time is set by hand, or NTP is on with no server.

    Why: beyond the letter, a clock set by hand drifts by minutes a month; NTP keeps it right.
    ``kitchencam provision`` turns NTP on with the site's (else the profile's) servers.
    Example: ``time type Manual; NTP servers: clock.isc.org`` -> FAIL, fixable.
    """
    required = _("time type NTP, with a server")
    facts = ctx.facts
    kind = facts.time.date_time_type if facts.time else None
    if kind is None:
        error = _read_error(facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The camera did not say whether its time comes from NTP."))
    servers = facts.ntp.servers if facts.ntp else []
    ntp_error = _read_error(facts, ("GetNTP",))
    # "none" only when GetNTP answered with no server; a failed read is said as such.
    if facts.ntp is None:
        shown = _("not read") if ntp_error is not None else "?"
    else:
        shown = ", ".join(servers) if servers else (_("from DHCP") if facts.ntp.from_dhcp else _("none"))
    seen = _("time type {kind}; NTP servers: {servers}").format(kind=kind, servers=shown)
    if kind != "NTP":
        text = _("The clock is set by hand (Manual), not by NTP.")
        if facts.ntp is None and ntp_error is not None:
            text += " " + _("Its NTP servers could not be read ({operation}): {message}").format(
                operation=ntp_error.operation, message=ntp_error.message)
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_NTP, fixable=True,
                        detail=_fixable(text))
    if facts.ntp is None:
        if ntp_error is not None:
            verdict = _unknown_read(rule, ntp_error, required)
            return verdict.model_copy(update={"seen": seen})
        return _verdict(rule, "UNKNOWN", seen=seen, required=required, evidence="device", source=_SRC_NTP,
                        detail=_("NTP is on, but the camera did not say which NTP server it uses."))
    if not servers and not facts.ntp.from_dhcp:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_NTP, fixable=True,
                        detail=_fixable(_("NTP is on but no NTP server is set.")))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_NTP)


@register("timezone", evidence={"device"}, needs={"timezone_offset_minutes"}, allows={"allow_dst"})
def check_timezone(ctx: Context, rule: Rule) -> Verdict:
    """The camera keeps another offset than the profile's, or daylight saving time.

    Why: beyond the letter, cameras leave the factory on Beijing time (UTC+8), so the on-screen
    time is an hour off in Viet Nam (UTC+7, no DST). ``kitchencam provision`` writes ``<+07>-7``.
    Example: ``GMT+08:00 = UTC+08:00`` against ``UTC+07:00, no DST (<+07>-7)`` -> FAIL, fixable.
    """
    want = rule.timezone_offset_minutes if rule.timezone_offset_minutes is not None else 0
    required = _("{offset}, no DST ({posix})").format(offset=format_offset(want), posix=posix_tz(want)) \
        if not rule.allow_dst else format_offset(want)
    time = ctx.facts.time
    if time is None or not time.timezone:
        error = _read_error(ctx.facts, _OPS_TIME)
        if error is not None:
            return _unknown_read(rule, error, required)
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The camera did not report a time zone."))
    reading = read_timezone(time.timezone)
    if reading is None:
        return _verdict(rule, "UNKNOWN", seen=time.timezone, required=required, evidence="device", source=_SRC_TIME,
                        detail=_("The time zone {tz!r} could not be read as an offset; kitchencam provision "
                                 "sets it to {posix}.").format(tz=time.timezone, posix=posix_tz(want)))
    seen = f"{time.timezone} = {format_offset(reading.offset_minutes)}"
    dst = bool(time.dst) or reading.has_dst
    if reading.offset_minutes != want:
        return _verdict(rule, "FAIL", seen=seen, required=required, evidence="device", source=_SRC_TIME, fixable=True,
                        detail=_fixable(_("The camera keeps {seen} instead of {want}: its on-screen time is "
                                          "off by {hours}.").format(seen=format_offset(reading.offset_minutes),
                                                                   want=format_offset(want),
                                                                   hours=_duration((reading.offset_minutes - want)
                                                                                   * 60))))
    if dst and not rule.allow_dst:
        return _verdict(rule, "FAIL", seen=f"{seen}, DST", required=required, evidence="device", source=_SRC_TIME,
                        fixable=True, detail=_fixable(_("Daylight saving time is on; Viet Nam has none.")))
    return _verdict(rule, "PASS", seen=seen, required=required, evidence="device", source=_SRC_TIME)


def _duration(seconds: float) -> str:
    s = round(abs(seconds))
    if s < 60:
        return f"{abs(seconds):.1f} s"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h} h {m} min" if not sec else f"{h} h {m} min {sec} s"
    return f"{m} min {sec} s"
