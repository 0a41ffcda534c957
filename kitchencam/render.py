"""Two renderers of the same result models: rich tables for people, a versioned JSON envelope
for scripts. Only this module and the cli package write to the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from kitchencam.errors import ExitCode
from kitchencam.i18n import _, current_language
from kitchencam.models import ErrorItem

if TYPE_CHECKING:  # the result models live with the core modules, which stay unimported here
    from kitchencam.bandwidth import BandwidthResult
    from kitchencam.centre import Delivery, RegisterResult, StatusResult, SyncResult
    from kitchencam.check import CheckResult
    from kitchencam.demo import DemoResult
    from kitchencam.discover import DiscoverResult
    from kitchencam.doctor import DoctorResult
    from kitchencam.handover import HandoverResult, StageEvent
    from kitchencam.profile import Profile
    from kitchencam.provision import ProvisionResult, RollbackResult
    from kitchencam.report import ReportResult
    from kitchencam.sitecmd import CredentialsResult, ProfileList, ProfileValidation, SiteResult

RESULT_VERSION = 1
Status = Literal["ok", "partial", "error"]


class Envelope(BaseModel):
    """The one JSON document ``--json`` prints on stdout (docs/reference/json.md)."""

    kitchencam_result_version: Literal[1] = 1
    command: str
    status: Status
    data: Any = None
    errors: list[ErrorItem] = []


def envelope(command: str, data: BaseModel | dict[str, Any] | None, errors: Sequence[ErrorItem] = (),
             status: Status | None = None) -> Envelope:
    if status is None:
        status = "ok" if not errors else ("partial" if data is not None else "error")
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return Envelope(command=command, status=status, data=payload, errors=list(errors))


def print_json(console: Console, env: Envelope) -> None:
    # Plain write, not console.print: no markup, no wrapping, no colour codes.
    console.file.write(json.dumps(env.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n")
    console.file.flush()


def exit_code_for(errors: Sequence[ErrorItem]) -> ExitCode:
    """Several failures: the most specific one wins (auth > unreachable > non-compliant > error)."""
    if not errors:
        return ExitCode.OK
    codes = {e.exit_code for e in errors}
    for code in (ExitCode.USAGE, ExitCode.AUTH_FAILED, ExitCode.UNREACHABLE, ExitCode.NON_COMPLIANT):
        if int(code) in codes:
            return code
    return ExitCode.ERROR


def key_value_table(title: str, rows: Sequence[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, "" if value is None else str(value))
    return table


def error_line(err: ErrorItem) -> str:
    label = _("Error")
    target = f" [dim]{escape(err.target)}[/]" if err.target else ""
    text = err.message if not err.hint else f"{err.message} {err.hint}"
    return f"[bold red]{label}[/]{target}: {escape(text)}"


HumanRenderer = Callable[[Console, Any], None]


# ---------------------------------------------------------------------------------------------
# site
# ---------------------------------------------------------------------------------------------


def render_site(console: Console, result: SiteResult) -> None:
    site = result.site
    rows = [
        (_("File"), result.path),
        (_("School"), f"{site.school.name} ({site.school.code})"),
        (_("Address"), site.school.address),
        (_("District centre"), site.centre.url),
        (_("Verify TLS"), _("yes") if site.centre.verify_tls else _("no")),
        (_("NTP servers"), ", ".join(site.ntp_servers) or "-"),
        (_("Profile"), site.profile),
        (_("Store"), result.store),
    ]
    if site.letter:
        rows.append((_("Letter"), f"{site.letter.number} ({site.letter.date.isoformat()})"))
    if site.parties:
        for label, party in (
            (_("Supplier"), site.parties.supplier),
            (_("School"), site.parties.school),
            (_("District office"), site.parties.district),
        ):
            rows.append((label, f"{party.organisation}: {party.representative}, {party.position}"))
    console.print(key_value_table(_("Site"), rows))
    if result.created:
        console.print(_("Written. Edit the parties and NTP servers, then run: kitchencam site show"))


# ---------------------------------------------------------------------------------------------
# credentials
# ---------------------------------------------------------------------------------------------


def render_credentials(console: Console, result: CredentialsResult) -> None:
    if result.kind == "centre-token":
        site = result.user.partition(":")[2]
        if result.removed is None:
            console.print(_("Saved the centre's token for {site} in {backend}.").format(site=site,
                                                                                     backend=result.backend))
        elif result.removed:
            console.print(_("Forgot the centre's token for {site}.").format(site=site))
        else:
            console.print(_("No saved centre token for {site}.").format(site=site))
    elif result.removed is None:
        console.print(_("Saved the password for {user} in {backend}.").format(user=result.user, backend=result.backend))
    elif result.removed:
        console.print(_("Forgot the password for {user}.").format(user=result.user))
    else:
        console.print(_("No saved password for {user}.").format(user=result.user))
    if result.fallback_reason:
        console.print(
            _("Note: {reason}, so passwords go to a file only you can read.").format(reason=result.fallback_reason)
        )


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------


def render_demo(console: Console, result: DemoResult) -> None:
    table = Table(
        title=_("Simulated school on {base}: what was read from each camera").format(base=result.bind_base),
        title_justify="left",
        show_lines=True,
    )
    table.add_column(_("Camera"))
    table.add_column(_("Model"))
    table.add_column(_("Serial / MAC"))
    table.add_column(_("Main stream"))
    table.add_column(_("WDR / IR"))
    table.add_column(_("Clock"), justify="right")
    table.add_column(_("Check, provision, check, register"))
    for cam in result.cameras:
        where = f"{cam.target}\n[dim]{cam.persona}[/]"
        if cam.error is not None:
            table.add_row(where, f"[red]{cam.error.code}[/]", "", "", "", "", "")
            continue
        media = f"\n[dim]{', '.join(cam.onvif_profiles)} ({cam.media})[/]" if cam.media else ""
        offset = offset_text(cam.clock_offset_s)
        table.add_row(
            where,
            f"{cam.manufacturer}\n{cam.model}\n[dim]{cam.firmware}[/]",
            f"{cam.serial}\n{cam.mac or '?'}",
            f"{cam.main_stream or '?'}{media}",
            f"{cam.wdr or '?'} / {cam.ir_cut or '?'}",
            offset,
            f"{cam.check_before}\n-> {cam.provision_state}\n-> {cam.check_after}"
            + (f"\n-> {escape(cam.registration)}" if cam.registration else ""),
        )
    if console.width >= 120:
        console.print(table)
    else:  # a technician's narrow terminal or a pipe: one block per camera reads better
        for cam in result.cameras:
            if cam.error is not None:
                continue
            console.print(
                key_value_table(
                    f"{cam.target} ({cam.persona})",
                    [
                        (_("Model"), f"{cam.manufacturer} {cam.model}"),
                        (_("Firmware"), cam.firmware),
                        (_("Serial / MAC"), f"{cam.serial} / {cam.mac or '?'}"),
                        (_("ONVIF"), f"{', '.join(cam.onvif_profiles)} ({cam.media})"),
                        (_("Main stream"), cam.main_stream or "?"),
                        (_("WDR / IR"), f"{cam.wdr or '?'} / {cam.ir_cut or '?'}"),
                        (_("Clock"), offset_text(cam.clock_offset_s)),
                        (_("Check, provision, check"),
                         f"{cam.check_before} -> {cam.provision_state} -> {cam.check_after}"),
                        (_("Centre"), cam.registration or "-"),
                    ],
                )
            )
    for cam in result.cameras:
        if cam.error is not None:
            console.print(f"[bold]{cam.target} ({cam.persona})[/]: {escape(cam.error.message)}", soft_wrap=True)
    console.print(_("Discovery of {subnet}: {cameras} cameras, {others} other devices.").format(
        subnet=result.subnet, cameras=result.discovered_cameras, others=result.discovered_others))
    if result.centre_url:
        console.print(_("District centre (simulated): {url}").format(url=result.centre_url))
    if result.uplink_mbps is not None:
        console.print(_("Upload to the centre (loopback, 10th percentile): {mbps:.0f} Mbit/s.").format(
            mbps=result.uplink_mbps))
    for path in result.report.values():
        console.print(_("Handover minutes: {path}").format(path=escape(path)), soft_wrap=True)
    console.print(_("Done in {seconds} s.").format(seconds=result.elapsed_s))


def offset_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return "0 s" if abs(seconds) < 0.5 else f"{seconds:+.0f} s"


# ---------------------------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------------------------


def render_discover(console: Console, result: DiscoverResult) -> None:
    cams = [d for d in result.devices if d.kind == "camera"]
    others = [d for d in result.devices if d.kind == "other"]
    table = Table(title=_("Cameras found: {n}").format(n=len(cams)), title_justify="left")
    for column in (_("IP"), _("MAC"), _("Model"), _("Firmware"), _("ONVIF"), _("Clock"), _("Found by")):
        table.add_column(column, overflow="fold")
    for d in cams:
        off = _("off")
        onvif = ", ".join(d.profiles) if d.onvif == "on" else f"[red]{off}[/]"
        clock = offset_text(d.clock_offset_s)
        if d.clock_plausible is False:
            clock += " " + _("(not set)")
        how = ", ".join(d.found_by) + (f" ({', '.join(d.interfaces)})" if d.interfaces else "")
        table.add_row(d.address, d.mac or "-", escape(d.model or "?"), escape(d.firmware or "-"), onvif, clock, how)
    console.print(table)
    if others:
        other_table = Table(title=_("Other devices (not cameras): {n}").format(n=len(others)), title_justify="left")
        for column in (_("IP"), _("Name / model"), _("Types")):
            other_table.add_column(column)
        for d in others:
            other_table.add_row(d.address, escape(d.name or d.model or "-"), escape(" ".join(d.types) or "-"))
        console.print(other_table)
    for d in result.devices:
        for note in d.notes:
            console.print(f"[bold]{d.address}[/]: {escape(note)}", soft_wrap=True)
    searched = ", ".join(f"{s.interface} ({s.devices})" for s in result.searched)
    console.print(_("Searched {searched} in {seconds} s; recorded for site {site}.").format(
        searched=searched, seconds=result.elapsed_s, site=result.site), soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------------------------


def render_profile_list(console: Console, result: ProfileList) -> None:
    table = Table(title=_("Profiles"), title_justify="left")
    table.add_column("ID")
    table.add_column(_("Title"))
    table.add_column(_("From"), overflow="fold")
    for p in result.profiles:
        if p.source == "packaged":
            source = _("packaged")
        else:
            source = _("user folder, overrides the packaged one") if p.overrides else _("user folder")
        table.add_row(p.id, p.title_vi if current_language() == "vi" and p.title_vi else p.title,
                      f"{source}\n{escape(p.path)}")
    console.print(table)


def render_profile(console: Console, profile: Profile) -> None:
    vi = current_language() == "vi"
    table = Table(title=f"{profile.id}: {escape(profile.title_vi if vi and profile.title_vi else profile.title)}",
                  title_justify="left", show_lines=True)
    table.add_column(_("Rule"))
    table.add_column(_("Requirement"))
    table.add_column(_("Evidence from"))
    table.add_column(_("The letter says"))
    for rule in profile.rules:
        title = rule.title_vi if vi and rule.title_vi else rule.title
        table.add_row(rule.id, escape(title), rule.kind, escape(rule.letter or ""))
    console.print(table)


def render_profile_validation(console: Console, result: ProfileValidation) -> None:
    console.print(_("{path}: valid.").format(path=result.path))


# ---------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------


STATUS_STYLE = {"PASS": "green", "FAIL": "bold red", "WARN": "yellow", "MANUAL": "cyan", "UNKNOWN": "magenta"}


@contextmanager
def check_progress(console: Console, total: int) -> Iterator[Callable[[Any], None]]:
    """A transient bar on ``console``; the callable advances it by one camera."""
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(_("Checking cameras"), total=total)
        yield lambda _d: bar.advance(task)


def render_check(console: Console, result: CheckResult) -> None:
    vi = current_language() == "vi"
    for d in result.devices:
        serial = _("serial")
        title = f"{d.target}  {escape(d.manufacturer or '')} {escape(d.model or '')}  {serial} {d.serial or '?'}"
        if d.error is not None:  # the message itself follows with the errors
            console.print(f"[bold]{title}[/]: [red]{d.error.code}[/]", soft_wrap=True)
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        for column in (_("Rule"), _("Verdict"), _("Seen"), _("Required"), _("Evidence")):
            table.add_column(column, overflow="fold")
        for v in d.verdicts:
            style = STATUS_STYLE.get(v.status, "")
            label = v.title_vi if vi and v.title_vi else v.title
            table.add_row(f"{v.rule}\n[dim]{escape(label)}[/]", f"[{style}]{v.status}[/]", escape(v.seen or "-"),
                          escape(v.required or "-"), v.evidence)
        console.print(table)
        for v in d.verdicts:
            if v.status in ("FAIL", "WARN", "UNKNOWN") and v.detail:
                console.print(f"  [{STATUS_STYLE[v.status]}]{v.rule}[/]: {escape(v.detail)}", soft_wrap=True)
        counts = ", ".join(f"{k} {n}" for k, n in d.counts.items() if n)
        console.print(_("{target}: {overall} ({counts})").format(target=d.target, overall=d.overall, counts=counts))
    console.print(_("Profile {profile}; {n} camera(s) in {seconds} s; stored as run {run}.").format(
        profile=result.profile, n=len(result.devices), seconds=result.elapsed_s, run=result.run_id))


# ---------------------------------------------------------------------------------------------
# provision / rollback
# ---------------------------------------------------------------------------------------------


def provision_words() -> dict[str, str]:
    """A camera's provisioning state and a step's status in the technician's words."""
    return {"planned": _("planned"), "no-op": _("nothing to change"), "provisioned": _("set"),
            "failed": _("failed"), "rolled-back": _("rolled back"), "done": _("done"), "skipped": _("skipped")}


