"""Does the camera hand its picture to anyone? One request without credentials, per kind.

For the ``anonymous-access`` rule (kitchencam/rules/security.py), ``check`` asks the camera,
after reading it, for its main stream (ONE RTSP DESCRIBE) and its snapshot (ONE HTTP GET) with no
credentials at all. Nothing is retried, no password is ever sent, no login is spent from the
budget (kitchencam/logins.py): a refused request without credentials is not a failed login.
Only the camera's own host is asked: the URIs were confined to it when read
(kitchencam/uriscope.py) and each client checks it again before sending. Every request is
bounded in time and size by its client. Prints nothing.
"""

from __future__ import annotations

from kitchencam.errors import KitchencamError
from kitchencam.i18n import _
from kitchencam.models import AnonymousProbe, Facts, MediaProfile
from kitchencam.onvif.client import Timeouts
from kitchencam.onvif.snapshot import get_without_login, safe_uri
from kitchencam.rtsp import describe_without_login
from kitchencam.uriscope import host_of

#: Seconds for the whole of each request.
PROBE_SECONDS = 5.0


def _main_profile(facts: Facts) -> MediaProfile | None:
    """The main stream's media profile: the first one (every vendor lists it first)."""
    return facts.profiles[0] if facts.profiles else None


def probe_rtsp(facts: Facts, camera_host: str, seconds: float = PROBE_SECONDS) -> AnonymousProbe:
    """ONE DESCRIBE of the main stream without credentials."""
    profile = _main_profile(facts)
    uri = profile.stream_uri if profile else None
    if not uri:
        return AnonymousProbe(what="rtsp", outcome="no-uri",
                              note=_("The camera gave no stream address (GetStreamUri), so it was not asked."))
    shown = safe_uri(uri)
    try:
        reply = describe_without_login(uri, camera_host=camera_host, timeout=seconds)
    except KitchencamError as exc:
        return AnonymousProbe(what="rtsp", uri=shown, outcome="error", note=exc.message)
    if reply.status in (401, 403):
        return AnonymousProbe(what="rtsp", uri=shown, outcome="refused", status=reply.status)
    if reply.status == 200:
        return AnonymousProbe(what="rtsp", uri=shown, outcome="served", status=200,
                              note=_("The camera described its stream to a request without a password."))
    return AnonymousProbe(what="rtsp", uri=shown, outcome="unclear", status=reply.status,
                          note=_("The camera answered RTSP {status} to a request without a password.").format(
                              status=reply.status))


def probe_snapshot(facts: Facts, camera_host: str, timeouts: Timeouts,
                   seconds: float = PROBE_SECONDS) -> AnonymousProbe:
    """ONE GET of the main profile's snapshot URI without credentials."""
    profile = _main_profile(facts)
    uri = profile.snapshot_uri if profile else None
    if not uri:
        return AnonymousProbe(what="snapshot", outcome="no-uri",
                              note=_("The camera gave no snapshot address (GetSnapshotUri), so it was not asked."))
    shown = safe_uri(uri)
    try:
        status, picture = get_without_login(uri, camera_host=camera_host, timeouts=timeouts, deadline_s=seconds)
    except KitchencamError as exc:
        return AnonymousProbe(what="snapshot", uri=shown, outcome="error", note=exc.message)
    if status in (401, 403):
        return AnonymousProbe(what="snapshot", uri=shown, outcome="refused", status=status)
    if status == 200 and picture is not None:
        return AnonymousProbe(what="snapshot", uri=shown, outcome="served", status=200,
                              note=_("The camera sent a picture ({kind}) to a request without a password.").format(
                                  kind=picture))
    return AnonymousProbe(what="snapshot", uri=shown, outcome="unclear", status=status,
                          note=_("The camera answered HTTP {status} without a picture to a request without a "
                                 "password.").format(status=status))


def probe_anonymous(facts: Facts, timeouts: Timeouts) -> list[AnonymousProbe]:
    """Both probes for one camera already read (``facts``), on the camera's own host."""
    camera_host = host_of(facts.device_xaddr) or host_of(f"http://{facts.target}")
    return [probe_rtsp(facts, camera_host), probe_snapshot(facts, camera_host, timeouts)]
