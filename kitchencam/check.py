"""``kitchencam check``: read each camera, judge it against a profile, keep the evidence.

One camera's read-and-judge and its record are :mod:`kitchencam.inspection`; this is the stage
that runs it over the targets.

Cameras are read concurrently (one ONVIF session each, the WSDLs parsed once per process); a
camera that cannot be read at all gets its error, never a silent gap; every read that failed
inside a camera becomes UNKNOWN verdicts through the audit. Prints nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from kitchencam.errors import NonCompliant, UsageError
from kitchencam.i18n import _
from kitchencam.inspection import (
    CheckOptions,
    CheckResult,
    DeviceCheck,
    inspect,
    record,
    site_facts_from_store,
)
from kitchencam.models import ErrorItem
from kitchencam.profile import Catalogue, Profile
from kitchencam.rules.engine import has_failures
from kitchencam.store import Store
from kitchencam.workers import DaemonPool

# The one camera's check and its record live below the stages (kitchencam.inspection, which
# register uses too); the check stage's callers keep finding them here.
__all__ = [
    "CheckOptions", "CheckResult", "DeviceCheck", "check", "check_one", "errors_of", "inventory_targets",
    "record", "site_facts_from_store", "targets_or_all",
]


def check_one(target: str, profile: Profile, catalogue: Catalogue, options: CheckOptions) -> DeviceCheck:
    return inspect(target, profile, catalogue, options)[0]


def check(options: CheckOptions, profile: Profile, catalogue: Catalogue,
          progress: Callable[[DeviceCheck], None] | None = None) -> CheckResult:
    started = time.monotonic()

    def one(target: str) -> DeviceCheck:
        result = check_one(target, profile, catalogue, options)
        if progress is not None:
            progress(result)
        return result

    workers = max(1, min(options.workers, len(options.targets)))
    with DaemonPool(max_workers=workers) as pool:
        devices = list(pool.map(one, options.targets))
    return CheckResult(profile=profile.id, profile_title=profile.title, devices=devices,
                       attestations=options.attestations, elapsed_s=round(time.monotonic() - started, 2))


def errors_of(result: CheckResult) -> list[ErrorItem]:
    """A device that could not be read keeps its own error; a failing one is NonCompliant (exit 3)."""
    errors: list[ErrorItem] = []
    for d in result.devices:
        if d.error is not None:
            errors.append(d.error)
        elif has_failures(d.verdicts):
            failed = [v.rule for v in d.verdicts if v.status == "FAIL"]
            fixable = all(v.fixable_by_provision for v in d.verdicts if v.status == "FAIL")
            hint = _("kitchencam provision fixes all of them.") if fixable else None
            errors.append(ErrorItem.from_error(NonCompliant(
                _("{target} fails {n} rule(s): {rules}.").format(target=d.target, n=len(failed),
                                                                 rules=", ".join(failed)),
                target=d.target, hint=hint)))
    return errors


def inventory_targets(store: Store, site_code: str) -> list[str]:
    """``--all``: every camera of the site's inventory with ONVIF on, by its XAddr."""
    site = store.get_site(site_code)
    if site is None:
        return []
    return [d.xaddr or d.address for d in store.list_devices(site.id, kind="camera") if d.onvif != "off"]


def targets_or_all(targets: Sequence[str], use_all: bool, store: Store, site_code: str) -> list[str]:
    if targets and use_all:
        raise UsageError(_("Give camera addresses or --all, not both."))
    if use_all:
        found = inventory_targets(store, site_code)
        if not found:
            raise UsageError(_("The inventory of site {site} has no camera yet. Run kitchencam discover first, "
                               "or give the camera addresses.").format(site=site_code))
        return found
    if not targets:
        raise UsageError(_("Give one or more camera addresses (HOST, HOST:PORT or an XAddr URL), or --all."))
    return list(targets)