def render_provision(console: Console, result: ProvisionResult, *, asking: bool = False) -> None:
    """The result of provision; with ``asking`` the plan shown before the confirmation question,
    which is not a --dry-run and never says so."""
    words = provision_words()
    for cam in result.cameras:
        state = words.get(cam.state, cam.state)
        title = f"{cam.target}  {escape(cam.manufacturer or '')} {escape(cam.model or '')}  [b]{state}[/]"
        if cam.error is not None:
            console.print(f"[bold]{title}[/]: [red]{cam.error.code}[/]", soft_wrap=True)
            continue
        if not cam.steps:
            console.print(title + "  " + _("nothing to change: already as the profile wants."))
            continue
        table = Table(title=title, title_justify="left")
        for column in (_("Step"), _("Setting"), _("Current"), _("Target"), _("How"), _("Status")):
            table.add_column(column, overflow="fold")
        for step in cam.steps:
            for i, change in enumerate(step.changes or [None]):
                table.add_row(step.name if i == 0 else "", change.setting if change else "",
                              escape(change.current or "-") if change else "", escape(change.target) if change else "",
                              step.how if i == 0 else "", words.get(step.status, step.status) if i == 0 else "")
        console.print(table)
        for step in cam.steps:
            if step.detail:
                console.print(f"  [red]{step.name}[/]: {escape(step.detail)}", soft_wrap=True)
        if cam.timezone_used:
            refused_label = _("refused")
            refused = f" ({refused_label}: {', '.join(cam.timezone_refused)})" if cam.timezone_refused else ""
            console.print("  " + _("Time zone set as {tz}").format(tz=cam.timezone_used) + refused)
        if cam.rtsp:
            console.print("  " + _("RTSP stream: {codec} {w}x{h}").format(codec=cam.rtsp.get("codec"),
                                                                          w=cam.rtsp.get("width"),
                                                                          h=cam.rtsp.get("height")))
        for problem in cam.verify_problems:
            console.print(f"  [red]{escape(problem)}[/]", soft_wrap=True)
        if cam.overall:
            console.print("  " + _("After: {overall} ({counts})").format(
                overall=cam.overall, counts=", ".join(f"{k} {n}" for k, n in cam.counts.items() if n)))
    for warning in result.warnings:
        console.print(f"[yellow]{escape(warning)}[/]", soft_wrap=True)
    label = _("Plan only (--dry-run).") if result.dry_run and not asking else ""
    counts = _("{n} camera(s) in {seconds} s.").format(n=len(result.cameras), seconds=result.elapsed_s)
    console.print(f"{label} {counts}" if label else counts)


