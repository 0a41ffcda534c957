"""Where kitchencam keeps things, the site config, and how it finds credentials.

Paths come from platformdirs (so Windows laptops get %APPDATA%/%LOCALAPPDATA%), each
overridable by an environment variable so tests and a second site on one laptop stay apart.
Credentials come from the environment, the OS keyring, or a hidden prompt; they are never
taken from the command line, and never written to the store, a log, a report or JSON.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from kitchencam.errors import ConfigError, CredentialError
from kitchencam.i18n import _
from kitchencam.yamlfile import dump_yaml, load_model

APP = "kitchencam"
KEYRING_SERVICE = "kitchencam"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path

    @property
    def site_file(self) -> Path:
        return Path(os.environ.get("KITCHENCAM_SITE", self.config_dir / "site.yaml"))

    @property
    def store_file(self) -> Path:
        return Path(os.environ.get("KITCHENCAM_STORE", self.data_dir / "kitchencam.db"))

    @property
    def profiles_dir(self) -> Path:
        """A site's own spec profiles (``<id>.yaml``), beside the packaged ones; one here wins."""
        return self.config_dir / "profiles"

    @property
    def secrets_file(self) -> Path:
        """Fallback credential file where no OS keyring exists (headless Linux)."""
        return self.data_dir / "secrets.json"

    @classmethod
    def from_env(cls) -> Paths:

        config = os.environ.get("KITCHENCAM_CONFIG_DIR") or platformdirs.user_config_dir(APP, False)
        data = os.environ.get("KITCHENCAM_DATA_DIR") or platformdirs.user_data_dir(APP, False)
        return cls(config_dir=Path(config), data_dir=Path(data))


# ---------------------------------------------------------------------------------------------
# Site config
# ---------------------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Party(_Strict):
    """One side of the handover minutes."""

    organisation: Text
    representative: Text
    position: Text
    address: str = ""
    phone: str = ""


class Parties(_Strict):
    supplier: Party = Field(description="Bên giao: the food supplier who installs the cameras")
    school: Party = Field(description="Bên nhận: the school that receives them")
    district: Party = Field(description="The district education office, witness")


class School(_Strict):
    name: Text
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{2,32}$")]
    address: Text
    district: str = "Thanh Trì"
    city: str = "Hà Nội"


class Letter(_Strict):
    number: Text
    date: date
    issuer: str = ""
    subject: str = ""


#: How a centre takes cameras (issue 15): the camera dials out to the centre's platform.
ConnectionMethod = Literal["dahua-auto-register", "hikvision-isup", "hik-connect", "gb28181", "none"]
CONNECTION_METHODS: tuple[str, ...] = ("dahua-auto-register", "hikvision-isup", "hik-connect", "gb28181", "none")
#: The vendor API's registration kind (kitchencam.models.RegistrationKind) each method writes.
METHOD_KIND: dict[str, str] = {"dahua-auto-register": "auto-register", "hikvision-isup": "isup",
                               "hik-connect": "hik-connect", "gb28181": "gb28181"}
KIND_METHOD: dict[str, str] = {kind: method for method, kind in METHOD_KIND.items()}
#: The methods whose centre hands out a secret (kept in the keyring, never in the site file).
SECRET_METHODS = ("hikvision-isup", "gb28181")
#: The device-ID template when the site file gives none. GB/T 28181 Annex D: 8-digit centre code +
#: 2-digit industry code (together the 10-digit domain) + type code 132 (IP camera) + the network
#: identifier (1 digit, here 0) + a 6-digit serial: 20 decimal digits.
DEFAULT_DEVICE_ID = "{school_code}-{n:02d}"
GB28181_DEVICE_ID = "{domain}1320{n:06d}"
GB28181_IPC_TYPE = "132"


def _config_error(message: str) -> PydanticCustomError:
    # A custom error keeps the message as written (no "Value error, " in front): yamlfile shows it
    # after the file, line and key.
    return PydanticCustomError("kitchencam_config", message)


def render_device_id(template: str, *, school_code: str, n: int, domain: str | None = None) -> str:
    """A camera's device ID from the site's template: ``{school_code}``, ``{n}`` (the camera's number on
    the site, from 1) and, for GB28181, ``{domain}``. Raises ValueError for a template that does not render."""
    try:
        return template.format(school_code=school_code, n=n, domain=domain or "")
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ValueError(_("the device-ID template {template!r} does not render ({reason}): use {{school_code}}, "
                           "{{n}} (e.g. {{n:02d}}) and, for GB28181, {{domain}}.").format(
                               template=template, reason=exc)) from None


