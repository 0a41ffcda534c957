"""``kitchencam handover``: the whole job on site as one resumable run over the application layer.

Stages, in order: site (pick it, or create it from ``site init``'s options), discover, check,
provision (each camera on its own, only once confirmed), bandwidth, register, attestations (the
technician's answers, recorded by a last check that the minutes read), report (the minutes).

Each finished stage, and each camera whose provisioning finished, is recorded in the store
(``handover_progress``): a second run continues where the first stopped and never provisions a
finished camera again; ``restart`` starts over. This module prints nothing and asks nothing itself:
every question goes through the caller's :class:`HandoverAsk` (may the plan be applied, the MANUAL
rules, where each camera hangs, the school when there is no site config, the names the minutes print
while the site config still holds placeholders for them), whose defaults never wait
(no terminal, ``--json``, ``--yes``); each stage's start and end goes to the caller's ``progress``.
A failing stage keeps the stages finished before it in the result (``stopped_at``, its error); an
interrupt (Ctrl-C) raises :class:`HandoverInterrupted` carrying the result so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from kitchencam import app
from kitchencam import centre as centre_mod
from kitchencam import check as check_mod
from kitchencam import discover as discover_mod
from kitchencam import provision as provision_mod
from kitchencam.bandwidth import BandwidthResult
from kitchencam.centre import RegisterResult
from kitchencam.check import CheckResult
from kitchencam.discover import DiscoverResult
from kitchencam.errors import CentreAuthFailed, KitchencamError, Unreachable, UsageError
from kitchencam.i18n import _
from kitchencam.models import ErrorItem
from kitchencam.provision import CameraProvision, ProvisionResult
from kitchencam.report import ReportResult
from kitchencam.targets import host_of

Stage = Literal["site", "discover", "check", "provision", "bandwidth", "register", "attestations", "report"]
STAGES: tuple[Stage, ...] = ("site", "discover", "check", "provision", "bandwidth", "register", "attestations",
                             "report")

#: done: finished in this run; resumed: finished by an earlier run (its stored result); planned: the
#: provisioning plan only (nothing applied); incomplete: some cameras failed, run again to retry them;
#: failed: the stage raised an error (in ``errors``), the run stopped there; interrupted: Ctrl-C.
StageStatus = Literal["done", "resumed", "planned", "incomplete", "failed", "interrupted", "not-run"]


class SiteStage(BaseModel):
    code: str
    name: str
    path: str
    created: bool


class StageRecord(BaseModel):
    stage: Stage
    status: StageStatus
    note: str | None = None


class HandoverResult(BaseModel):
    """``kitchencam handover`` (docs/reference/json.md): every stage's status and its result."""

    site: SiteStage | None = None
    stages: list[StageRecord] = []
    discover: DiscoverResult | None = None
    check: CheckResult | None = None
    provision: list[CameraProvision] = []
    provision_plan_only: bool = False
    plan: ProvisionResult | None = None  # the plan shown, when only planned
    bandwidth: BandwidthResult | None = None
    registration: RegisterResult | None = None
    attestations: CheckResult | None = None
    report: ReportResult | None = None
    stopped_at: Stage | None = None  # the first stage not finished, when the run ended early
    interrupted: bool = False  # stopped by Ctrl-C (the exit status is 130)
    errors: list[ErrorItem] = Field(default=[], exclude=True)  # the envelope's errors, not its data

    def status(self, stage: Stage) -> StageStatus:
        return next((s.status for s in self.stages if s.stage == stage), "not-run")


@dataclass
class SiteInit:
    """``site init``'s options, to create the site config when there is none."""

    school_name: str | None = None
    school_code: str | None = None
    centre_url: str | None = None
    address: str = "Thanh Trì, Hà Nội"

    def missing(self) -> list[str]:
        return [opt for opt, value in (("--school-name", self.school_name), ("--school-code", self.school_code),
                                       ("--centre-url", self.centre_url)) if not value]