def render_rollback(console: Console, result: RollbackResult, *, asking: bool = False) -> None:
    """What rollback put back; with --dry-run (or ``asking``, before the confirmation) what it would."""
    if result.dry_run:
        console.print(_("{target}: the backup would put back {what}.").format(
            target=result.target, what=", ".join(result.planned) or "-"))
        if not asking:
            console.print(_("Plan only (--dry-run): nothing was changed."))
        return
    console.print(_("{target}: restored {what}.").format(target=result.target,
                                                         what=", ".join(result.restored) or "-"))


# ---------------------------------------------------------------------------------------------
# register / sync / doctor
# ---------------------------------------------------------------------------------------------


REG_STYLE = {"sent": "green", "queued": "yellow", "rejected": "red", "skipped": "magenta"}


def render_deliveries(console: Console, deliveries: Sequence[Delivery]) -> None:
    table = Table(title_justify="left")
    for column in (_("Camera"), _("Serial"), _("State"), _("Centre id"), _("Note")):
        table.add_column(column, overflow="fold")
    for d in deliveries:
        if d.state == "sent":
            note = _("replayed, already there") if d.replayed else (_("new") if d.created else _("updated"))
        else:
            note = d.reason or ""
            if d.next_attempt_at:
                note += " " + _("(next try after {at})").format(at=d.next_attempt_at)
        table.add_row(escape(d.target), escape(d.serial), f"[{REG_STYLE.get(d.state, '')}]{d.state}[/]",
                      d.centre_device_id or "-", escape(note))
    console.print(table)


