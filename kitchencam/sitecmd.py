"""Core of ``kitchencam site`` and ``credentials``: returns models, prints nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from kitchencam.errors import ConfigError, UsageError
from kitchencam.i18n import _
from kitchencam.profile import ProfileSummary
from kitchencam.settings import (
    Connection,
    Paths,
    SecretStore,
    SiteConfig,
    connection_secret_key,
    load_site,
    site_data,
    write_private,
)
from kitchencam.store import Store
from kitchencam.yamlfile import describe_error, dump_yaml


class SiteResult(BaseModel):
    path: str
    store: str
    created: bool = False
    site: SiteConfig
    connection_secret_saved: bool = False  # the centre's secret went to the keyring (never shown)


class CredentialsResult(BaseModel):
    """What was done with a secret; never the secret itself."""

    user: str  # the camera user, or the keyring key of the centre's token
    backend: str
    fallback_reason: str | None = None
    removed: bool | None = None
    kind: Literal["password", "centre-token"] = "password"


def init_site(path: Path, paths: Paths, *, school_name: str, school_code: str, address: str,
              centre_url: str, force: bool = False, connection: dict[str, Any] | None = None,
              connection_secret: str | None = None) -> SiteResult:
    if path.exists() and not force:
        raise ConfigError(
            _("{path} already exists. Edit it, or pass --force to overwrite it.").format(path=path)
        )
    data = site_data(school_name=school_name, school_code=school_code, address=address,
                     centre_url=centre_url, connection=connection)
    problems = option_problems(data)
    if problems:
        raise UsageError("\n".join(problems),
                         hint=_("Nothing was written: run it again with these options corrected."))
    text = dump_yaml(data)
    tmp = path.with_suffix(".tmp")
    write_private(tmp, text)
    try:
        result = show_site(tmp, paths)  # validate before it replaces anything
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(path)
    method = result.site.centre.connection.method
    if connection_secret:
        # The centre's ISUP key / GB28181 password: the keyring, never the site file.
        SecretStore(paths).set(connection_secret_key(result.site.school.code, method), connection_secret)
    return result.model_copy(update={"path": str(path), "created": True,
                                     "connection_secret_saved": bool(connection_secret)})


#: Where each of ``site init``'s options lands in the site config: a refused value is reported by the
#: option the technician typed, not by a line of a file nobody has seen yet (the handover takes them too).
OPTION_OF: dict[tuple[str, ...], str] = {
    ("school", "name"): "--school-name",
    ("parties", "school", "organisation"): "--school-name",
    ("school", "code"): "--school-code",
    ("school", "address"): "--address",
    ("parties", "school", "address"): "--address",
    ("centre", "url"): "--centre-url",
    ("centre", "connection", "method"): "--connection",
    ("centre", "connection", "host"): "--connection-host",
    ("centre", "connection", "port"): "--connection-port",
    ("centre", "connection", "device_id"): "--device-id",
    ("centre", "connection", "server_id"): "--sip-server-id",
    ("centre", "connection", "domain"): "--sip-domain",
}
_OPTION_OF_KEY = {"host": "--connection-host", "port": "--connection-port", "server_id": "--sip-server-id",
                  "domain": "--sip-domain"}


def option_problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with ``site init``'s values, one line per option ("--centre-url: ..."); empty if valid."""
    try:
        SiteConfig.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        for err in exc.errors():
            loc = tuple(str(part) for part in err["loc"])
            line = _option_problem(loc, err, data)
            if line not in lines:  # --school-name fills two keys
                lines.append(line)
        return lines
    return []


def _option_problem(loc: tuple[str, ...], err: Any, data: dict[str, Any]) -> str:
    connection = data.get("centre", {}).get("connection") or {}
    if loc == ("centre", "connection"):  # the method's own checks: the options it needs, the device ID
        method = str(connection.get("method", "none"))
        missing = Connection.missing_keys(method, connection)
        if missing:
            return _("--connection {method} needs {options}.").format(
                method=method, options=", ".join(_OPTION_OF_KEY[key] for key in missing))
        return _("{option}: {problem}").format(option="--device-id", problem=describe_error(err))
    option = OPTION_OF.get(loc)
    if option is None:
        return _("{option}: {problem}").format(option=".".join(loc), problem=describe_error(err))
    return _("{option}: {problem}").format(option=option, problem=describe_error(err))


def show_site(path: Path, paths: Paths) -> SiteResult:
    site = load_site(path)
    with Store(paths.store_file) as store:
        store.upsert_site(site.school.code, site.school.name, str(path))
    return SiteResult(path=str(path), store=str(paths.store_file), site=site)


class ProfileList(BaseModel):
    profiles: list[ProfileSummary]


class ProfileValidation(BaseModel):
    path: str
    valid: bool
