"""The handover minutes' lines on a camera's dial-out to the centre (issue 15): configured on the
camera (as read back, with the time), online at the centre (the centre's word, with the time it
was confirmed and last seen), or why not. Kept apart from build.py so the section grows alone. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kitchencam.i18n import normalise, translator

if TYPE_CHECKING:
    from kitchencam.store import ConnectionRecord


def connection_texts(lang: str) -> dict[str, str]:
    _ = translator(normalise(lang)).gettext
    return {
        "configured": _("Dial-out ({method}) written to the camera and read back at {time}: {host}:{port}, device "
                        "ID {device_id}."),
        "not_configured": _("Dial-out ({method}) to {host}:{port} as {device_id}: the camera's read-back did not "
                            "match what was written ({time})."),
        "online": _("Online at the district centre: confirmed by the centre at {time} (last seen {last_seen}{via})."),
        "offline": _("Not online at the district centre when last asked ({time}): {why}"),
        "unasked": _("Whether the centre sees it online is not known: run kitchencam register --status."),
    }


def connection_lines(lang: str, rec: ConnectionRecord,
                     local_time: Callable[[str | None], str]) -> tuple[list[str], bool]:
    """The minutes' lines for one camera's dial-out, and whether the centre confirmed it online."""
    t = connection_texts(lang)
    back = rec.read_back or {}
    values = {"method": rec.method, "host": back.get("host") or rec.host or "?",
              "port": back.get("port") or rec.port or "?", "device_id": back.get("device_id") or rec.device_id or "?",
              "time": local_time(rec.configured_at or rec.checked_at)}
    lines = [t["configured" if rec.configured else "not_configured"].format(**values)]
    if rec.online:
        lines.append(t["online"].format(time=local_time(rec.confirmed_at or rec.checked_at),
                                        last_seen=local_time(rec.last_seen),
                                        via=f", {rec.via}" if rec.via else ""))
    elif rec.online is None:
        lines.append(t["unasked"])
    else:
        lines.append(t["offline"].format(time=local_time(rec.checked_at),
                                         why=" ".join(rec.diagnosis[:1]) or rec.last_refusal or "-"))
    return lines, bool(rec.online)