@dataclass
class ManualQuestion:
    """A MANUAL rule no one has answered yet for some cameras: only the technician on site can."""

    rule: str
    title: str  # in the run's language
    question: str | None  # the profile's question, in the run's language, when it has one
    cameras: list[str]  # the targets still waiting for an answer to it


@dataclass
class ManualAnswers:
    answers: dict[str, bool]  # rule -> yes/no, for every camera
    by: str  # who attests


@dataclass
class CameraPlace:
    """A camera whose install location is not known yet."""

    number: int  # 1.. in the inventory's order
    target: str
    label: str  # "Dahua IPC-HDW2441T-S (192.168.1.64)"


@dataclass
class LoginOffer:
    """A camera login typed at the prompt in this run that a camera accepted: may it be kept?

    ``save()`` keeps it as ``credentials set --user`` does (the next run asks nothing); ``backend``
    names where (the OS keyring, or the plaintext file with ``fallback_reason`` why)."""

    user: str
    cameras: list[str]  # the hosts that accepted it
    backend: str
    fallback_reason: str | None
    save: Callable[[], None]


def _never(_plan: ProvisionResult) -> bool:
    return False


@dataclass
class HandoverAsk:
    """The questions the run may ask, as callbacks. A None callback is never asked (what a script
    gets); ``confirm`` says no unless told otherwise (the plan only). The CLI fills them with
    terminal prompts when a person can answer."""

    confirm: Callable[[ProvisionResult], bool] = _never
    #: The MANUAL rules still open after the last check, and the default "who attests".
    manual: Callable[[list[ManualQuestion], str | None], ManualAnswers | None] | None = None
    #: Where one camera is installed (None or "": not said).
    location: Callable[[CameraPlace], str | None] | None = None
    #: ``site init``'s answers when there is no site config and options are missing.
    site: Callable[[SiteInit], SiteInit] | None = None
    #: The names the minutes print that the site config still holds placeholders for (dotted paths,
    #: "parties.supplier.representative"), before the minutes are written without --draft: the
    #: answers given ({path: name}; a field left out stays as it is).
    parties: Callable[[list[str]], dict[str, str]] | None = None
    #: The district centre's token when none is saved (the argument: the centre refused the one
    #: typed before); tried on the centre, then kept in the keyring as ``credentials set
    #: --centre-token`` keeps it. None or "": not given.
    token: Callable[[bool], str | None] | None = None
    #: A login typed at the prompt that a camera accepted, offered once for keeping (never one refused
    #: everywhere, never one from the environment or the keyring).
    save_login: Callable[[LoginOffer], None] | None = None


@dataclass(frozen=True)
class StageEvent:
    """What ``progress`` is told: a stage starts ("start"), ends ("end", with its status), or one
    camera of provision begins ("camera", no state yet) or is done ("camera", with its state)."""

    stage: Stage
    number: int  # 1-based, of ``total``
    total: int
    kind: Literal["start", "end", "camera"]
    status: StageStatus | None = None
    camera: str | None = None
    state: str | None = None
    done: int = 0  # cameras done so far (kind "camera")
    of: int = 0


class HandoverInterrupted(KeyboardInterrupt):
    """Ctrl-C during a handover: ``result`` holds what was finished, ``stopped_at`` the stage cut short."""

    def __init__(self, result: HandoverResult) -> None:
        super().__init__()
        self.result = result


@dataclass
class HandoverOptions:
    subnets: Sequence[str] = ()
    interfaces: Sequence[str] = ()
    http_port: int = 80
    expect: int | None = None
    timeout_s: float = 3.0
    attest: Sequence[str] = ()
    by: str | None = None
    location: str | None = None
    bandwidth_s: float = 20.0
    streams: int = 2
    fmt: Literal["pdf", "html", "both"] = "pdf"
    lang: str = "vi"
    output: Path | None = None
    draft: bool = False
    restart: bool = False
    site_init: SiteInit = field(default_factory=SiteInit)