def is_gb28181_id(value: str) -> bool:
    return len(value) == 20 and value.isascii() and value.isdigit()


class Connection(_Strict):
    """``centre.connection``: how each camera dials out to the centre's platform (record only by default)."""

    method: ConnectionMethod = "none"
    host: str | None = None
    port: int | None = None
    device_id: str | None = None  # template; the method's default when not given
    server_id: str | None = None  # GB28181: the SIP server's 20-digit id
    domain: str | None = None  # GB28181: the SIP domain (10 digits)
    protocol_version: str | None = None  # ISUP: e.g. "v5.0"
    wait_s: float = 60.0  # how long register waits for the centre to see a camera online

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or len(value) > 253 or any(c.isspace() or c in "/@?#" for c in value):
            raise _config_error(_("the centre's host is a name or an address, without a scheme or path "
                                  "(e.g. centre.example.vn or 203.0.113.10)."))
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise _config_error(_("the port is a number from 1 to 65535."))
        return value

    @field_validator("server_id")
    @classmethod
    def _server_id(cls, value: str | None) -> str | None:
        if value is not None and not is_gb28181_id(value.strip()):
            raise _config_error(_("the SIP server ID is 20 digits (GB/T 28181), e.g. 34020000002000000001."))
        return value.strip() if value is not None else None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not (len(value.strip()) == 10 and value.strip().isdigit()):
            raise _config_error(_("the SIP domain is 10 digits (the centre code and industry code of GB/T 28181), "
                                  "e.g. 3402000000."))
        return value.strip() if value is not None else None

    @field_validator("wait_s")
    @classmethod
    def _wait(cls, value: float) -> float:
        if not 1 <= value <= 600:
            raise _config_error(_("wait_s is seconds, from 1 to 600."))
        return value

    @model_validator(mode="after")
    def _complete(self) -> Connection:
        if self.method == "none":
            return self
        missing = self.missing_keys(self.method, self.model_dump())
        if missing:
            raise _config_error(_("method {method} needs {keys} under centre.connection.").format(
                method=self.method, keys=", ".join(missing)))
        sample = render_device_id(self.device_template, school_code="MN-TTO", n=1, domain=self.domain)
        if self.method == "gb28181" and not is_gb28181_id(sample):
            raise _config_error(_("device_id {template!r} gives {sample!r}; a GB28181 device ID is 20 digits: the "
                                  "10-digit domain, 132 (IP camera), then 7 digits, e.g. {{domain}}1320{{n:06d}}.")
                                .format(template=self.device_template, sample=sample))
        if not sample or len(sample) > 64:
            raise _config_error(_("device_id {template!r} gives {sample!r}: a device ID is 1 to 64 characters.")
                                .format(template=self.device_template, sample=sample))
        return self

    @staticmethod
    def missing_keys(method: str, values: dict[str, Any]) -> list[str]:
        """The keys ``method`` needs that ``values`` (``centre.connection``) leaves out."""
        if method in ("none", "hik-connect"):  # Hik-Connect dials the vendor's cloud: the host is optional
            return []
        needed = ("host", "port", "server_id", "domain") if method == "gb28181" else ("host", "port")
        return [name for name in needed if values.get(name) is None]

    @property
    def device_template(self) -> str:
        if self.device_id:
            return self.device_id
        return GB28181_DEVICE_ID if self.method == "gb28181" else DEFAULT_DEVICE_ID

    @property
    def kind(self) -> str | None:
        """The vendor registration kind this method writes (None: record only)."""
        return METHOD_KIND.get(self.method)

    def device_id_for(self, school_code: str, n: int) -> str:
        return render_device_id(self.device_template, school_code=school_code, n=n, domain=self.domain)


def connection_secret_key(site_code: str, method: str) -> str:
    """The keyring entry of the centre's secret for a method (ISUP key, GB28181 password)."""
    return f"centre-connection:{site_code}:{method}"


def connection_secret(site_code: str, method: str, secrets_get: Any) -> str | None:
    """``KITCHENCAM_CONNECTION_SECRET`` first, then the keyring (saved by ``site init``)."""
    return os.environ.get("KITCHENCAM_CONNECTION_SECRET") or secrets_get(connection_secret_key(site_code, method))


class Centre(_Strict):
    url: AnyHttpUrl
    verify_tls: bool = True
    connection: Connection = Field(default_factory=Connection)


