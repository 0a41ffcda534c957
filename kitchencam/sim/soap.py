"""SOAP 1.2 envelopes the way camera firmwares write them, and the request side parsing.

Replies declare the persona's namespaces on the Envelope (as real devices do) and use its
envelope prefix (``s:`` Dahua, ``env:`` Hikvision, ``SOAP-ENV:`` gSOAP). Faults follow ONVIF
Core 5.11: ``Code/Value`` env:Sender or env:Receiver, nested ``Subcode`` values in the ``ter:``
namespace, an English ``Reason``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from kitchencam.sim.personas import NS, EnvelopeStyle

NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_XML = "http://www.w3.org/XML/1998/namespace"

ALL_NS: dict[str, str] = {**NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance"}

CONTENT_TYPE = "application/soap+xml; charset=utf-8"

# Requests come from the network: no entities, no DTDs, no network, bounded trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def q(name: str) -> str:
    """``"tt:Width"`` -> ``"{http://www.onvif.org/ver10/schema}Width"``."""
    prefix, _, local = name.partition(":")
    return f"{{{ALL_NS[prefix]}}}{local}"


def sub(parent: etree._Element, name: str, text: object = None, attrs: dict[str, object] | None = None
        ) -> etree._Element:
    """Append ``<name attrs>text</name>`` to ``parent`` (booleans written as xsd:boolean)."""
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = fmt(text)
    for key, value in (attrs or {}).items():
        if value is not None:
            el.set(key, fmt(value))
    return el


def fmt(value: object) -> str:
    """xsd text of a Python value: true/false, ints without '.0', floats as short as possible."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


@dataclass
class SoapFault(Exception):
    """A SOAP fault to send back: ``code`` is "Sender" or "Receiver", ``subcodes`` are ter: names."""

    code: str
    subcodes: tuple[str, ...]
    reason: str
    detail: str | None = None
    http_status: int | None = None  # None: 400 for Sender, 500 for Receiver (SOAP 1.2 HTTP binding)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}/{'/'.join(self.subcodes)}: {self.reason}"

    @property
    def status(self) -> int:
        if self.http_status is not None:
            return self.http_status
        return 400 if self.code in ("Sender", "VersionMismatch", "MustUnderstand") else 500


def not_authorized() -> SoapFault:
    return SoapFault("Sender", ("ter:NotAuthorized",), "Sender not Authorized",
                     "The action requested requires authorization and the sender is not authorized")


def action_not_supported(op: str) -> SoapFault:
    return SoapFault("Receiver", ("ter:ActionNotSupported",), "Optional Action Not Implemented",
                     f"The requested action '{op}' is optional and is not implemented by the device.")


def invalid_arg(subcode: str, reason: str) -> SoapFault:
    return SoapFault("Sender", ("ter:InvalidArgVal", subcode), reason)


def action_failed(op: str) -> SoapFault:
    # The shape the Axis capture shows (onvif-nvt/axis/core/GetServices.Error.xml).
    return SoapFault("Receiver", ("ter:Action",), "Action failed", f"The requested SOAP action {op} failed")


