"""One exit-code enum and one error tree: the boundary where failures become messages.

Every expected failure is a ``KitchencamError`` subclass carrying the exit code it maps to and
a message that tells the technician what to do next. ``kitchencam/cli/`` is the only place that turns
them into output and an exit status; ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status, documented in docs/reference/exit-codes.md."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NON_COMPLIANT = 3
    UNREACHABLE = 4
    AUTH_FAILED = 5


class KitchencamError(Exception):
    """Base of every expected failure. ``message`` is already translated."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, target: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.hint = hint

    @property
    def code(self) -> str:
        """Stable machine-readable name for the JSON envelope (the class name)."""
        return type(self).__name__

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class UsageError(KitchencamError):
    """The command line itself is wrong (bad option value, missing target)."""

    exit_code = ExitCode.USAGE


class ConfigError(KitchencamError):
    """A site config, profile or settings file is missing or invalid."""


class StoreError(KitchencamError):
    """The local SQLite store is corrupt, locked or from a newer version."""


class CredentialError(KitchencamError):
    """No credentials could be found or saved."""


class NonCompliant(KitchencamError):
    """A check found at least one rule failing."""

    exit_code = ExitCode.NON_COMPLIANT


class DeviceError(KitchencamError):
    """Something went wrong talking to a device."""


class Unreachable(DeviceError):
    """No answer: wrong address or port, cable, firewall, device rebooting."""

    exit_code = ExitCode.UNREACHABLE


class DeviceTimeout(Unreachable):
    """The device accepted the connection but did not answer in time."""


class OnvifDisabled(Unreachable):
    """HTTP answers, but the ONVIF service is off or absent."""


class NotACamera(OnvifDisabled):
    """Something answers HTTP at the address (a web server, a printer's page), but no ONVIF device."""


class AuthFailed(DeviceError):
    """The device refused the user name or password."""

    exit_code = ExitCode.AUTH_FAILED


class ClockSkew(AuthFailed):
    """The device refused the token because its clock is too far from ours."""


class NotSupported(DeviceError):
    """The device does not implement the operation (ActionNotSupported, 404 service)."""


class DeviceFault(DeviceError):
    """The device answered with a SOAP fault that is none of the above."""

    def __init__(self, message: str, *, subcode: str | None = None, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.subcode = subcode


class InvalidArgument(DeviceFault):
    """The device refused a value (ter:InvalidArgVal and friends)."""


class BadReply(DeviceError):
    """The device answered with something that is not valid SOAP/XML."""

    def __init__(self, message: str, *, detail: str | None = None, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.detail = detail  # what was wrong, in a few words ("HTTP 501"), for messages that wrap it


class CentreUnreachable(Unreachable):
    """The district centre did not answer, or answered 5xx: what was queued stays queued."""


class CentreAuthFailed(AuthFailed):
    """The district centre refused the bearer token."""


class CentreRejected(KitchencamError):
    """The district centre refused a record (4xx): fix what it names, then register again."""