def render_connections(console: Console, result: RegisterResult) -> None:
    """Each camera's dial-out: written and read back, online at the centre, or why not."""
    table = Table(title=_("Dial-out to the centre ({method})").format(method=result.method), title_justify="left")
    for column in (_("Camera"), _("Device ID"), _("Read back"), _("Online at the centre"), _("Note")):
        table.add_column(column, overflow="fold")
    for c in result.connections:
        back = c.read_back
        seen = "-" if back is None else f"{back.host or '?'}:{back.port or '?'} {back.device_id or ''}".strip()
        seen = f"[red]{escape(seen)}[/]" if c.configured is False else escape(seen)
        online = "?" if c.online is None else (_("yes") if c.online else _("no"))
        if c.online and c.last_seen:
            online += " " + _("(last seen {at})").format(at=c.last_seen)
        note = " ".join(c.diagnosis) if c.state != "online" else (c.via or "")
        table.add_row(escape(c.target), escape(c.device_id or "-"), seen,
                      f"[{'green' if c.online else 'red'}]{online}[/]", escape(note))
    console.print(table)


def render_register(console: Console, result: RegisterResult) -> None:
    if result.connections:
        render_connections(console, result)
    render_deliveries(console, result.cameras)
    counts = {s: sum(1 for d in result.cameras if d.state == s) for s in REG_STYLE}
    console.print(_("Sent {sent}, queued {queued}, rejected {rejected}, not sent {skipped}; {seconds} s.").format(
        seconds=result.elapsed_s, **counts))
    if counts["queued"]:
        console.print(_("Queued registrations are kept in the store: run kitchencam sync when the centre answers."))