class Envelope:
    """Writes reply envelopes in one persona's style."""

    def __init__(self, style: EnvelopeStyle) -> None:
        self.style = style
        self.nsmap: dict[str | None, str] = {style.prefix: NS_SOAP12}
        for prefix, uri in style.namespaces:
            self.nsmap.setdefault(prefix, uri)
        for prefix, uri in NS.items():  # every prefix we write must be declared
            if uri not in self.nsmap.values():
                self.nsmap[prefix] = uri
        self._env_prefix = style.prefix
        # The prefix the persona binds to each namespace we use in element content (QName text).
        self._prefix_of = {uri: p for p, uri in self.nsmap.items() if p is not None}

    def new(self) -> tuple[etree._Element, etree._Element]:
        """A fresh (Envelope, Body)."""
        env = etree.Element(f"{{{NS_SOAP12}}}Envelope", nsmap=self.nsmap)
        if self.style.empty_header:
            etree.SubElement(env, f"{{{NS_SOAP12}}}Header")
        body = etree.SubElement(env, f"{{{NS_SOAP12}}}Body")
        return env, body

    def serialize(self, env: etree._Element) -> bytes:
        return self.style.xml_declaration.encode() + etree.tostring(env, encoding="utf-8")

    def response(self, name: str) -> tuple[etree._Element, etree._Element]:
        """(Envelope, the ``name`` element inside Body), e.g. ``name="tds:GetNTPResponse"``."""
        env, body = self.new()
        return env, sub(body, name)

    def fault(self, fault: SoapFault) -> bytes:
        env, body = self.new()
        f = etree.SubElement(body, f"{{{NS_SOAP12}}}Fault")
        code = etree.SubElement(f, f"{{{NS_SOAP12}}}Code")
        etree.SubElement(code, f"{{{NS_SOAP12}}}Value").text = f"{self._env_prefix}:{fault.code}"
        parent = code
        for subcode in fault.subcodes:
            prefix, _, local = subcode.partition(":")
            written = f"{self._prefix_of.get(ALL_NS.get(prefix, ''), prefix)}:{local}"
            parent = etree.SubElement(parent, f"{{{NS_SOAP12}}}Subcode")
            etree.SubElement(parent, f"{{{NS_SOAP12}}}Value").text = written
        reason = etree.SubElement(f, f"{{{NS_SOAP12}}}Reason")
        text = etree.SubElement(reason, f"{{{NS_SOAP12}}}Text")
        text.set(f"{{{NS_XML}}}lang", "en")
        text.text = fault.reason
        if fault.detail:
            detail = etree.SubElement(f, f"{{{NS_SOAP12}}}Detail")
            etree.SubElement(detail, f"{{{NS_SOAP12}}}Text").text = fault.detail
        return self.serialize(env)


def break_xml(data: bytes) -> bytes:
    """A reply cut off in the middle of an element, as a firmware that overruns its buffer sends."""
    cut = max(len(data) * 2 // 3, 1)
    return data[:cut] + b"<tt:Broken attr=\"unterminated></"


@dataclass
class SoapRequest:
    envelope_ns: str
    header: etree._Element | None
    operation: etree._Element  # the first child of Body

    @property
    def namespace(self) -> str:
        return etree.QName(self.operation).namespace or ""

    @property
    def name(self) -> str:
        return etree.QName(self.operation).localname


def parse_request(data: bytes) -> SoapRequest:
    """The request's operation element; SoapFault (env:Sender ter:WellFormed etc.) if it is not SOAP."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Sender", ("ter:WellFormed",), "Well-formed Error", str(exc)) from exc
    qn = etree.QName(root)
    if qn.localname != "Envelope":
        raise SoapFault("Sender", ("ter:WellFormed",), "Well-formed Error", "root is not a SOAP Envelope")
    if qn.namespace == NS_SOAP11:
        raise SoapFault("VersionMismatch", (), "SOAP version mismatch: this device speaks SOAP 1.2")
    if qn.namespace != NS_SOAP12:
        raise SoapFault("VersionMismatch", (), "Unknown SOAP envelope namespace")
    header = root.find(f"{{{NS_SOAP12}}}Header")
    body = root.find(f"{{{NS_SOAP12}}}Body")
    children = [c for c in (body if body is not None else []) if isinstance(c.tag, str)]
    if not children:
        raise SoapFault("Sender", ("ter:WellFormed",), "Well-formed Error", "empty SOAP Body")
    return SoapRequest(qn.namespace, header, children[0])


# ---------------------------------------------------------------------------------------------
# Reading request parameters.

def child(el: etree._Element | None, name: str) -> etree._Element | None:
    """First child with local name ``name`` (any namespace: clients differ in prefixes, not names)."""
    if el is None:
        return None
    for c in el:
        if isinstance(c.tag, str) and etree.QName(c).localname == name:
            return c
    return None


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    if el is None:
        return []
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]


def text(el: etree._Element | None, name: str) -> str | None:
    c = child(el, name)
    if c is None or c.text is None:
        return None if c is None else ""
    return c.text.strip()


def path_text(el: etree._Element | None, names: Iterable[str]) -> str | None:
    cur = el
    for n in names:
        cur = child(cur, n)
        if cur is None:
            return None
    return (cur.text or "").strip() if cur is not None else None


def to_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise invalid_arg("ter:InvalidArgs", f"not an xsd:boolean: {value!r}")


def to_float(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise invalid_arg("ter:InvalidArgs", f"{what}: not a number: {value!r}") from None


def to_int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise invalid_arg("ter:InvalidArgs", f"{what}: not an integer: {value!r}") from None
