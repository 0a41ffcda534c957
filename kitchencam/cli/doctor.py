"""``kitchencam doctor``: is this computer ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kitchencam.cli import common
from kitchencam.cli.common import (
    JsonOpt,
    ProfileOpt,
    SiteOpt,
    finish,
)
from kitchencam.errors import ExitCode

if TYPE_CHECKING:

    from kitchencam.models import ErrorItem


def doctor_cmd(profile_name: ProfileOpt = None, site_path: SiteOpt = None, as_json: JsonOpt = False) -> None:
    """Check this computer is ready: store, keyring, site config, profile, the centre and its token.

    Exit 1 if a check fails; each failure says what to do.

    \b
    Example: kitchencam doctor
    """

    def produce() -> Any:
        from kitchencam.doctor import doctor

        return doctor(common.ENV.paths, site_path or common.ENV.paths.site_file, profile_name=profile_name)

    def errors(result: Any) -> list[ErrorItem]:
        from kitchencam.models import ErrorItem

        return [ErrorItem(code="DoctorFailed", message=f"{c.name}: {c.detail}", exit_code=int(ExitCode.ERROR),
                          hint=c.fix) for c in result.failed]

    from kitchencam.render import render_doctor

    finish("doctor", as_json, produce, render_doctor, extra_errors=errors)