def render_register_status(console: Console, result: StatusResult) -> None:
    table = Table(title=_("Registrations of {site} at {centre}").format(site=result.site, centre=result.centre),
                  title_justify="left")
    for column in (_("Serial"), _("Camera"), _("Here"), _("At the centre"), _("Centre id"), _("Note")):
        table.add_column(column, overflow="fold")
    for c in result.cameras:
        at = "?" if c.at_centre is None else (_("yes") if c.at_centre else _("no"))
        note = c.last_error or ""
        if c.next_attempt_at:
            note += " " + _("(next try after {at})").format(at=c.next_attempt_at)
        table.add_row(escape(c.serial), escape(c.target or "-"), c.local_state or "-", at, c.centre_device_id or "-",
                      escape(note.strip()))
    console.print(table)
    dialled = [c for c in result.cameras if c.connection is not None]
    if dialled:
        table = Table(title=_("Dial-out to the centre"), title_justify="left")
        for column in (_("Serial"), _("Configured on the camera"), _("Online at the centre"), _("Last seen"),
                       _("Recorded"), _("Note")):
            table.add_column(column, overflow="fold")
        for c in dialled:
            conn = c.connection
            assert conn is not None
            back = conn.read_back or {}
            configured = "?" if conn.configured is None else (_("yes") if conn.configured else _("no"))
            configured += f" ({conn.method} {back.get('host') or '?'}:{back.get('port') or '?'} " \
                          f"{back.get('device_id') or conn.device_id or ''})"
            online = "?" if conn.online is None else (_("yes") if conn.online else _("no"))
            recorded = _("yes") if c.local_state == "sent" else (c.local_state or _("no"))
            note = conn.last_refusal or ("" if conn.online else " ".join(conn.diagnosis[:1]))
            table.add_row(escape(c.serial), escape(configured), online, conn.last_seen or "-", recorded, escape(note))
        console.print(table)
    if not result.cameras:
        console.print(_("Nothing registered or queued yet."))