def _site(ctx: app.Context, init: SiteInit, ask: Callable[[SiteInit], SiteInit] | None = None) -> SiteStage:
    """The site config: the one there is, or one made from ``site init``'s options."""
    from kitchencam.sitecmd import init_site

    path = ctx.site_file
    if path is None or ctx.paths is None:
        raise UsageError(_("This run has no site config file to use."))
    if ctx.site is not None:
        return SiteStage(code=ctx.site.school.code, name=ctx.site.school.name, path=str(path), created=False)
    if init.missing() and ask is not None:
        init = ask(init)
    missing = init.missing()
    if missing:
        raise UsageError(_("No site config at {path}. Give {options} to create it (as kitchencam site init "
                           "takes them), or pass --site FILE.").format(path=path, options=", ".join(missing)))
    path.parent.mkdir(parents=True, exist_ok=True)
    init_site(path, ctx.paths, school_name=init.school_name or "", school_code=init.school_code or "",
              address=init.address, centre_url=init.centre_url or "")
    ctx.reload_site()  # read before the file existed
    assert ctx.site is not None
    return SiteStage(code=ctx.site.school.code, name=ctx.site.school.name, path=str(path), created=True)


def handover(ctx: app.Context, options: HandoverOptions, ask: HandoverAsk | None = None,
             progress: Callable[[StageEvent], None] | None = None) -> HandoverResult:
    """Run the stages not finished yet, in order; stop at the first that cannot go on.

    ``ask`` asks the questions (the default asks none and applies no plan); ``progress`` is told
    each stage's start and end. A stage's KitchencamError ends the run with the stages finished
    so far and the error in ``errors``; Ctrl-C raises :class:`HandoverInterrupted`. Only the
    site stage's errors (nothing finished yet) are raised as they are.
    """
    ask = ask or HandoverAsk()
    # wrong options are the command's usage error, before anything is asked or done (not a stage
    # that failed: running again with them would fail again)
    discover_mod.sweep_targets(discover_mod.DiscoverOptions(
        interfaces=list(options.interfaces), subnets=list(options.subnets), timeout_s=options.timeout_s,
        expect=options.expect, http_port=options.http_port))
    result = HandoverResult()
    current: list[Stage] = ["site"]

    def tell(stage: Stage, kind: Literal["start", "end", "camera"], **kw: Any) -> None:
        if progress is not None:
            progress(StageEvent(stage=stage, number=STAGES.index(stage) + 1, total=len(STAGES), kind=kind, **kw))

    def begin(stage: Stage) -> None:
        current[0] = stage
        tell(stage, "start")

    begin("site")
    result.site = _site(ctx, options.site_init, ask.site)
    try:
        _stages(ctx, options, ask, result, begin, tell)
    except KeyboardInterrupt as exc:
        result.interrupted = True
        result.stopped_at = current[0]
        result.stages.append(StageRecord(stage=current[0], status="interrupted"))
        tell(current[0], "end", status="interrupted")
        raise HandoverInterrupted(result) from exc
    except KitchencamError as exc:
        result.errors.append(ErrorItem.from_error(exc))
        result.stopped_at = current[0]
        result.stages.append(StageRecord(stage=current[0], status="failed", note=exc.message))
        tell(current[0], "end", status="failed")
    return result


