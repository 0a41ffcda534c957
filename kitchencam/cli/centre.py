"""``kitchencam register`` and ``sync``: the district centre."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    AllOpt,
    JsonOpt,
    ProfileOpt,
    SiteOpt,
    TargetsArg,
    UserOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    from kitchencam.models import ErrorItem


def register_cmd(
    targets: TargetsArg = None,
    use_all: AllOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help=_("Send cameras that fail a rule too (their compliance says so)."))
    ] = False,
    location: Annotated[
        str | None, typer.Option("--location", metavar="TEXT", help=_("Where the camera is installed (one camera)."))
    ] = None,
    show_status: Annotated[
        bool, typer.Option("--status", help=_("Show what the centre has and what waits; send nothing."))
    ] = False,
    wait_s: Annotated[
        float | None, typer.Option("--wait", metavar="SECONDS", min=1, max=600,
                                   help=_("How long to wait for the centre to see each camera online "
                                          "(default: centre.connection.wait_s, 60)."))
    ] = None,
    profile_name: ProfileOpt = None,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register cameras with the district centre (queued in the store first, so nothing is lost).

    Each camera is read and judged now; a compliant one (or any, with --force) is queued, then sent.
    With centre.connection.method set in the site config, each camera is first set to dial out to
    the centre's platform (backed up first), read back, and waited for until the centre sees it
    online; one that does not come online is held back with the cause found.
    When the centre cannot be reached it stays queued: run kitchencam sync later. Exit 4 if some
    wait (or a camera is not online), 5 if the centre refuses the token (or the camera's device ID or
    key), 1 if it refuses a record (or a camera cannot do the method), 3 if a camera is not compliant.

    \b
    Examples:
    kitchencam register --all
    kitchencam register 192.168.1.64 --location "Bếp ăn, khu sơ chế"
    kitchencam register --status
    """

    def produce() -> Any:
        from kitchencam import app as use_case

        ctx = common.context(site_path, profile_name=profile_name, user=user,
                             show_progress=not as_json and common.ENV.err.is_terminal)
        if show_status:
            return use_case.register_status(ctx)
        return use_case.register(ctx, targets=targets or [], use_all=use_all, force=force, location=location,
                                 wait_s=wait_s)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.centre import errors_of
        from kitchencam.errors import NonCompliant
        from kitchencam.models import ErrorItem

        if show_status:
            return [result.centre_error] if result.centre_error else []
        held = [c.error for c in result.connections if c.error is not None]
        not_online = {c.target for c in result.connections if c.error is not None}
        skipped = [ErrorItem.from_error(NonCompliant(d.reason or "", target=d.target))
                   for d in result.cameras if d.state == "skipped" and d.target not in not_online]
        return errors_of(result.cameras, result.stopped_by) + held + skipped

    from kitchencam.render import render_register, render_register_status

    finish("register", as_json, produce, render_register_status if show_status else render_register,
           extra_errors=errors)


def sync_cmd(
    due: Annotated[
        bool, typer.Option("--due", help=_("Only items whose retry time has come (for a scheduled task).")),
    ] = False,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the registrations waiting in the store to the district centre.

    Each one is sent with its own Idempotency-Key, so a repeat never makes a second record. Exit 4
    if some still wait, 5 if the centre refuses the token, 1 if it refuses a record.

    \b
    Example: kitchencam sync
    """

    def produce() -> Any:
        from kitchencam import app as use_case

        return use_case.sync(common.context(site_path), due_only=due)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.centre import errors_of

        return errors_of(result.deliveries, result.stopped_by)

    from kitchencam.render import render_sync

    finish("sync", as_json, produce, render_sync, extra_errors=errors)
