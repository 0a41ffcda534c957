"""The school's part and the technician's: upload, power at the spot, registration with the
district centre, the install date, and questions only a person on site can answer.
"""

from __future__ import annotations

from kitchencam.i18n import _, current_language
from kitchencam.models import SiteFacts, Verdict
from kitchencam.profile import Rule
from kitchencam.rules.context import (
    Context,
    _verdict,
)
from kitchencam.rules.registry import register


@register("uplink", evidence={"site"}, allows={"headroom", "overhead", "stream"})
def check_uplink(ctx: Context, rule: Rule) -> Verdict:
    """The school's measured upload cannot carry its cameras' main streams.

    Why: the letter says "Các đơn vị có bếp ăn bán trú chuẩn bị đường truyền Internet ... đến vị trí
    lắp": each camera needs its main-stream cap x 1.1 overhead x 1.3 headroom, sustained.
    Example: ``2.00 Mbit/s sustained upload: carries 0 camera(s)`` against ``≥ 2.93 Mbit/s ...`` -> FAIL.
    """
    stream = ctx.profile.streams[rule.stream or "main"]
    per_camera = stream.bitrate_kbps_max * (rule.overhead or 1.1) * (rule.headroom or 1.3)
    site = ctx.site
    cameras = (site.cameras_on_uplink if site and site.cameras_on_uplink else 1)
    need = per_camera * cameras
    required = _("≥ {need:.2f} Mbit/s sustained upload for {n} camera(s) ({per:.2f} Mbit/s each)").format(
        need=need / 1000, n=cameras, per=per_camera / 1000)
    if site is None or site.upload_kbps is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The school's upload has not been measured yet: run kitchencam bandwidth."))
    carries = int(site.upload_kbps // per_camera)
    seen = _("{up:.2f} Mbit/s sustained upload: carries {carries} camera(s)").format(
        up=site.upload_kbps / 1000, carries=carries)
    if site.upload_kbps >= need:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("upload test"))
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="site", source=_("upload test"),
                    detail=_("The school's line cannot carry {n} camera(s) at the profile's bitrate: ask the "
                             "internet provider for more upload, or put fewer cameras on this line.").format(n=cameras))


@register("power", evidence={"manual", "site"}, allows={"question", "question_vi"})
def check_power(ctx: Context, rule: Rule) -> Verdict:
    """Power at the camera's spot: PASS when PoE was seen on the switch port, else MANUAL.

    Why: the letter says the schools prepare "nguồn điện đến vị trí lắp tại các bếp ăn".
    Example: ``PoE seen on the switch port`` -> PASS; otherwise ``--attest power=yes --by NAME``.
    """
    required = _("power at the camera's spot")
    if ctx.site is not None and ctx.site.poe_seen:
        return _verdict(rule, "PASS", seen=_("PoE seen on the switch port"), required=required, evidence="site",
                        source=_("switch"))
    return _verdict(rule, "MANUAL", required=required,
                    detail=_("Needs the technician's answer: --attest {rule}=yes|no --by NAME.").format(rule=rule.id))


@register("centre_registration", evidence={"site"})
def check_centre_registration(ctx: Context, rule: Rule) -> Verdict:
    """The district centre has not confirmed the camera's registration.

    Why: the letter says "Phòng GD&ĐT hỗ trợ kỹ thuật và kết nối với Trung tâm điều hành giáo dục
    thông minh của huyện": a camera the centre does not know is not watched.
    Example: ``not registered`` -> FAIL: ``kitchencam register``, then ``kitchencam sync``. With a
    dial-out method (``centre.connection.method``), PASS only when the centre itself said the camera
    is online (``register`` / ``register --status``): ``MN-TTO-01 not online`` -> FAIL with the diagnosis.
    """
    site = ctx.site
    if site is not None and site.connection_method not in (None, "none"):
        return _dial_out_verdict(rule, site)
    required = _("registration confirmed by the district centre")
    if site is None or site.registered is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("Not registered with the centre yet: run kitchencam register."))
    if site.registered:
        seen = _("registered") + (f" ({site.centre_device_id})" if site.centre_device_id else "")
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("district centre"))
    return _verdict(rule, "FAIL", seen=_("not registered"), required=required, evidence="site",
                    source=_("district centre"),
                    detail=_("The centre has not confirmed this camera: run kitchencam register, then kitchencam "
                             "sync."))


def _dial_out_verdict(rule: Rule, site: SiteFacts) -> Verdict:
    """With a dial-out method: PASS only when the centre itself said the camera is online."""
    required = _("online at the district centre ({method}), as the centre says").format(
        method=site.connection_method)
    source = _("district centre")
    if site.online is None and site.connection_configured is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("Not connected to the centre yet: run kitchencam register (it sets the camera to "
                                 "dial out, then waits for the centre to see it)."))
    if site.online is None:
        return _verdict(rule, "UNKNOWN", required=required,
                        detail=_("The centre could not be asked whether the camera is online: run kitchencam "
                                 "register --status when it answers."))
    device = site.connection_device_id or "?"
    if site.online:
        at = site.online_checked_at.isoformat(timespec="seconds") if site.online_checked_at else "?"
        seen = _("{device_id} online at {at}").format(device_id=device, at=at)
        if site.connection_via:
            seen += f" ({site.connection_via})"
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=source)
    detail = site.connection_diagnosis[0] if site.connection_diagnosis else _(
        "The centre does not see this camera online: run kitchencam register again, or kitchencam register "
        "--status to see why.")
    return _verdict(rule, "FAIL", seen=_("{device_id} not online").format(device_id=device), required=required,
                    evidence="site", source=source, detail=detail)


@register("installed_by_deadline", evidence={"site"})
def check_installed_by_deadline(ctx: Context, rule: Rule) -> Verdict:
    """The camera was installed after the profile's deadline.

    Why: the letter says the installation is "hoàn thành xong trước ngày 15/11/2024"; a late
    camera still has to work, so the rule is advisory (WARN).
    Example: ``2024-11-20`` against ``installed on or before 2024-11-15`` -> FAIL (WARN when advisory).
    """
    deadline = ctx.profile.deadline
    required = _("installed on or before {date}").format(date=deadline.isoformat())
    site = ctx.site
    if site is None or site.installed_on is None:
        return _verdict(rule, "UNKNOWN", required=required, detail=_("The install date is not recorded yet."))
    seen = site.installed_on.isoformat()
    if site.installed_on <= deadline:
        return _verdict(rule, "PASS", seen=seen, required=required, evidence="site", source=_("install record"))
    days = (site.installed_on - deadline).days
    return _verdict(rule, "FAIL", seen=seen, required=required, evidence="site", source=_("install record"),
                    detail=_("Installed {days} day(s) after the letter's deadline.").format(days=days))


@register("attestation", evidence={"manual"}, needs={"question"}, allows={"question_vi"})
def check_attestation(ctx: Context, rule: Rule) -> Verdict:
    """A question only the technician on site can answer: always MANUAL until attested.

    Why: some of a letter's demands (where a camera hangs, what it sees) no device or datasheet
    can tell; the technician's answer is recorded with their name and time.
    Example: question ``Does the camera see the serving counter?`` -> MANUAL; ``--attest RULE=yes``.
    """
    question = rule.question_vi if (rule.question_vi and current_language() == "vi") else (rule.question or "")
    return _verdict(rule, "MANUAL", required=question,
                    detail=_("Needs the technician's answer: --attest {rule}=yes|no --by NAME.").format(rule=rule.id))