def _stages(ctx: app.Context, options: HandoverOptions, ask: HandoverAsk, result: HandoverResult,
            begin: Callable[[Stage], None], tell: Callable[..., None]) -> None:
    assert result.site is not None
    school = ctx.school
    with ctx.store() as store:
        site_id = store.upsert_site(school.code, school.name, result.site.path).id
        if options.restart:
            store.handover_reset(site_id)
        done = store.handover_progress(site_id)

    def mark(stage: Stage, item: str = "", data: BaseModel | None = None) -> None:
        with ctx.store() as store:
            store.handover_mark(site_id, stage, item, data.model_dump(mode="json") if data is not None else None)

    def record(stage: Stage, status: StageStatus, note: str | None = None) -> None:
        result.stages.append(StageRecord(stage=stage, status=status, note=note))
        tell(stage, "end", status=status)

    def finished(stage: Stage, note: str | None = None) -> None:
        record(stage, "done", note)

    def resumed(stage: Stage) -> dict[str, Any] | None:
        begin(stage)
        if (stage, "") not in done:
            return None
        record(stage, "resumed")
        return done[(stage, "")] or {}

    def stop(stage: Stage) -> None:
        result.stopped_at = stage

    offered: list[bool] = []

    def offer_login() -> None:
        """Once a typed login worked on a camera, ask once whether to keep it."""
        if not offered and ask.save_login is not None:
            login = _login_offer(ctx)
            if login is not None:
                offered.append(True)
                ask.save_login(login)

    if ("site", "") in done:  # its start was told before the site config was looked at
        record("site", "resumed")
    else:
        mark("site", data=result.site)
        finished("site", note=result.site.path)

    # discover
    stored = resumed("discover")
    if stored is not None:
        result.discover = DiscoverResult.model_validate(stored)
    else:
        found = app.discover(ctx, interfaces=options.interfaces, subnets=options.subnets,
                             timeout_s=options.timeout_s, expect=options.expect, http_port=options.http_port)
        result.discover = found
        result.errors += discover_mod.errors_of(found, options.expect)
        if found.cameras == 0:
            raise Unreachable(_("No camera answered. Check the cable and the subnet, then run kitchencam handover "
                                "again (with --subnet CIDR where multicast is blocked)."))
        mark("discover", data=found)
        finished("discover")

    # check (before provisioning: what the plan starts from)
    stored = resumed("check")
    if stored is not None:
        result.check = CheckResult.model_validate(stored)
    else:
        result.check = app.check(ctx, targets=[], use_all=True)
        mark("check", data=result.check)
        finished("check")
    offer_login()

    # provision: each camera on its own, a finished camera never again
    if resumed("provision") is None:
        with ctx.store() as store:
            targets = check_mod.targets_or_all([], True, store, school.code)
        todo = [t for t in targets if ("provision", t) not in done]
        for t in targets:
            if ("provision", t) in done:
                result.provision.append(CameraProvision.model_validate(done[("provision", t)] or {"target": t}))
        if todo:
            plan = app.provision(ctx, targets=todo, use_all=False, dry_run=True, confirm=lambda _p: None)
            offer_login()
            if any(s.status == "planned" for c in plan.cameras for s in c.steps) and not ask.confirm(plan):
                result.provision += plan.cameras
                result.provision_plan_only = True
                result.plan = plan
                record("provision", "planned", _(
                    "Plan only: nothing was changed. Add --yes to apply it, or answer yes in a terminal."))
                stop("provision")
                return
            for n, target in enumerate(todo, start=1):
                tell("provision", "camera", camera=target, done=n - 1, of=len(todo))  # begins (no state yet)
                applied = app.provision(ctx, targets=[target], use_all=False, dry_run=False,
                                        confirm=lambda _p: None)
                result.errors += provision_mod.errors_of(applied)
                for cam in applied.cameras:
                    result.provision.append(cam)
                    if cam.state in ("provisioned", "no-op"):
                        mark("provision", target, cam)
                    tell("provision", "camera", camera=target, state=cam.state, done=n, of=len(todo))
        offer_login()
        failed = [c.target for c in result.provision if c.state not in ("provisioned", "no-op")]
        if failed:
            record("provision", "incomplete", _(
                "Not provisioned: {targets}. Run kitchencam handover again to retry them.").format(
                    targets=", ".join(failed)))
        else:
            mark("provision")
            finished("provision")

    # the centre's token, which bandwidth and register need: asked on a terminal when none is saved
    if ("bandwidth", "") not in done or ("register", "") not in done:
        _centre_token(ctx, ask.token)

    # bandwidth
    stored = resumed("bandwidth")
    if stored is not None:
        result.bandwidth = BandwidthResult.model_validate(stored)
    else:
        result.bandwidth = app.bandwidth(ctx, url=None, duration_s=options.bandwidth_s, streams=options.streams)
        mark("bandwidth", data=result.bandwidth)
        finished("bandwidth")

    # register: the site's centre connection says how (record only, or each camera dials out); each
    # camera's install location first (--location, else asked), kept in the inventory for the
    # centre's record and the minutes.
    stored = resumed("register")
    if stored is not None:
        result.registration = RegisterResult.model_validate(stored)
    else:
        _locations(ctx, options.location, ask.location)
        result.registration = app.register(ctx, targets=[], use_all=True)
        result.errors += register_errors(result.registration)
        mark("register", data=result.registration)
        offer_login()
        finished("register", note=result.registration.method)

    # attestations: the MANUAL rules still open are asked, then recorded by a last check, the one
    # the minutes read
    stored = resumed("attestations")
    if stored is not None:
        result.attestations = CheckResult.model_validate(stored)
    else:
        attest, by = list(options.attest), options.by
        questions = manual_questions(ctx, result.check, attest)
        if questions and ask.manual is not None:
            answered = ask.manual(questions, by or _last_attester(result.check))
            if answered is not None and answered.answers:
                by = answered.by
                everyone = {d.target for d in result.check.devices} if result.check is not None else set()
                for q in questions:
                    if q.rule not in answered.answers:
                        continue
                    pair = f"{q.rule}={'yes' if answered.answers[q.rule] else 'no'}"
                    if set(q.cameras) == everyone:
                        attest.append(pair)
                    else:  # only the cameras it was asked for: an answer holds for later checks of them
                        app.check(ctx, targets=q.cameras, use_all=False, attest=[pair], by=by)
        result.attestations = app.check(ctx, targets=[], use_all=True, attest=attest, by=by)
        mark("attestations", data=result.attestations)
        finished("attestations")
    result.errors += check_mod.errors_of(result.attestations)

    # report: the minutes, written every time (a resumed run may have more to say); the names they
    # print that are still placeholders are asked first (a draft needs none)
    begin("report")
    if not options.draft and ask.parties is not None:
        _parties(ctx, ask.parties)
    result.report = app.report(ctx, fmt=options.fmt, lang=options.lang, output=options.output,
                               draft=options.draft)
    mark("report", data=result.report)
    finished("report", note=", ".join(result.report.paths.values()))


