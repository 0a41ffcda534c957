"""Pin the contracts scripts depend on: the JSON envelope, exit codes, error mapping."""

from __future__ import annotations

import json
import subprocess
import sys

from kitchencam.errors import (
    AuthFailed,
    BadReply,
    ClockSkew,
    ConfigError,
    DeviceTimeout,
    ExitCode,
    KitchencamError,
    NonCompliant,
    OnvifDisabled,
    Unreachable,
    UsageError,
)
from kitchencam.models import ErrorItem
from kitchencam.render import envelope, exit_code_for
from tests.conftest import SITE_ARGS

ENVELOPE_KEYS = {"kitchencam_result_version", "command", "status", "data", "errors"}
ERROR_KEYS = {"code", "message", "exit_code", "target", "hint"}


def test_exit_code_values_are_the_documented_ones():
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "NON_COMPLIANT": 3, "UNREACHABLE": 4, "AUTH_FAILED": 5,
    }


def test_each_error_class_maps_to_its_exit_code():
    assert UsageError("x").exit_code == ExitCode.USAGE
    assert ConfigError("x").exit_code == ExitCode.ERROR
    assert NonCompliant("x").exit_code == ExitCode.NON_COMPLIANT
    for cls in (Unreachable, DeviceTimeout, OnvifDisabled):
        assert cls("x").exit_code == ExitCode.UNREACHABLE
    for cls in (AuthFailed, ClockSkew):
        assert cls("x").exit_code == ExitCode.AUTH_FAILED
    assert BadReply("x").exit_code == ExitCode.ERROR
    assert issubclass(BadReply, KitchencamError)


def test_envelope_keys_and_status(run):
    code, doc = run.json(*SITE_ARGS)
    assert code == 0
    assert set(doc) == ENVELOPE_KEYS
    assert doc["kitchencam_result_version"] == 1
    assert doc["command"] == "site init"
    assert doc["status"] == "ok"
    assert doc["errors"] == []
    assert doc["data"]["site"]["school"]["code"] == "MN-TTO"


def test_error_envelope_and_exit_code(run, tmp_path):
    code, doc = run.json("site", "show", "--site", str(tmp_path / "missing.yaml"))
    assert code == 1
    assert set(doc) == ENVELOPE_KEYS
    assert doc["status"] == "error"
    assert doc["data"] is None
    [err] = doc["errors"]
    assert set(err) == ERROR_KEYS
    assert err["code"] == "ConfigError"
    assert "kitchencam site init" in err["message"]


def test_json_output_has_no_colour_codes(run):
    result = run(*SITE_ARGS, "--json")
    assert "\x1b[" not in result.stdout
    json.loads(result.stdout)


def test_partial_status_when_some_items_failed():
    item = ErrorItem.from_error(Unreachable("gone", target="10.0.0.9:80"))
    env = envelope("check", {"devices": []}, [item])
    assert env.status == "partial"
    assert env.errors[0].target == "10.0.0.9:80"


def test_most_specific_exit_code_wins():
    unreach = ErrorItem.from_error(Unreachable("a"))
    auth = ErrorItem.from_error(AuthFailed("b"))
    noncomp = ErrorItem.from_error(NonCompliant("c"))
    assert exit_code_for([]) == ExitCode.OK
    assert exit_code_for([noncomp]) == ExitCode.NON_COMPLIANT
    assert exit_code_for([noncomp, unreach]) == ExitCode.UNREACHABLE
    assert exit_code_for([unreach, auth, noncomp]) == ExitCode.AUTH_FAILED


def test_usage_error_exits_2(run):
    result = run("site", "init", "--school-code")
    assert result.exit_code == 2
    result = run("--lang", "fr", "site", "show")
    assert result.exit_code == 2


def test_help_does_not_import_zeep():
    code = (
        "import sys; from kitchencam import cli; "
        "assert 'zeep' not in sys.modules and 'pydantic' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