def render_sync(console: Console, result: SyncResult) -> None:
    if result.deliveries:
        render_deliveries(console, result.deliveries)
    console.print(_("Sent {sent}, still queued {queued}, rejected {rejected}; {seconds} s.").format(
        sent=result.count("sent"), queued=result.count("queued"), rejected=result.count("rejected"),
        seconds=result.elapsed_s))
    if result.not_due:
        console.print(_("{n} more wait for their retry time (run without --due to send them now).").format(
            n=result.not_due))


DOCTOR_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skipped": "dim"}


def render_doctor(console: Console, result: DoctorResult) -> None:
    table = Table(title_justify="left")
    for column in (_("Check"), _("Result"), _("Detail"), _("What to do")):
        table.add_column(column, overflow="fold")
    for c in result.checks:
        table.add_row(c.name, f"[{DOCTOR_STYLE[c.status]}]{c.status}[/]", escape(c.detail), escape(c.fix or ""))
    console.print(table)


# ---------------------------------------------------------------------------------------------
# bandwidth
# ---------------------------------------------------------------------------------------------


@contextmanager
def bandwidth_progress(console: Console, total_s: float) -> Iterator[Callable[[float, float, float, bool], None]]:
    """A transient bar with the current rate; the callable is ``bandwidth.measure``'s ``progress``."""
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rate]}"),
                  console=console, transient=True) as bar:
        task = bar.add_task(_("Warming up"), total=total_s, rate="")

        def show(elapsed: float, total: float, mbps: float, warming: bool) -> None:
            bar.update(task, completed=elapsed, total=total, rate=f"{mbps:.1f} Mbit/s",
                       description=_("Warming up") if warming else _("Uploading"))

        yield show