def _login_offer(ctx: app.Context) -> LoginOffer | None:
    """The run's camera login when it was typed at the prompt and at least one camera accepted it
    (the run's login budget says which); None otherwise (from the environment or the keyring, not
    asked yet, or refused by every camera tried)."""
    from kitchencam.logins import BUDGET
    from kitchencam.settings import SecretStore, save_camera_login

    creds = ctx.__dict__.get("credentials")  # only a login this run already resolved: never prompt here
    secrets = ctx.secrets if ctx.paths is not None else None
    if creds is None or creds.source != "prompt" or not isinstance(secrets, SecretStore):
        return None
    accepted = BUDGET.accepted_hosts()
    if not accepted:
        return None
    code = ctx.school.code

    def save() -> None:
        save_camera_login(secrets, code, creds.user, creds.password)

    return LoginOffer(user=creds.user, cameras=accepted, backend=secrets.backend_name,
                      fallback_reason=secrets.fallback_reason, save=save)


def _parties(ctx: app.Context, ask: Callable[[list[str]], dict[str, str]]) -> None:
    """Ask for the party names the site config still holds placeholders for and write the answers into
    it (in place, validated); the minutes then read the updated config."""
    from kitchencam.report.build import placeholders
    from kitchencam.sitecmd import update_parties

    missing = placeholders(ctx.site)
    if not missing or ctx.site_file is None:
        return
    answers = {k: v.strip() for k, v in ask(missing).items() if k in missing and v and v.strip()}
    if answers:
        update_parties(ctx.site_file, answers)
        ctx.reload_site()  # the minutes read the names


