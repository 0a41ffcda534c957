"""Which cameras `register` holds back, and what it tells the technician to do: provisioning only
when provisioning can fix every failing rule."""

from __future__ import annotations

from datetime import datetime, timezone

from kitchencam.centre import eligibility
from kitchencam.inspection import DeviceCheck
from kitchencam.models import Verdict


def camera(*fails: tuple[str, bool]) -> DeviceCheck:
    verdicts = [Verdict(rule=rule, title=rule, status="FAIL", fixable_by_provision=fixable) for rule, fixable in fails]
    verdicts.append(Verdict(rule="power", title="power", status="PASS"))
    return DeviceCheck(target="127.0.0.2:80", serial="SN1", overall="FAIL" if fails else "PASS", verdicts=verdicts,
                       checked_at=datetime.now(timezone.utc))


def test_only_fixable_failures_send_the_technician_to_provision() -> None:
    told = eligibility(camera(("codec", True), ("ntp", True)), has_password=True, force=False)
    assert not told.ok
    assert told.reason == "Fails codec, ntp: run kitchencam provision, or add --force to send it anyway."


def test_failures_provision_cannot_fix_say_so_instead_of_sending_the_technician_to_provision() -> None:
    told = eligibility(camera(("resolution", False), ("ip67", False)), has_password=True, force=False)
    assert not told.ok
    assert told.reason is not None
    assert "cannot fix" in told.reason
    assert "run kitchencam provision" not in told.reason
    assert "resolution, ip67" in told.reason


def test_mixed_failures_name_which_provision_fixes() -> None:
    told = eligibility(camera(("codec", True), ("lens", False)), has_password=True, force=False)
    assert told.reason is not None
    assert "codec (kitchencam provision fixes these)" in told.reason
    assert "lens (provision cannot fix these" in told.reason


def test_force_sends_a_failing_camera_and_a_passing_one_needs_its_centre_account() -> None:
    assert eligibility(camera(("resolution", False)), has_password=True, force=True).ok
    assert eligibility(camera(), has_password=True, force=False).ok
    assert not eligibility(camera(), has_password=False, force=False).ok