class SiteConfig(_Strict):
    school: School
    centre: Centre
    letter: Letter | None = None
    ntp_servers: list[Text] = Field(default_factory=list)
    parties: Parties | None = None
    profile: str = "thanhtri-2024"


def load_site(path: Path) -> SiteConfig:
    if not path.exists():
        raise ConfigError(
            _("No site config at {path}. Create one with: kitchencam site init").format(path=path)
        )
    return load_model(path, SiteConfig)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), in a folder only its owner can open (0700 when created).

    The site config names the school and its centre; secrets never go in it, but it is nobody else's.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if sys.platform != "win32":
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # an existing file keeps its mode on O_CREAT
    except OSError as exc:
        raise ConfigError(_("Cannot write {path} ({reason}). Check that the folder is writable by you, or set "
                            "KITCHENCAM_CONFIG_DIR to another folder.").format(
            path=path, reason=exc.strerror or exc)) from None


def site_template(*, school_name: str, school_code: str, address: str, centre_url: str,
                  connection: dict[str, Any] | None = None) -> str:
    """A filled-in starting point for ``site init``: valid as written, meant to be edited."""
    return dump_yaml(site_data(school_name=school_name, school_code=school_code, address=address,
                               centre_url=centre_url, connection=connection))


def site_data(*, school_name: str, school_code: str, address: str, centre_url: str,
              connection: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``site_template`` writes, as data (``site init`` validates it before writing)."""
    centre: dict[str, Any] = {"url": centre_url, "verify_tls": True}
    if connection:
        centre["connection"] = {k: v for k, v in connection.items() if v is not None}
    return {
        "school": {
            "name": school_name,
            "code": school_code,
            "address": address,
            "district": "Thanh Trì",
            "city": "Hà Nội",
        },
        "centre": centre,
        "letter": {
            "number": "1115/GD&ĐT",
            "date": "2024-10-28",
            "issuer": "Phòng Giáo dục và Đào tạo huyện Thanh Trì",
            "subject": "Lắp đặt camera giám sát bếp ăn bán trú",
        },
        "ntp_servers": ["0.vn.pool.ntp.org", "1.asia.pool.ntp.org"],
        "profile": "thanhtri-2024",
        "parties": {
            "supplier": {
                "organisation": "(tên đơn vị cung cấp thực phẩm)",
                "representative": "(họ tên)",
                "position": "(chức vụ)",
                "address": "",
                "phone": "",
            },
            "school": {
                "organisation": school_name,
                "representative": "(họ tên hiệu trưởng)",
                "position": "Hiệu trưởng",
                "address": address,
                "phone": "",
            },
            "district": {
                "organisation": "Phòng Giáo dục và Đào tạo huyện Thanh Trì",
                "representative": "(họ tên)",
                "position": "(chức vụ)",
                "address": "",
                "phone": "",
            },
        },
    }


# ---------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    source: str  # "env", "keyring", "file", "prompt": never the secret itself

    def __repr__(self) -> str:  # never leak the password through a debug print
        return f"Credentials(user={self.user!r}, password='***', source={self.source!r})"


_FILE_LOCK = threading.Lock()


class SecretStore:
    """OS keyring where one exists; otherwise a JSON file only the user can read.

    ``fallback_reason`` is set when the file is used, so the CLI can say so.
    """

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.fallback_reason: str | None = None
        self._keyring = self._usable_keyring()

    def _usable_keyring(self) -> Any:
        if os.environ.get("KITCHENCAM_KEYRING") == "file":
            self.fallback_reason = _("KITCHENCAM_KEYRING=file is set")
            return None
        try:  # here, not at the top: a keyring that fails even to import means "no keyring"
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
        except Exception as exc:  # noqa: BLE001 - any keyring import/backend failure means "no keyring"
            self.fallback_reason = str(exc)
            return None
        priority = getattr(backend, "priority", 0)
        if isinstance(backend, fail.Keyring) or priority <= 0:
            self.fallback_reason = _("no OS keyring backend on this machine")
            return None
        return keyring

    @property
    def backend_name(self) -> str:
        """Which backend holds the secrets: the keyring backend's module and class (e.g.
        ``keyring.backends.SecretService.Keyring``), or the plaintext fallback file."""
        if self._keyring is None:
            return _("plaintext file {path} (protected only by file permissions)").format(
                path=self.paths.secrets_file)
        backend = type(self._keyring.get_keyring())
        return f"{backend.__module__}.{backend.__qualname__}"

    def loose_permissions(self) -> list[str]:
        """The fallback file and its folder where others than the user may read them (wider than
        0600 / 0700), as "PATH (mode)"; empty when they are the user's only (or on Windows)."""
        if sys.platform == "win32":
            return []
        loose = []
        for path, allowed in ((self.paths.secrets_file, 0o600), (self.paths.secrets_file.parent, 0o700)):
            if path.exists():
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & ~allowed:
                    loose.append(f"{path} ({mode:04o})")
        return loose

    def get(self, key: str) -> str | None:
        if self._keyring is not None:
            return self._keyring.get_password(KEYRING_SERVICE, key)
        return self._read_file().get(key)

    def set(self, key: str, secret: str) -> None:
        if self._keyring is not None:
            self._keyring.set_password(KEYRING_SERVICE, key, secret)
            return
        with _FILE_LOCK:  # several cameras provisioned in parallel save their accounts at once
            data = self._read_file()
            data[key] = secret
            self._write_file(data)

    def delete(self, key: str) -> bool:
        if self._keyring is not None:
            try:
                self._keyring.delete_password(KEYRING_SERVICE, key)
            except Exception:  # noqa: BLE001 - keyring raises backend-specific "not found" errors
                return False
            return True
        with _FILE_LOCK:
            data = self._read_file()
            found = data.pop(key, None) is not None
            self._write_file(data)
        return found

    def _read_file(self) -> dict[str, str]:
        path = self.paths.secrets_file
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CredentialError(
                _("The credential file {path} is unreadable ({reason}). Delete it and save the "
                  "credentials again with: kitchencam credentials set").format(path=path, reason=exc)
            ) from None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        path = self.paths.secrets_file
        # The folder is the user's only too (0700), made so from the start when this creates it,
        # tightened when the store or an older version made it first with the umask's mode.
        path.parent.mkdir(mode=stat.S_IRWXU, parents=True, exist_ok=True)
        if sys.platform != "win32" and stat.S_IMODE(path.parent.stat().st_mode) & ~stat.S_IRWXU:
            os.chmod(path.parent, stat.S_IRWXU)
        tmp = path.with_suffix(".tmp")
        # Create with 0600 from the start: no moment where another user could read it.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        if sys.platform != "win32":
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def camera_key(user: str) -> str:
    return f"camera:{user}"


