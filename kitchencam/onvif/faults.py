"""The one classifier: requests/zeep exceptions -> the ``kitchencam.errors`` tree.

A wrong port, ONVIF switched off, a bad password, a skewed clock and an unsupported operation
each get their own class and a message that says what to do next. Every message names the
target ``host:port``. Cameras rarely use the proper fault codes for authentication, so the
fault text is checked too (as Home Assistant's onvif ``util.py`` does).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import requests
from lxml import etree
from zeep import exceptions as zeep_exc

from kitchencam.errors import (
    AuthFailed,
    BadReply,
    ClockSkew,
    DeviceFault,
    DeviceTimeout,
    InvalidArgument,
    KitchencamError,
    NotSupported,
    OnvifDisabled,
    Unreachable,
)
from kitchencam.i18n import _

# Beyond this, an authentication refusal is most likely the camera's clock, not the password
# (WS-Security replay windows are usually 5 minutes; some firmwares use less).
CLOCK_SKEW_LIMIT_S = 180.0

_AUTH_SUBCODES = {"NotAuthorized", "FailedAuthentication", "InvalidSecurityToken", "InvalidSecurity",
                  "FailedCheck", "SecurityTokenUnavailable", "MessageExpired"}
_NOT_SUPPORTED_SUBCODES = {"ActionNotSupported", "NoSuchService", "NotSupported", "NoImagingForSource",
                           "InvalidOperation"}
_INVALID_ARG_SUBCODES = {"InvalidArgVal", "InvalidArgs", "InvalidArgument", "ConfigModify",
                         "ConfigurationConflict", "NoProfile", "NoConfig", "NoSource", "NoToken",
                         "InvalidTimeZone", "InvalidDateTime", "InvalidHostname", "InvalidIPv4Address",
                         "InvalidDnsName", "UsernameClash", "PasswordTooLong", "UsernameTooLong",
                         "Password", "TooManyUsers", "AnonymousNotAllowed", "UsernameTooShort",
                         "UsernameMissing", "FixedUser", "SettingsInvalid", "InvalidStreamSetup"}
# Lower-case fragments of fault texts real cameras send instead of ter:NotAuthorized.
_AUTH_TEXTS = ("not authorized", "notauthorized", "unauthorized", "authority failure",
               "authentication failed", "authentication error", "failedauthentication",
               "invalid username", "wrong password", "access denied", "permission denied")
_NOT_SUPPORTED_TEXTS = ("not implemented", "not supported", "unsupported", "unknown method",
                        "method name or namespace not recognized", "no such service", "unknown action")


# --- what the transport raises about a reply it will not hand to the XML parser ------------------

class RefusedReply(Exception):
    """The transport refused a reply unread or unparsed: ``kind`` is "dtd" or "too-large"."""

    def __init__(self, kind: str, limit_bytes: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.limit_bytes = limit_bytes


class ReplyDeadline(requests.exceptions.ReadTimeout):
    """The whole reply (headers and body) did not arrive within the request's deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"reply not complete after {seconds:.1f} s")
        self.seconds = seconds


class ReplyUnreadable(Exception):
    """An exception raised while zeep read a device's reply (IndexError, OverflowError...).

    The client wraps only what happened after a reply arrived: it is the device's doing, never a
    bug of ours, so it becomes BadReply; the same exception before any reply still surfaces.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


@dataclass(frozen=True)
class CallContext:
    """What the classifier needs to know about the call that failed."""

    target: str  # host:port
    operation: str
    authenticated: bool = True
    clock_offset_s: float | None = None  # measured: camera UTC - our UTC
    applied_offset_s: float = 0.0  # what the WS-Security token's Created was shifted by
    device_service: bool = True  # the call went to the device management service
    digest_tried: bool = False  # HTTP digest fallback already happened


def _local(qname: object) -> str:
    """'ter:NotAuthorized' / QName('{ns}NotAuthorized') -> 'NotAuthorized'."""
    if isinstance(qname, etree.QName):
        return qname.localname
    text = str(qname or "")
    return text.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _prefixed(qname: object) -> str:
    """A readable subcode: 'ter:InvalidArgVal' for the ONVIF error namespace."""
    if isinstance(qname, etree.QName):
        if qname.namespace == "http://www.onvif.org/ver10/error":
            return f"ter:{qname.localname}"
        return qname.localname
    return str(qname)


def _is_soap(body: bytes | None) -> bool:
    return bool(body) and b"Envelope" in (body or b"")[:2000]


def _short(text: str) -> str:
    """The first line of a parser's message, without control characters, at most 120 characters."""
    first = text.splitlines()[0] if text else ""
    return "".join(c if c.isprintable() else "?" for c in first)[:120]


