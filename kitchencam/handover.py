"""``kitchencam handover``: the whole job on site as one resumable run over the application layer.

Stages, in order: site (pick it, or create it from ``site init``'s options), discover, check,
provision (each camera on its own, only once confirmed), bandwidth, register, attestations (the
technician's answers, recorded by a last check that the minutes read), report (the minutes).

Each finished stage, and each camera whose provisioning finished, is recorded in the store
(``handover_progress``): a second run continues where the first stopped and never provisions a
finished camera again; ``restart`` starts over. This module prints nothing and asks nothing: the
caller gives ``confirm`` (may the plan be applied?) and renders the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from kitchencam import app
from kitchencam import check as check_mod
from kitchencam import discover as discover_mod
from kitchencam import provision as provision_mod
from kitchencam.bandwidth import BandwidthResult
from kitchencam.centre import RegisterResult
from kitchencam.check import CheckResult
from kitchencam.discover import DiscoverResult
from kitchencam.errors import KitchencamError, Unreachable, UsageError
from kitchencam.i18n import _
from kitchencam.models import ErrorItem
from kitchencam.provision import CameraProvision, ProvisionResult
from kitchencam.report import ReportResult

Stage = Literal["site", "discover", "check", "provision", "bandwidth", "register", "attestations", "report"]
STAGES: tuple[Stage, ...] = ("site", "discover", "check", "provision", "bandwidth", "register", "attestations",
                             "report")

#: done: finished in this run; resumed: finished by an earlier run (its stored result); planned: the
#: provisioning plan only (nothing applied); incomplete: some cameras failed, run again to retry them.
StageStatus = Literal["done", "resumed", "planned", "incomplete", "not-run"]


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


def _site(ctx: app.Context, init: SiteInit) -> SiteStage:
    """The site config: the one there is, or one made from ``site init``'s options."""
    from kitchencam.sitecmd import init_site

    path = ctx.site_file
    if path is None or ctx.paths is None:
        raise UsageError(_("This run has no site config file to use."))
    if ctx.site is not None:
        return SiteStage(code=ctx.site.school.code, name=ctx.site.school.name, path=str(path), created=False)
    missing = init.missing()
    if missing:
        raise UsageError(_("No site config at {path}. Give {options} to create it (as kitchencam site init "
                           "takes them), or pass --site FILE.").format(path=path, options=", ".join(missing)))
    path.parent.mkdir(parents=True, exist_ok=True)
    init_site(path, ctx.paths, school_name=init.school_name or "", school_code=init.school_code or "",
              address=init.address, centre_url=init.centre_url or "")
    for part in ("site", "school", "profile"):  # loaded before the file existed
        ctx.__dict__.pop(part, None)
    assert ctx.site is not None
    return SiteStage(code=ctx.site.school.code, name=ctx.site.school.name, path=str(path), created=True)


def handover(ctx: app.Context, options: HandoverOptions,
             confirm: Callable[[ProvisionResult], bool]) -> HandoverResult:
    """Run the stages not finished yet, in order; stop at the first that cannot go on.

    ``confirm(plan)`` says whether the provisioning plan may be applied (``--yes``, or the
    technician's answer); False leaves the plan only and stops there.
    """
    result = HandoverResult()
    result.site = _site(ctx, options.site_init)
    school = ctx.school
    with ctx.store() as store:
        site_id = store.upsert_site(school.code, school.name, result.site.path).id
        if options.restart:
            store.handover_reset(site_id)
        done = store.handover_progress(site_id)

    def mark(stage: Stage, item: str = "", data: BaseModel | None = None) -> None:
        with ctx.store() as store:
            store.handover_mark(site_id, stage, item, data.model_dump(mode="json") if data is not None else None)

    def finished(stage: Stage, note: str | None = None) -> None:
        result.stages.append(StageRecord(stage=stage, status="done", note=note))

    def resumed(stage: Stage) -> dict[str, Any] | None:
        if (stage, "") not in done:
            return None
        result.stages.append(StageRecord(stage=stage, status="resumed"))
        return done[(stage, "")] or {}

    def stop(stage: Stage) -> HandoverResult:
        result.stopped_at = stage
        return result

    if resumed("site") is None:
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
            if any(s.status == "planned" for c in plan.cameras for s in c.steps) and not confirm(plan):
                result.provision += plan.cameras
                result.provision_plan_only = True
                result.plan = plan
                result.stages.append(StageRecord(stage="provision", status="planned", note=_(
                    "Plan only: nothing was changed. Add --yes to apply it, or answer yes in a terminal.")))
                return stop("provision")
            for target in todo:
                applied = app.provision(ctx, targets=[target], use_all=False, dry_run=False,
                                        confirm=lambda _p: None)
                result.errors += provision_mod.errors_of(applied)
                for cam in applied.cameras:
                    result.provision.append(cam)
                    if cam.state in ("provisioned", "no-op"):
                        mark("provision", target, cam)
        failed = [c.target for c in result.provision if c.state not in ("provisioned", "no-op")]
        if failed:
            result.stages.append(StageRecord(stage="provision", status="incomplete", note=_(
                "Not provisioned: {targets}. Run kitchencam handover again to retry them.").format(
                    targets=", ".join(failed))))
        else:
            mark("provision")
            finished("provision")

    # bandwidth
    stored = resumed("bandwidth")
    if stored is not None:
        result.bandwidth = BandwidthResult.model_validate(stored)
    else:
        result.bandwidth = app.bandwidth(ctx, url=None, duration_s=options.bandwidth_s, streams=options.streams)
        mark("bandwidth", data=result.bandwidth)
        finished("bandwidth")

    # register: the site's centre connection says how (record only, or each camera dials out)
    stored = resumed("register")
    if stored is not None:
        result.registration = RegisterResult.model_validate(stored)
    else:
        result.registration = app.register(ctx, targets=[], use_all=True, location=options.location)
        result.errors += register_errors(result.registration)
        mark("register", data=result.registration)
        finished("register", note=result.registration.method)

    # attestations: recorded by a last check, the one the minutes read
    stored = resumed("attestations")
    if stored is not None:
        result.attestations = CheckResult.model_validate(stored)
    else:
        result.attestations = app.check(ctx, targets=[], use_all=True, attest=options.attest, by=options.by)
        mark("attestations", data=result.attestations)
        finished("attestations")
    result.errors += check_mod.errors_of(result.attestations)

    # report: the minutes, written every time (a resumed run may have more to say)
    try:
        result.report = app.report(ctx, fmt=options.fmt, lang=options.lang, output=options.output,
                                   draft=options.draft)
    except KitchencamError as exc:
        result.errors.append(ErrorItem.from_error(exc))
        return stop("report")
    mark("report", data=result.report)
    finished("report", note=", ".join(result.report.paths.values()))
    return result


def register_errors(result: RegisterResult) -> list[ErrorItem]:
    """As ``register`` reports them: refused or queued deliveries, cameras not online, cameras held back."""
    from kitchencam.centre import errors_of
    from kitchencam.errors import NonCompliant

    held = [c.error for c in result.connections if c.error is not None]
    not_online = {c.target for c in result.connections if c.error is not None}
    skipped = [ErrorItem.from_error(NonCompliant(d.reason or "", target=d.target))
               for d in result.cameras if d.state == "skipped" and d.target not in not_online]
    return errors_of(result.cameras, result.stopped_by) + held + skipped
