"""What one camera needs of the school's upload, and whether the line carries the site's cameras.

Shared by ``provision`` (warn before a cap that the line cannot carry), ``bandwidth`` (the
verdict of a measured line) and the handover report, so it sits below all three. Prints nothing.
"""

from __future__ import annotations

import math

from kitchencam.i18n import _

# A camera needs its bitrate cap plus protocol overhead (x1.1) and headroom (x1.3) of upload.
PROTOCOL_OVERHEAD = 1.1
HEADROOM = 1.3


def uplink_warning(cap_kbps: int, cameras: int, uplink_p10_mbps: float) -> str | None:
    """A warning with the cap that fits when the cameras' caps add up to more than the uplink."""
    need_mbps = cameras * cap_kbps * PROTOCOL_OVERHEAD * HEADROOM / 1000
    if cameras <= 0 or need_mbps <= uplink_p10_mbps:
        return None
    fits_kbps = int(uplink_p10_mbps * 1000 / (cameras * PROTOCOL_OVERHEAD * HEADROOM))
    return _("{n} camera(s) at {cap} kbit/s need {need:.1f} Mbit/s of upload, but the school's line carries "
             "{have:.1f} Mbit/s (10th percentile of the last bandwidth test). A cap of {fits} kbit/s per "
             "camera fits: lower bitrate_kbps_max in the profile, or ask the provider for more upload.").format(
        n=cameras, cap=cap_kbps, need=need_mbps, have=uplink_p10_mbps, fits=fits_kbps)


def cameras_carried(p10_mbps: float, cap_kbps: int) -> int:
    """How many cameras at ``cap_kbps`` (x protocol overhead x headroom) fit in ``p10_mbps``."""
    if cap_kbps <= 0:
        return 0
    per_camera_mbps = cap_kbps * PROTOCOL_OVERHEAD * HEADROOM / 1000
    return max(0, math.floor(p10_mbps / per_camera_mbps + 1e-9))