def _reason(exc: BaseException) -> str:
    """The innermost OS-level reason of a connection error, e.g. 'Connection refused'."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    last = str(exc)
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.strerror:
            last = cur.strerror
        cur = cur.__cause__ or cur.__context__ or (cur.args[0] if cur.args and isinstance(
            cur.args[0], BaseException) else None)
    return last


def auth_failed(ctx: CallContext) -> AuthFailed:
    """AuthFailed, or ClockSkew when the token's time was far from the camera's clock.

    The client shifts ``Created`` by the measured offset, so a camera whose clock is hours off
    still accepts a correct password: the clock is only to blame when the token was NOT shifted
    by (about) that offset. A far-off clock is still worth a note on a plain AuthFailed.
    """
    measured = ctx.clock_offset_s
    if measured is not None and abs(measured - ctx.applied_offset_s) > CLOCK_SKEW_LIMIT_S:
        return ClockSkew(
            _("{target} refused the login and its clock is {seconds} s off from this computer's. "
              "Set the camera's date and time (or point it at an NTP server) in its web page, "
              "then retry.").format(target=ctx.target, seconds=round(measured)),
            target=ctx.target)
    hint = None
    if measured is not None and abs(measured) > CLOCK_SKEW_LIMIT_S:
        hint = _("(Its clock is also {seconds} s off; kitchencam allowed for that, so the password is "
                 "the likelier cause.)").format(seconds=round(measured))
    return AuthFailed(
        _("{target} refused the user name or password. Check them in the camera's web page "
          "(Hikvision and Dahua keep ONVIF users apart from web users), then retry.").format(
            target=ctx.target),
        target=ctx.target, hint=hint)


def onvif_disabled(ctx: CallContext) -> OnvifDisabled:
    return OnvifDisabled(
        _("No ONVIF service at {target}. Hikvision cameras ship with ONVIF off: enable it under "
          "Network > Advanced > Integration Protocol (Dahua: Network > Access Platform > ONVIF), "
          "then retry.").format(target=ctx.target),
        target=ctx.target)


def not_supported(ctx: CallContext) -> NotSupported:
    return NotSupported(
        _("{target} does not support {operation}. Update the camera's firmware if this setting "
          "is needed, or set it in the camera's web page.").format(
            target=ctx.target, operation=ctx.operation),
        target=ctx.target)


def bad_reply(ctx: CallContext, detail: str) -> BadReply:
    return BadReply(
        _("{target} answered {operation} with something that is not valid ONVIF SOAP ({detail}). "
          "Check that the port is the camera's ONVIF/HTTP port; if it is, update the firmware or "
          "report this model with --debug output.").format(
            target=ctx.target, operation=ctx.operation, detail=detail[:200]),
        target=ctx.target, detail=detail[:200])


def hostile_markup(ctx: CallContext) -> BadReply:
    return BadReply(
        _("{target} answered {operation} with a DTD or entity declaration, which ONVIF never sends; "
          "kitchencam refused the reply without reading it. Check what answers at this address: "
          "the device may be compromised or may not be a camera.").format(
            target=ctx.target, operation=ctx.operation),
        target=ctx.target)


def too_large(ctx: CallContext, limit_bytes: int) -> BadReply:
    return BadReply(
        _("{target} answered {operation} with a reply too large (over {size} MiB); kitchencam refused it "
          "unread. Check that the address is the camera's ONVIF port; if it is, update the firmware or "
          "report this model with --debug output.").format(
            target=ctx.target, operation=ctx.operation, size=round(limit_bytes / 1048576, 1)),
        target=ctx.target)


def too_slow(ctx: CallContext, seconds: float) -> DeviceTimeout:
    return DeviceTimeout(
        _("{target} did not finish its answer to {operation} within {seconds} s, so kitchencam stopped "
          "waiting. The camera may be overloaded or faulty: reboot it, then retry.").format(
            target=ctx.target, operation=ctx.operation, seconds=round(seconds, 1)),
        target=ctx.target)


def _classify_fault(exc: zeep_exc.Fault, ctx: CallContext) -> KitchencamError:
    subcodes = list(exc.subcodes or [])
    names = {_local(s) for s in subcodes} | {_local(exc.code)}
    text = (exc.message or "").strip()
    lowered = text.lower()
    subcode = "/".join(_prefixed(s) for s in subcodes) or None
    # Proper subcodes first; a text like "Password too short" under ter:InvalidArgVal is no
    # login failure.
    if names & _AUTH_SUBCODES:
        return auth_failed(ctx)
    if names & _NOT_SUPPORTED_SUBCODES:
        return not_supported(ctx)
    if names & _INVALID_ARG_SUBCODES:
        return InvalidArgument(
            _("{target} refused a value in {operation}: {text} ({subcode}). Pick a value from the "
              "camera's options (kitchencam check shows them), then retry.").format(
                target=ctx.target, operation=ctx.operation, text=text or "-", subcode=subcode),
            subcode=subcode, target=ctx.target)
    if any(t in lowered for t in _AUTH_TEXTS):
        return auth_failed(ctx)
    if any(t in lowered for t in _NOT_SUPPORTED_TEXTS):
        return not_supported(ctx)
    return DeviceFault(
        _("{target} answered {operation} with a fault: {text} ({subcode}). Retry once; if it "
          "persists, reboot the camera or set this in its web page.").format(
            target=ctx.target, operation=ctx.operation, text=text or "-", subcode=subcode or "-"),
        subcode=subcode, target=ctx.target)


def _classify_http(status: int, body: bytes | None, ctx: CallContext) -> KitchencamError:
    soap = _is_soap(body)
    if status == 401:
        # GetSystemDateAndTime must be answered without credentials (ONVIF Core 5.9.1); an
        # HTML 401 there is the web server guarding a switched-off ONVIF handler.
        if not ctx.authenticated and ctx.device_service and not soap:
            return onvif_disabled(ctx)
        return auth_failed(ctx)
    if status == 403:
        return auth_failed(ctx)
    if status in (404, 405):
        return onvif_disabled(ctx) if ctx.device_service else not_supported(ctx)
    if status == 200 and soap:
        # zeep reports XML that does not parse as a TransportError with the status it came with.
        return bad_reply(ctx, "invalid XML")
    return bad_reply(ctx, f"HTTP {status}")


def classify(exc: BaseException, ctx: CallContext) -> KitchencamError:
    """Turn any exception raised by a zeep call into a ``KitchencamError`` for ``ctx.target``."""
    if isinstance(exc, KitchencamError):
        return exc
    if isinstance(exc, RefusedReply):
        return hostile_markup(ctx) if exc.kind == "dtd" else too_large(ctx, exc.limit_bytes)
    if isinstance(exc, (zeep_exc.DTDForbidden, zeep_exc.EntitiesForbidden, zeep_exc.ExternalReferenceForbidden)):
        return hostile_markup(ctx)
    if isinstance(exc, ReplyDeadline):
        return too_slow(ctx, exc.seconds)
    if isinstance(exc, ReplyUnreadable):
        return bad_reply(ctx, _short(str(exc)))
    if isinstance(exc, zeep_exc.Fault):
        return _classify_fault(exc, ctx)
    if isinstance(exc, zeep_exc.TransportError):
        return _classify_http(exc.status_code, exc.content, ctx)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Unreachable(
            _("No answer from {target}. Check the address and port, the cable and that the camera "
              "is powered on, then retry.").format(target=ctx.target), target=ctx.target)
    if isinstance(exc, (requests.exceptions.ReadTimeout, socket.timeout)):
        return DeviceTimeout(
            _("{target} accepted the connection but did not answer {operation} in time. The camera "
              "may be rebooting or busy: wait a minute and retry.").format(
                target=ctx.target, operation=ctx.operation), target=ctx.target)
    if isinstance(exc, requests.exceptions.ConnectionError):
        if isinstance(exc.__context__, requests.exceptions.ChunkedEncodingError) or "RemoteDisconnected" in \
                repr(exc):
            return DeviceTimeout(
                _("{target} closed the connection during {operation}. The camera may be rebooting: "
                  "wait a minute and retry.").format(target=ctx.target, operation=ctx.operation),
                target=ctx.target)
        return Unreachable(
            _("Cannot reach {target} ({reason}). Check the address and port, the cable and that "
              "the camera is powered on, then retry.").format(target=ctx.target, reason=_reason(exc)),
            target=ctx.target)
    if isinstance(exc, requests.exceptions.RequestException):
        return Unreachable(
            _("Cannot talk to {target} ({reason}). Check the address and port, then retry.").format(
                target=ctx.target, reason=_reason(exc)), target=ctx.target)
    if isinstance(exc, (zeep_exc.XMLSyntaxError, zeep_exc.XMLParseError, zeep_exc.UnexpectedElementError,
                        zeep_exc.ValidationError, etree.XMLSyntaxError, UnicodeDecodeError)):
        return bad_reply(ctx, _short(str(exc)) or type(exc).__name__)
    if isinstance(exc, zeep_exc.Error):
        # Any other zeep error (LookupError, NamespaceError, IncompleteMessage...) is about the
        # reply's content: the device sent something zeep could not map onto the WSDL.
        return bad_reply(ctx, _short(str(exc)) or type(exc).__name__)
    if isinstance(exc, OSError):
        return Unreachable(
            _("Cannot reach {target} ({reason}). Check the address and port, then retry.").format(
                target=ctx.target, reason=_reason(exc)), target=ctx.target)
    # Anything else is a bug in kitchencam, not a camera problem: let it surface.
    raise exc
