"""``kitchencam discover``: find the cameras on the school LAN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    ListOpt,
    SiteOpt,
    UserOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    from kitchencam.models import ErrorItem


def discover_cmd(
    interface: Annotated[
        ListOpt,
        typer.Option("--interface", "-i", metavar="NAME",
                     help=_("Search by multicast on this interface only (repeatable).")),
    ] = None,
    subnet: Annotated[
        ListOpt,
        typer.Option("--subnet", metavar="CIDR",
                     help=_("Sweep this subnet address by address by unicast, up to a /22 (repeatable). With --subnet "
                            "no multicast search is sent, unless --interface is given too.")),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="S", help=_(
            "Longest wait for answers, in seconds; a sweep ends sooner once every address has answered or refused.")),
    ] = 3.0,
    expect: Annotated[
        int | None,
        typer.Option("--expect", metavar="N", help=_("Stop as soon as N devices have answered.")),
    ] = None,
    http_port: Annotated[
        int, typer.Option("--http-port", min=1, max=65535, help=_("Port of the HTTP check for silent hosts."))
    ] = 80,
    user: UserOpt = None,
    site_path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the cameras on the school LAN and record them in the site's inventory.

    Without --subnet: multicast WS-Discovery on every connected interface (or only --interface).
    With --subnet: a unicast sweep of that subnet only, for networks that block multicast (add
    --interface to send multicast there as well). With a login (--user,
    KITCHENCAM_USER/KITCHENCAM_PASSWORD, or the one saved with 'kitchencam credentials set
    --user') it also reads model, serial, firmware and MAC.

    \b
    Examples:
    kitchencam discover
    kitchencam discover --subnet 192.168.1.0/24 --expect 6
    """

    def produce() -> Any:
        from kitchencam import app as use_case

        ctx = common.context(site_path, user=user, show_progress=not as_json and common.ENV.err.is_terminal)
        return use_case.discover(ctx, interfaces=interface or [], subnets=subnet or [], timeout_s=timeout,
                                 expect=expect, http_port=http_port)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.discover import errors_of

        return errors_of(result, expect)

    from kitchencam.render import render_discover

    finish("discover", as_json, produce, render_discover, extra_errors=errors)