def _centre_token(ctx: app.Context, ask: Callable[[bool], str | None] | None) -> None:
    """No token saved and someone to ask: ask, try it on the centre, keep it in the keyring.

    A token the centre refuses is asked once more, then never kept (the stage that needs it says
    what to do). A centre that cannot be reached cannot say: the token is kept, and the stage
    that needs it tells whether the centre takes it.
    """
    code = ctx.school.code
    if ask is None or ctx.site is None or ctx.centre is not None or centre_mod.centre_token(code, ctx.secrets.get):
        return
    refused = False
    for _attempt in range(2):
        token = (ask(refused) or "").strip()
        if not token:
            return
        try:
            with ctx.centre_client(token, timeouts=(3.0, 5.0)) as client:
                client.devices(code)
        except CentreAuthFailed:
            refused = True
            continue
        except KitchencamError:
            pass  # the centre cannot be reached now: the stages that need it say so
        ctx.secrets.set(centre_mod.token_key(code), token)
        return


def manual_questions(ctx: app.Context, checked: CheckResult | None, attest: Sequence[str]) -> list[ManualQuestion]:
    """The rules a camera still shows MANUAL without an answer, minus those ``--attest`` answers, in
    the profile's order."""
    if checked is None:
        return []
    given = {pair.partition("=")[0].strip() for pair in attest}
    # a datasheet rule the catalogue cannot tell (a model not in it, a fact it lacks) is the
    # technician's to answer too: the lens is on the camera's label and box
    from_datasheet = {rule.id for rule in ctx.profile.rules if rule.kind == "catalogue" and rule.severity != "advisory"}
    open_rules: dict[str, list[str]] = {}
    for device in checked.devices:
        for v in device.verdicts:
            open_ = v.status == "MANUAL" or (v.status == "UNKNOWN" and v.rule in from_datasheet)
            if open_ and v.attested_by is None and v.rule not in given:
                open_rules.setdefault(v.rule, []).append(device.target)
    vi = ctx.lang == "vi"
    questions = []
    for rule in ctx.profile.rules:
        if rule.id in open_rules:
            title = (rule.title_vi if vi else None) or rule.title
            question = (rule.question_vi if vi else None) or rule.question or _(
                "Check it on the camera, its label or its box: {title}. Is it so?").format(title=title)
            questions.append(ManualQuestion(rule=rule.id, title=title, question=question, cameras=open_rules[rule.id]))
    return questions


def _last_attester(checked: CheckResult | None) -> str | None:
    """Who attested before (a held answer), the default "who attests"."""
    for device in checked.devices if checked is not None else []:
        for v in device.verdicts:
            if v.attested_by:
                return v.attested_by
    return None


def _locations(ctx: app.Context, given: str | None, ask: Callable[[CameraPlace], str | None] | None) -> None:
    """Each camera's install location, kept in the inventory (``register --location``'s column): the
    one given for every camera, else asked for each camera whose place is not known yet."""
    if not given and ask is None:
        return
    school = ctx.school
    with ctx.store() as store:
        site_id = store.upsert_site(school.code, school.name).id
        targets = check_mod.targets_or_all([], True, store, school.code)
        devices = [(t, store.find_device(site_id, address=host_of(t))) for t in targets]
    for number, (target, device) in enumerate(devices, start=1):
        if device is None or (not given and device.where_installed()):
            continue
        label = " ".join(p for p in (device.manufacturer, device.model) if p) or _("camera")
        place = given or (ask(CameraPlace(number=number, target=target, label=f"{label} ({device.address})"))
                          if ask is not None else None)
        if place and place.strip():
            with ctx.store() as store:
                store.upsert_device(site_id, device.endpoint, address=device.address,
                                    install_location=place.strip())


def register_errors(result: RegisterResult) -> list[ErrorItem]:
    """As ``register`` reports them: refused or queued deliveries, cameras not online, cameras held back."""
    from kitchencam.centre import errors_of
    from kitchencam.errors import NonCompliant

    held = [c.error for c in result.connections if c.error is not None]
    not_online = {c.target for c in result.connections if c.error is not None}
    skipped = [ErrorItem.from_error(NonCompliant(d.reason or "", target=d.target))
               for d in result.cameras if d.state == "skipped" and d.target not in not_online]
    return errors_of(result.cameras, result.stopped_by) + held + skipped