def render_bandwidth(console: Console, result: BandwidthResult) -> None:
    console.print(_("Upload to {url}: {streams} connection(s), {seconds:g} s counted.").format(
        url=escape(result.url), streams=result.streams, seconds=result.duration_s), soft_wrap=True)
    console.print(_("Mean {mean:.1f} Mbit/s, 10th percentile {p10:.1f} Mbit/s.").format(
        mean=result.mean_mbps, p10=result.p10_mbps))
    console.print(_("Carries {n} camera(s) at the profile's bitrate of {cap} kbit/s (site has {m}).").format(
        n=result.carries, cap=result.cap_kbps, m=result.cameras_on_site))
    if result.verdict:
        short = result.carries is not None and result.carries < (result.cameras_on_site or 0)
        console.print(f"[yellow]{escape(result.verdict)}[/]" if short else escape(result.verdict), soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def render_report(console: Console, result: ReportResult) -> None:
    from kitchencam.report.texts import texts  # the report package, only for the report command

    words = texts(current_language())
    for path in result.paths.values():
        console.print(_("Written: {path}").format(path=escape(path)), soft_wrap=True)
    console.print(_("{n} camera(s) in the minutes.").format(n=result.cameras))
    for item in result.missing:
        if item.stages:
            stages = ", ".join(words[f"stage_{s}"] for s in item.stages)
            console.print("  " + _("Camera {n} ({serial}): {stages}").format(
                n=item.camera, serial=escape(item.serial or item.target or "?"), stages=stages), soft_wrap=True)
    for stage in result.site_missing:
        console.print("  " + words[f"stage_{stage}"])


def handover_stage_title(stage: str) -> str:
    """A handover stage in the technician's words."""
    titles = {"site": _("Site config"), "discover": _("Find the cameras"), "check": _("Check the cameras"),
              "provision": _("Set the cameras"), "bandwidth": _("Measure the uplink"),
              "register": _("Connect to the centre"), "attestations": _("Attestations"), "report": _("Minutes")}
    return titles.get(stage, stage)


def _handover_status_words() -> dict[str, str]:
    return {"done": _("done"), "resumed": _("done earlier"), "planned": _("plan only"),
            "incomplete": _("incomplete"), "failed": _("failed"), "interrupted": _("interrupted"),
            "not-run": _("not run")}


def _handover_stage_line(number: int, total: int, stage: str) -> str:
    return _("Step {n}/{total}: {title}").format(n=number, total=total, title=handover_stage_title(stage))


def render_handover_event(console: Console, event: StageEvent) -> None:
    """``handover``'s progress on stderr: each stage as it starts, how it ended, each camera set."""
    if event.kind == "start":
        console.print(f"[b]{escape(_handover_stage_line(event.number, event.total, event.stage))}[/] ...",
                      soft_wrap=True)
    elif event.kind == "camera" and event.state is None:
        console.print("  " + escape(_("setting camera {n}/{of} {target} ...").format(
            n=event.done + 1, of=event.of, target=event.camera)), soft_wrap=True)
    elif event.kind == "camera":
        states = provision_words()
        console.print("  " + escape(_("camera {done}/{of} {target}: {state}").format(
            done=event.done, of=event.of, target=event.camera, state=states.get(event.state or "", event.state))),
            soft_wrap=True)
    elif event.status in ("resumed", "planned", "incomplete", "failed", "interrupted"):
        console.print("  " + escape(_handover_status_words()[event.status]), soft_wrap=True)


def _handover_stages(console: Console, result: HandoverResult) -> None:
    from kitchencam.handover import STAGES

    words, methods = _handover_status_words(), _connection_method_words()
    for stage in result.stages:
        shown = methods.get(stage.note or "", stage.note) if stage.stage == "register" else stage.note
        note = f" ({escape(shown)})" if shown else ""
        line = _handover_stage_line(STAGES.index(stage.stage) + 1, len(STAGES), stage.stage)
        console.print(f"{escape(line)}: {words[stage.status]}{note}", soft_wrap=True)


def _connection_method_words() -> dict[str, str]:
    """How the cameras reach the centre (``centre.connection.method``), for the register stage's line."""
    from kitchencam.connection import METHOD_NAMES

    words = {method: _("each camera dials out by {name}").format(name=name) for method, name in METHOD_NAMES.items()}
    words["none"] = _("recorded with the centre; the cameras do not dial out")
    return words


def render_handover(console: Console, result: HandoverResult, *, plan_shown: bool = False) -> None:
    """``handover``: the plan when it stopped there (unless it was just shown with the question),
    one line per stage, then where the minutes are (or where the run stopped and how to go on)."""
    if result.plan is not None and not plan_shown:
        render_provision(console, result.plan, asking=True)
    _handover_stages(console, result)
    if result.report is not None:
        for path in result.report.paths.values():
            console.print(_("Minutes written: {path}").format(path=escape(path)), soft_wrap=True)
    elif result.stopped_at is not None:
        console.print(_("Stopped at {stage}. Run kitchencam handover again to continue from there.").format(
            stage=handover_stage_title(result.stopped_at)), soft_wrap=True)


def render_handover_asked(console: Console, result: HandoverResult) -> None:
    """``handover`` on a terminal: the plan was shown with its question, so not again after a "no"."""
    render_handover(console, result, plan_shown=True)


def render_handover_interrupted(console: Console, result: HandoverResult | None) -> None:
    """Ctrl-C during ``handover``: what was finished (stages, cameras set) and how to go on."""
    console.print()
    console.print(f"[b]{escape(_('Stopped by Ctrl-C.'))}[/]")
    if result is not None:
        _handover_stages(console, result)
        done = [c.target for c in result.provision if c.state in ("provisioned", "no-op")]
        if done and not result.provision_plan_only:
            console.print(escape(_("Cameras set: {targets}").format(targets=", ".join(done))), soft_wrap=True)
    else:
        console.print(_("Nothing was finished."))
    console.print(_("Run kitchencam handover again: it continues where it stopped."), soft_wrap=True)
