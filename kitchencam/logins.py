"""The login budget: at most 2 refused logins per camera per run, whatever logs in.

Real cameras lock an account after a few wrong passwords (Hikvision: 5, then 30 minutes;
QĐ 724/QĐ-BTTTT asks for a lock after 5 in 30 s), and a technician who mistyped the password
must not lock the school out of its own camera. So every path that sends a password to a
camera (ONVIF WS-UsernameToken and its HTTP digest fallback, the snapshot GET, RTSP DESCRIBE,
discovery's identity read, the vendors' HTTP APIs) asks this one process-wide object first:

- ``attempt(host, call)`` reserves one login before the request is sent; the caller then says
  ``ok()`` or ``refused()``. At most ``MAX_REFUSED`` logins per host are ever refused in the
  process (an attempt that would exceed it is not sent, not even in parallel threads).
- The first refused login stops that host: every later ``attempt`` raises ``AuthFailed`` naming
  the call that was refused, without sending anything. The only second attempt is one the
  caller asks for with ``stop=False``: the HTTP digest retry of a refused WS-Security token, or
  the one deliberate wrong-password probe of ``claim_probe`` (default-credentials).

Keyed by host (not port): HTTP, RTSP and ONVIF of one camera share its account lockout. The
object lives as long as the process, so ``discover`` then ``check`` in one process share it.
Thread-safe: ``check`` reads cameras in parallel. Holds no password.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kitchencam.errors import AuthFailed
from kitchencam.i18n import _
from kitchencam.models import LoginEvidence

#: Refused logins allowed per camera per run (Hikvision locks after 5).
MAX_REFUSED = 2
#: How long an attempt waits for another thread's attempt on the same host to finish.
WAIT_S = 30.0


def host_key(host: str) -> str:
    """One key per camera: lower case, no IPv6 brackets."""
    return host.strip().strip("[]").lower()


@dataclass
class _Host:
    refused: list[str] = field(default_factory=list)  # calls refused, in order
    stopped_at: str | None = None  # the refused call that stopped logins to this host
    in_flight: int = 0
    probed: bool = False
    probe_result: bool | None = None  # the wrong-password probe: True accepted, False refused
    accepted: bool = False  # the camera accepted the run's login on a call that needs one


class Attempt:
    """One login on its way: end it with ``ok()`` or ``refused()`` (or ``cancel()``)."""

    def __init__(self, budget: LoginBudget, host: str, call: str) -> None:
        self._budget = budget
        self.host = host
        self.call = call
        self.open = True

    def ok(self) -> None:
        self._budget._finish(self, refused=False, stop=False)

    def cancel(self) -> None:
        """No answer came (timeout, connection lost): the login was neither accepted nor refused."""
        self._budget._finish(self, refused=False, stop=False)

    def refused(self, *, stop: bool = True) -> None:
        self._budget._finish(self, refused=True, stop=stop)


class LoginBudget:
    def __init__(self, max_refused: int = MAX_REFUSED) -> None:
        self.max_refused = max_refused
        self._hosts: dict[str, _Host] = {}
        self._cond = threading.Condition()

    def _state(self, host: str) -> _Host:
        return self._hosts.setdefault(host_key(host), _Host())

    def attempt(self, host: str, call: str, *, target: str | None = None) -> Attempt:
        """Reserve one login to ``host`` for ``call``; AuthFailed (nothing sent) when none is left."""
        deadline = time.monotonic() + WAIT_S
        with self._cond:
            state = self._state(host)
            while state.stopped_at is None and len(state.refused) + state.in_flight >= self.max_refused:
                left = deadline - time.monotonic()
                if state.in_flight == 0 or left <= 0:
                    break
                self._cond.wait(left)
            if state.stopped_at is not None or len(state.refused) + state.in_flight >= self.max_refused:
                raise self._spent(host, state, target)
            state.in_flight += 1
            return Attempt(self, host_key(host), call)

    def _finish(self, attempt: Attempt, *, refused: bool, stop: bool) -> None:
        with self._cond:
            if not attempt.open:
                return
            attempt.open = False
            state = self._state(attempt.host)
            state.in_flight -= 1
            if refused:
                state.refused.append(attempt.call)
                if stop and state.stopped_at is None:
                    state.stopped_at = attempt.call
            self._cond.notify_all()

    def stop(self, host: str, call: str) -> None:
        """Stop logins to ``host`` (a refusal already counted, e.g. the WS-Security half of a retry)."""
        with self._cond:
            state = self._state(host)
            if state.stopped_at is None:
                state.stopped_at = call
            self._cond.notify_all()

    def claim_probe(self, host: str) -> bool:
        """True once per host, when one deliberate wrong-password login still fits the budget."""
        with self._cond:
            state = self._state(host)
            if state.probed or state.stopped_at is not None or \
                    len(state.refused) + state.in_flight >= self.max_refused:
                return False
            state.probed = True
            return True

    def probe_result(self, host: str) -> tuple[bool, bool | None]:
        """(probed already, its result) for ``host``: a second check in one run reuses the answer."""
        with self._cond:
            state = self._state(host)
            return state.probed, state.probe_result

    def record_probe(self, host: str, result: bool | None) -> None:
        with self._cond:
            self._state(host).probe_result = result

    def accepted(self, host: str) -> None:
        """``host`` accepted the run's login on a call that needs one (never the wrong-password probe)."""
        with self._cond:
            self._state(host).accepted = True

    def accepted_hosts(self) -> list[str]:
        """The cameras that accepted the run's login so far: a typed password worth keeping."""
        with self._cond:
            return [host for host, state in self._hosts.items() if state.accepted]

    def refused_calls(self, host: str) -> list[str]:
        with self._cond:
            return list(self._state(host).refused)

    def stopped_at(self, host: str) -> str | None:
        with self._cond:
            return self._state(host).stopped_at

    def reset(self, host: str | None = None) -> None:
        """Forget one host (or all): for tests and a long-lived process starting a new run."""
        with self._cond:
            if host is None:
                self._hosts.clear()
            else:
                self._hosts.pop(host_key(host), None)
            self._cond.notify_all()

    def _spent(self, host: str, state: _Host, target: str | None) -> AuthFailed:
        shown = target or host
        if state.stopped_at is not None:
            return AuthFailed(
                _("{target}: no login tried. The camera already refused the user name or password at "
                  "{call} in this run, and kitchencam sends no more passwords to it so that it does not "
                  "lock the account. Check the user name and password in the camera's web page, then "
                  "retry.").format(target=shown, call=state.stopped_at), target=shown)
        return AuthFailed(
            _("{target}: no login tried. {n} logins were already refused in this run ({calls}); kitchencam "
              "stops there so that the camera does not lock the account. Check the user name and password "
              "in the camera's web page, then retry.").format(
                target=shown, n=len(state.refused), calls=", ".join(state.refused) or "-"), target=shown)


#: The one budget of this process.
BUDGET = LoginBudget()


def refusal_hint(host: str, call: str) -> str:
    """What to add to an AuthFailed: which call was refused, and that kitchencam stopped there."""
    return _("Refused at {call}. kitchencam tries no other login on {host} in this run, so the camera "
             "does not lock the account.").format(call=call, host=host)


def login_evidence(camera: Any) -> LoginEvidence:
    """After a read of ``camera`` (an ``OnvifCamera``): was the login proven, and does a wrong one pass?

    Makes the one wrong-password probe (``OnvifCamera.probe_any_password``) when the login was
    proven and the budget has room; never any other password.
    """
    if not camera.authenticated:
        return LoginEvidence(proven=False, probe_note=_("no user name and password were given"))
    if not camera.login_proven:
        return LoginEvidence(proven=False, probe_note=_("the camera never accepted the login on a call that needs one"))
    result = camera.probe_any_password()
    note = None if result is not None else _(
        "no room left for it in this run's login budget, or the camera gave no clear answer")
    return LoginEvidence(proven=True, accepts_any_password=result, probe_note=note)
