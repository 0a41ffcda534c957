"""Core of ``kitchencam site`` and ``credentials``: returns models, prints nothing."""

from __future__ import annotations

import json
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


#: The party fields the minutes print names from, as ``placeholders()`` names them.
PARTY_ROLES = ("supplier", "school", "district")
PARTY_FIELDS = ("organisation", "representative", "position")


def party_label(dotted: str) -> str:
    """What to call a party field when asking for it ("parties.supplier.representative")."""
    labels = {
        "parties.supplier.organisation": _("Supplier organisation (handing over)"),
        "parties.supplier.representative": _("Supplier's representative (handing over)"),
        "parties.supplier.position": _("Position of the supplier's representative"),
        "parties.school.organisation": _("School (receiving)"),
        "parties.school.representative": _("School's representative (receiving)"),
        "parties.school.position": _("Position of the school's representative"),
        "parties.district.organisation": _("District education office (witness)"),
        "parties.district.representative": _("District office's representative (witness)"),
        "parties.district.position": _("Position of the district office's representative"),
    }
    return labels.get(dotted, dotted)


def party_value_problem(value: str) -> str | None:
    """Why ``value`` cannot stand as a name in the minutes, or None."""
    text = value.strip()
    if not text:
        return _("Write a name: it cannot be empty.")
    if text.startswith("(") and text.endswith(")"):
        return _("Write the real name, not a placeholder in brackets.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return _("Write it on one line, without control characters.")
    if len(text) > 200:
        return _("Write at most 200 characters.")
    return None


def update_parties(path: Path, values: dict[str, str]) -> SiteConfig:
    """Write party names ("parties.supplier.representative" -> "Nguyễn Văn An") into the site config
    in place: only those values change, every other line (comments too) stays as it was. The result
    is validated with the loader before it replaces the file; a refused value changes nothing."""
    import yaml

    for dotted, value in values.items():
        parts = dotted.split(".")
        if len(parts) != 3 or parts[0] != "parties" or parts[1] not in PARTY_ROLES or parts[2] not in PARTY_FIELDS:
            raise UsageError(_("{field}: not a party name field of the site config.").format(field=dotted))
        problem = party_value_problem(value)
        if problem is not None:
            raise UsageError(_("{field}: {problem}").format(field=dotted, problem=problem))
    if not values:
        return load_site(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        load_site(path)  # says what is wrong with the file, naming its line
        raise
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), offsets into text
    for dotted, value in values.items():
        key, node = _node_at(root, dotted.split("."))
        if key is None or node is None:
            raise ConfigError(_("{path}: {field} is not in the file; add the parties section (kitchencam site "
                                "init writes it).").format(path=path, field=dotted))
        quoted = json.dumps(value.strip(), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null" and not node.value:
            colon = text.index(":", key.end_mark.index) + 1
            edits.append((colon, colon, " " + quoted))  # "key:" with nothing after it
        elif isinstance(node, yaml.ScalarNode):
            end = node.end_mark.index
            if node.style in ("|", ">"):  # a block scalar ends after its line breaks: keep one
                quoted += "\n"
            edits.append((node.start_mark.index, end, quoted))
        else:
            raise ConfigError(_("{path}: {field} should be a name, not a list or mapping.").format(
                path=path, field=dotted))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, text)
    try:
        site = load_site(tmp)  # validate before it replaces anything
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(path)
    return site


def _node_at(root: Any, keys: list[str]) -> tuple[Any, Any]:
    """The key node and value node at ``keys`` in a composed YAML tree, (None, None) when absent."""
    import yaml

    key_node, node = None, root
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None, None
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                key_node, node = k, v
                break
        else:
            return None, None
    return key_node, node
