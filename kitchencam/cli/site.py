"""``kitchencam site init|show``: write and validate the site config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    SiteOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


def site_init(
    school_name: Annotated[str, typer.Option("--school-name", help=_("School name, as on its seal."))],
    school_code: Annotated[str, typer.Option("--school-code", help=_("Short school code (letters, digits, - and _)."))],
    centre_url: Annotated[str, typer.Option("--centre-url", help=_("Base URL of the district centre API."))],
    address: Annotated[str, typer.Option("--address", help=_("School address."))] = "Thanh Trì, Hà Nội",
    path: Annotated[
        Path | None,
        typer.Option("--site", help=_("Where to write it (default: the user config folder).")),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite an existing file."))] = False,
    connection: Annotated[
        str, typer.Option("--connection", metavar="METHOD",
                          help=_("How cameras dial out to the centre: dahua-auto-register, hikvision-isup, "
                                 "hik-connect, gb28181, or none (record only)."))] = "none",
    connection_host: Annotated[
        str | None, typer.Option("--connection-host", metavar="HOST",
                                 help=_("The centre's platform host the cameras dial."))] = None,
    connection_port: Annotated[
        int | None, typer.Option("--connection-port", metavar="PORT", help=_("The platform's port."))] = None,
    device_id: Annotated[
        str | None, typer.Option("--device-id", metavar="TEMPLATE",
                                 help=_("Device-ID template, e.g. {school_code}-{n:02d} or, for GB28181, "
                                        "{domain}1320{n:06d}."))] = None,
    sip_server_id: Annotated[
        str | None, typer.Option("--sip-server-id", metavar="ID", help=_("GB28181: the SIP server's 20-digit ID."))
    ] = None,
    sip_domain: Annotated[
        str | None, typer.Option("--sip-domain", metavar="DOMAIN", help=_("GB28181: the 10-digit SIP domain."))
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a site config to edit, then check it with: kitchencam site show.

    \b
    Example:
    kitchencam site init --school-name "Trường Mầm non Tả Thanh Oai" --school-code MN-TTO --centre-url https://centre.example/
    """
    from kitchencam.render import render_site
    from kitchencam.sitecmd import init_site

    target = path or common.ENV.paths.site_file

    def produce() -> Any:
        import os

        from kitchencam.errors import UsageError
        from kitchencam.settings import CONNECTION_METHODS, SECRET_METHODS

        if connection not in CONNECTION_METHODS:
            raise UsageError(_("--connection {method}: use one of {methods}.").format(
                method=connection, methods=", ".join(CONNECTION_METHODS)))
        secret = None
        if connection in SECRET_METHODS:
            # The ISUP key or GB28181 password: from the environment or a hidden prompt, into the keyring.
            secret = os.environ.get("KITCHENCAM_CONNECTION_SECRET")
            if secret is None and common.ENV.interactive:
                secret = common.ENV.prompt(_("The centre's {method} secret (ISUP key or SIP password)").format(
                    method=connection), True) or None
        details = {"method": connection, "host": connection_host, "port": connection_port,
                   "device_id": device_id, "server_id": sip_server_id, "domain": sip_domain}
        return init_site(target, common.ENV.paths, school_name=school_name, school_code=school_code,
                         address=address, centre_url=centre_url, force=force,
                         connection=details if connection != "none" else None, connection_secret=secret)

    finish("site init", as_json, produce, render_site)


def site_show(
    path: SiteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate the site config and show it. Example: kitchencam site show --json"""
    from kitchencam.render import render_site
    from kitchencam.sitecmd import show_site

    target = path or common.ENV.paths.site_file
    finish("site show", as_json, lambda: show_site(target, common.ENV.paths), render_site)
