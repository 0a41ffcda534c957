"""Core of ``kitchencam site`` and ``credentials``: returns models, prints nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from kitchencam.errors import ConfigError
from kitchencam.i18n import _
from kitchencam.profile import ProfileSummary
from kitchencam.settings import (
    Paths,
    SecretStore,
    SiteConfig,
    connection_secret_key,
    load_site,
    site_template,
    write_private,
)
from kitchencam.store import Store


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
    text = site_template(school_name=school_name, school_code=school_code, address=address,
                         centre_url=centre_url, connection=connection)
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