def camera_user_key(site_code: str) -> str:
    """Where ``credentials set --user`` remembers the site's camera user name (not a secret; kept
    beside the password so one saved login needs nothing else)."""
    return f"camera-user:{site_code}"


def save_camera_login(secrets: SecretStore, site_code: str, user: str, password: str) -> None:
    """Keep a camera login for the site: the password under the user, and the user as the site's
    (so check/provision/register/rollback/handover need no KITCHENCAM_USER). What ``credentials set
    --user`` saves, and what handover saves when the technician says yes to keeping a typed login."""
    secrets.set(camera_key(user), password)
    secrets.set(camera_user_key(site_code), user)


def resolve_credentials(
    user: str | None,
    secrets: SecretStore,
    *,
    interactive: bool,
    prompt: object = None,
    saved_user: str | None = None,
) -> Credentials:
    """Environment first, then the keyring/file, then a hidden prompt (TTY only).

    The user name: ``user`` (the option), then KITCHENCAM_USER, then ``saved_user`` (the one
    ``credentials set --user`` remembered for the site), then a prompt.

    ``prompt`` is a callable ``(label, hide) -> str`` supplied by the CLI (only kitchencam/cli/ talks to
    the terminal).
    """
    env_user = os.environ.get("KITCHENCAM_USER")
    env_password = os.environ.get("KITCHENCAM_PASSWORD")
    name = user or env_user or saved_user
    if env_password is not None and name:
        return Credentials(name, env_password, "env")
    if name is None and interactive and callable(prompt):
        name = prompt(_("Camera user name"), False)
    if not name:
        raise CredentialError(
            _("No camera user name. Pass --user NAME or set KITCHENCAM_USER."),
        )
    stored = secrets.get(camera_key(name))
    if stored is not None:
        return Credentials(name, stored, "file" if secrets.fallback_reason else "keyring")
    if interactive and callable(prompt):
        password = prompt(_("Password for {user}").format(user=name), True)
        return Credentials(name, str(password), "prompt")
    raise CredentialError(
        _("No password for camera user {user}. Set KITCHENCAM_PASSWORD, save it once with "
          "'kitchencam credentials set --user {user}', or run in a terminal to be asked.").format(user=name)
    )
