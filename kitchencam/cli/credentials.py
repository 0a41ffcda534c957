"""``kitchencam credentials set|forget``: camera passwords and the centre's token in the OS keyring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kitchencam.cli import common
from kitchencam.cli.common import (
    CentreTokenOpt,
    JsonOpt,
    SiteOpt,
    UserOpt,
    finish,
)
from kitchencam.i18n import _

if TYPE_CHECKING:

    pass


def credentials_set(user: UserOpt = None, centre: CentreTokenOpt = False, site_path: SiteOpt = None,
                    as_json: JsonOpt = False) -> None:
    """Ask for a camera password (hidden), or the centre's token, and keep it in the OS keyring.

    \b
    Examples:
    kitchencam credentials set --user admin
    kitchencam credentials set --centre-token
    """
    from kitchencam.settings import SecretStore, save_camera_login

    def produce() -> Any:
        import os

        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        if centre:
            from kitchencam.centre import token_key

            token = os.environ.get("KITCHENCAM_CENTRE_TOKEN")
            if token is None and not common.ENV.interactive:
                raise UsageError(_("No terminal to ask for the token. Set KITCHENCAM_CENTRE_TOKEN instead."))
            if token is None:
                token = common.ENV.prompt(_("Centre token"), True)
            code = common.context(site_path).school.code
            secrets = SecretStore(common.ENV.paths)
            secrets.set(token_key(code), token.strip())
            return CredentialsResult(user=token_key(code), backend=secrets.backend_name,
                                     fallback_reason=secrets.fallback_reason, kind="centre-token")
        password = os.environ.get("KITCHENCAM_PASSWORD")
        if password is None and not common.ENV.interactive:
            raise UsageError(_("No terminal to ask for the password. Set KITCHENCAM_PASSWORD instead."))
        name = user or os.environ.get("KITCHENCAM_USER") or common.ENV.prompt(_("Camera user name"), False)
        if password is None:
            password = common.ENV.prompt(_("Password for {user}").format(user=name), True, True)
        code = common.context(site_path).school.code
        secrets = SecretStore(common.ENV.paths)
        save_camera_login(secrets, code, name, password)
        return CredentialsResult(user=name, backend=secrets.backend_name, fallback_reason=secrets.fallback_reason)

    from kitchencam.render import render_credentials

    finish("credentials set", as_json, produce, render_credentials)


def credentials_forget(user: UserOpt = None, centre: CentreTokenOpt = False, site_path: SiteOpt = None,
                       as_json: JsonOpt = False) -> None:
    """Remove a saved camera password (or the centre's token, --centre-token).

    Example: kitchencam credentials forget --user admin
    """
    from kitchencam.settings import SecretStore, camera_key, camera_user_key

    def produce() -> Any:
        from kitchencam.errors import UsageError
        from kitchencam.sitecmd import CredentialsResult

        if centre:
            from kitchencam.centre import token_key

            key = token_key(common.context(site_path).school.code)
        elif user:
            key = camera_key(user)
        else:
            raise UsageError(_("Say whose password to forget: --user NAME"))
        secrets = SecretStore(common.ENV.paths)
        found = secrets.delete(key)
        if not centre:
            remembered = camera_user_key(common.context(site_path).school.code)
            if secrets.get(remembered) == user:
                secrets.delete(remembered)
        return CredentialsResult(
            user=key if centre else str(user), backend=secrets.backend_name, fallback_reason=secrets.fallback_reason,
            removed=found, kind="centre-token" if centre else "password",
        )

    from kitchencam.render import render_credentials

    finish("credentials forget", as_json, produce, render_credentials)
