"""Pydantic models that cross module borders.

``Facts`` is everything ``onvif.read`` learned from one camera. It holds plain values only (no
zeep objects: those never leave ``kitchencam/onvif``), never a password, and every read that
failed is a ``ReadError`` entry instead of a silent gap, so ``audit`` can say UNKNOWN and why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kitchencam.errors import KitchencamError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorItem(BaseModel):
    """One failure, as scripts see it. ``code`` is the error class name (stable).

    It lives here, below every stage, so a stage can keep a camera's failure in its result
    without importing the renderer; errors.py stays free of pydantic for a fast ``--help``.
    """

    code: str
    message: str
    exit_code: int
    target: str | None = None
    hint: str | None = None

    @classmethod
    def from_error(cls, exc: KitchencamError) -> ErrorItem:
        return cls(
            code=exc.code,
            message=exc.message,
            exit_code=int(exc.exit_code),
            target=exc.target,
            hint=exc.hint,
        )


class ReadError(_Model):
    """One read that failed; the rest of the facts are still valid."""

    operation: str  # ONVIF operation, e.g. "GetImagingSettings"
    code: str  # KitchencamError class name, e.g. "NotSupported", "DeviceTimeout"
    message: str  # translated, says what to do next
    subcode: str | None = None  # ONVIF fault subcode, e.g. "ter:InvalidArgVal"


class DeviceInfo(_Model):
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""


class Scopes(_Model):
    raw: list[str] = Field(default_factory=list)
    name: str | None = None
    location: str | None = None
    hardware: str | None = None
    # "Streaming" (S), "T", "G", "M"... from onvif://www.onvif.org/Profile/<x>
    profiles: list[str] = Field(default_factory=list)


class ServiceInfo(_Model):
    xaddr: str
    version: str | None = None  # "Major.Minor", e.g. "2.60"


class NetworkInterface(_Model):
    token: str = ""
    name: str | None = None
    enabled: bool | None = None
    mac: str | None = None
    ipv4: list[str] = Field(default_factory=list)  # "192.168.1.64/24"
    dhcp: bool | None = None


class Hostname(_Model):
    name: str | None = None
    from_dhcp: bool | None = None


class Ntp(_Model):
    from_dhcp: bool | None = None
    servers: list[str] = Field(default_factory=list)  # manual servers, else the DHCP ones


class Dns(_Model):
    from_dhcp: bool | None = None
    search_domains: list[str] = Field(default_factory=list)
    servers: list[str] = Field(default_factory=list)


class DynamicDns(_Model):
    type: str | None = None  # NoUpdate, ClientUpdates, ServerUpdates
    name: str | None = None


class User(_Model):
    name: str
    level: str  # Administrator, Operator, User, Anonymous, Extended


class DeviceTime(_Model):
    utc: datetime | None = None  # the camera's UTC clock when we asked
    timezone: str | None = None  # POSIX TZ string as the camera reports it, e.g. "CST-7"
    dst: bool | None = None
    date_time_type: Literal["Manual", "NTP"] | None = None
    clock_offset_s: float | None = None  # camera UTC - our UTC


class VideoSourceConfig(_Model):
    token: str
    name: str | None = None
    source_token: str | None = None
    width: int | None = None  # Bounds
    height: int | None = None


class MediaProfile(_Model):
    token: str
    name: str | None = None
    fixed: bool | None = None
    video_source_config_token: str | None = None
    video_source_token: str | None = None
    encoder_token: str | None = None
    stream_uri: str | None = None
    snapshot_uri: str | None = None
    # Set when the camera named another host and kitchencam moved the URI onto the camera's own
    # address (kitchencam/uriscope.py): what the camera said, without user info.
    stream_uri_advertised: str | None = None
    snapshot_uri_advertised: str | None = None


class VideoEncoder(_Model):
    token: str
    name: str | None = None
    encoding: str | None = None  # "H264", "H265", "JPEG" (Media1 "MPEG4" too)
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: int | None = None
    gop: int | None = None
    quality: float | None = None
    profile: str | None = None  # "Main", "High", "Baseline"
    constant_bitrate: bool | None = None
    encoding_interval: int | None = None
    use_count: int | None = None


class Resolution(_Model):
    width: int
    height: int


class EncodingOptions(_Model):
    """What one encoder can do in one encoding."""

    encoding: str
    resolutions: list[Resolution] = Field(default_factory=list)
    fps_min: float | None = None
    fps_max: float | None = None
    fps_list: list[float] = Field(default_factory=list)  # Media2 FrameRatesSupported
    bitrate_min_kbps: int | None = None
    bitrate_max_kbps: int | None = None
    gov_min: int | None = None
    gov_max: int | None = None
    quality_min: float | None = None
    quality_max: float | None = None
    profiles: list[str] = Field(default_factory=list)
    constant_bitrate_supported: bool | None = None


class EncoderOptions(_Model):
    encoder_token: str | None = None
    profile_token: str | None = None
    options: list[EncodingOptions] = Field(default_factory=list)


class ImagingOptions(_Model):
    wdr_modes: list[str] = Field(default_factory=list)
    wdr_level_min: float | None = None
    wdr_level_max: float | None = None
    ir_cut_modes: list[str] = Field(default_factory=list)
    brightness_min: float | None = None
    brightness_max: float | None = None
    backlight_modes: list[str] = Field(default_factory=list)


class Imaging(_Model):
    video_source_token: str
    wdr_mode: str | None = None  # "ON" / "OFF"
    wdr_level: float | None = None
    ir_cut_filter: str | None = None  # "ON" / "OFF" / "AUTO"
    brightness: float | None = None
    contrast: float | None = None
    color_saturation: float | None = None
    sharpness: float | None = None
    backlight_mode: str | None = None
    options: ImagingOptions | None = None


class LoginEvidence(_Model):
    """What the camera showed about logins while it was read (kitchencam/logins.py). No password."""

    proven: bool  # it accepted the login on a call that needs one (not only PRE_AUTH calls)
    accepts_any_password: bool | None = None  # one random wrong password: True accepted, False refused
    probe_note: str | None = None  # why the wrong-password probe was not made or told nothing


class NetworkProtocol(_Model):
    """One protocol the camera serves (ONVIF GetNetworkProtocols): HTTP, HTTPS, RTSP."""

    name: str  # as the camera names it: "HTTP", "HTTPS", "RTSP"
    enabled: bool | None = None
    ports: list[int] = Field(default_factory=list)


class AnonymousProbe(_Model):
    """One request made without credentials at check time (kitchencam/exposure.py)."""

    what: Literal["rtsp", "snapshot"]
    uri: str | None = None  # without user info; None when the camera gave none
    outcome: Literal["refused", "served", "unclear", "error", "no-uri"]
    status: int | None = None  # the RTSP/HTTP status the camera answered
    note: str | None = None  # translated: why it could not tell, or what came back


class Facts(_Model):
    """Everything read from one camera in one pass."""

    target: str  # host:port we reached it at
    device_xaddr: str
    read_at: datetime  # our UTC clock
    auth: Literal["ws-usernametoken", "http-digest", "none"] = "ws-usernametoken"
    device_info: DeviceInfo | None = None
    scopes: Scopes | None = None
    services: dict[str, ServiceInfo] = Field(default_factory=dict)  # namespace -> service
    network_interfaces: list[NetworkInterface] = Field(default_factory=list)
    hostname: Hostname | None = None
    ntp: Ntp | None = None
    dns: Dns | None = None
    dynamic_dns: DynamicDns | None = None
    users: list[User] = Field(default_factory=list)
    time: DeviceTime | None = None
    media2: bool = False  # profiles/encoders below came from Media2 (else Media1)
    video_sources: list[VideoSourceConfig] = Field(default_factory=list)
    profiles: list[MediaProfile] = Field(default_factory=list)
    encoders: list[VideoEncoder] = Field(default_factory=list)
    encoder_options: list[EncoderOptions] = Field(default_factory=list)
    imaging: list[Imaging] = Field(default_factory=list)  # one per video source
    read_errors: list[ReadError] = Field(default_factory=list)
    login: LoginEvidence | None = None  # set by check/provision after the read
    #: GetNetworkProtocols (empty when it failed: see read_errors).
    network_protocols: list[NetworkProtocol] = Field(default_factory=list)
    #: One unauthenticated DESCRIBE and one unauthenticated GET, made by check (None: not probed).
    anonymous: list[AnonymousProbe] | None = None
    #: What the camera's own vendor API told (None: no API answered; see ``vendor_choice``).
    vendor: VendorFacts | None = None
    vendor_choice: VendorChoice | None = None

    def error_for(self, operation: str) -> ReadError | None:
        """The failure of ``operation``, if it failed (audit turns it into UNKNOWN)."""
        return next((e for e in self.read_errors if e.operation == operation), None)


# --- what a vendor's own HTTP API tells (issue 14; read by kitchencam/vendors) -------------

T = TypeVar("T")

VendorName = Literal["dahua", "hikvision"]
#: Outbound registrations a camera can make to a platform (it dials out; the platform never dials in).
RegistrationKind = Literal["auto-register", "isup", "hik-connect", "gb28181"]
#: The settings an adapter may plan and apply.
SettingName = Literal["smart_codec", "ddns", "p2p", "registration", "login_lock", "login_lock_attempts",
                      "login_lock_minutes"]
SettingValue = bool | int | str | None


class Told(_Model, Generic[T]):
    """One value and the API call that told it."""

    value: T
    call: str  # e.g. "Dahua HTTP API SmartEncode", "Hikvision ISAPI Streaming/channels/101"


class Ddns(_Model):
    enabled: bool | None = None
    provider: str | None = None  # as the API names it, e.g. "Dyndns DDNS", "HiDDNS"
    hostname: str | None = None


class CloudP2p(_Model):
    """The vendor's P2P/cloud service (Dahua P2P, Hikvision's EZVIZ/Hik-Connect cloud)."""

    name: str  # the vendor's word
    enabled: bool | None = None
    status: str | None = None  # as the API reports it, e.g. "online", "offline"


class Registration(_Model):
    """One outbound registration setting and, where the API says it, its current state."""

    kind: RegistrationKind
    enabled: bool | None = None
    server: str | None = None  # host or address the camera dials
    port: int | None = None
    device_id: str | None = None
    protocol_version: str | None = None  # ISUP's version, GB28181's SIP server id
    status: str | None = None  # as the API reports it, e.g. "online", "offline"
    # Never a key or password: ISUP's key is write-only on the camera and never leaves it.


class LoginLock(_Model):
    """What the camera does after wrong passwords."""

    enabled: bool | None = None
    max_attempts: int | None = None
    lock_minutes: float | None = None


class ExposedService(_Model):
    """A service the camera offers on the network (web, RTSP, SDK port, SSH, telnet, UPnP...)."""

    name: str
    enabled: bool | None = None
    port: int | None = None


class VendorFacts(_Model):
    """What one vendor API told about one camera. Every field optional: ``None`` is "not told",
    and a read that failed is in ``read_errors`` (its ``operation`` is the call)."""

    vendor: VendorName
    api: str  # "Dahua HTTP API", "Hikvision ISAPI"
    target: str
    read_at: datetime
    model: Told[str] | None = None
    firmware: Told[str] | None = None
    serial: Told[str] | None = None
    main_codec: Told[str] | None = None  # "H264", "H265" as the API says the main stream runs
    smart_codec: Told[bool] | None = None  # the "+" of H.265+ (Smart Codec, SmartEncode)
    ddns: Told[Ddns] | None = None
    p2p: Told[CloudP2p] | None = None
    registrations: list[Told[Registration]] = Field(default_factory=list)
    login_lock: Told[LoginLock] | None = None
    services: list[Told[ExposedService]] = Field(default_factory=list)
    read_errors: list[ReadError] = Field(default_factory=list)
    #: The settings this API can set (the adapter's set calls): a FAIL on one of them is one that
    #: ``kitchencam provision`` fixes.
    settable: list[SettingName] = Field(default_factory=list)

    def registration(self, kind: RegistrationKind) -> Told[Registration] | None:
        return next((r for r in self.registrations if r.value.kind == kind), None)

    def setting(self, name: SettingName, kind: RegistrationKind | None = None) -> SettingValue:
        """The current value of a plannable setting, in the form ``VendorChange`` carries."""
        told: Told[bool] | Told[Ddns] | Told[CloudP2p] | Told[Registration] | Told[LoginLock] | None
        if name == "smart_codec":
            told = self.smart_codec
            return told.value if told is not None else None
        if name == "ddns":
            told = self.ddns
        elif name == "p2p":
            told = self.p2p
        elif name == "login_lock":
            told = self.login_lock
        elif name in ("login_lock_attempts", "login_lock_minutes"):  # the lock's numbers (issue 16)
            lock = self.login_lock.value if self.login_lock is not None else None
            number = None if lock is None else lock.max_attempts if name == "login_lock_attempts" else lock.lock_minutes
            return None if number is None else round(number)
        else:
            told = self.registration(kind) if kind is not None else None
        return told.value.enabled if told is not None else None


class Probe(_Model):
    """One adapter's look at a camera's web port: does its API answer, and is it this vendor's?"""

    vendor: VendorName
    api: str
    answered: bool  # something answered the API's identifying call
    confirmed: bool  # the answer is this vendor's API (its realm, its reply form)
    call: str  # the identifying call, e.g. "Dahua HTTP API getSystemInfo"
    logins: int = 0  # logins it spent from the budget
    model: str | None = None  # what the API says the camera is, when it said
    error: ReadError | None = None  # why it did not answer or could not tell


class VendorChoice(_Model):
    """Which vendor API a camera answered, with every probe made (kitchencam/vendors/registry.py)."""

    vendor: VendorName | None = None
    api: str | None = None
    how: Literal["manufacturer", "model", "api"] | None = None  # what named it
    probes: list[Probe] = Field(default_factory=list)
    errors: list[ReadError] = Field(default_factory=list)  # probes that raised, by adapter
    note: str | None = None  # translated, when no API was chosen


Facts.model_rebuild()


# --- audit (issue 4): verdicts, attestations and the facts about the site ---------------------

VerdictStatus = Literal["PASS", "FAIL", "WARN", "MANUAL", "UNKNOWN"]
Evidence = Literal["device", "catalogue", "technician", "site", "none"]
RuleKind = Literal["device", "catalogue", "manual", "site"]
Severity = Literal["required", "advisory"]


class Attestation(_Model):
    """A technician's answer to one rule, recorded with who said it and when."""

    rule: str  # rule id in the profile, e.g. "power", "lens"
    answer: bool  # yes / no
    by: str  # the technician's name as they gave it
    at: datetime  # when it was attested (timezone-aware)
    note: str | None = None
    origin: Literal["file", "command-line"] = "command-line"


class SiteFacts(_Model):
    """What later stages (bandwidth, centre, install record) learned about the site.

    Every field is optional: a rule whose facts are missing is UNKNOWN (or MANUAL), not FAIL.
    """

    upload_kbps: float | None = None  # sustained upload measured to the centre's test endpoint
    upload_measured_at: datetime | None = None
    cameras_on_uplink: int | None = None  # how many cameras share that uplink (default: 1)
    poe_seen: bool | None = None  # PoE power seen on the switch port
    registered: bool | None = None  # the centre confirmed the camera's registration
    registered_at: datetime | None = None
    centre_device_id: str | None = None
    installed_on: date | None = None  # install date, compared with the profile's deadline
    # The camera's dial-out to the centre (issue 15), as register / register --status last saw it.
    connection_method: str | None = None  # centre.connection.method; None or "none": record only
    connection_device_id: str | None = None
    connection_configured: bool | None = None  # the camera's read-back matched what was written
    online: bool | None = None  # the centre's word; None: never asked, or it could not say
    online_checked_at: datetime | None = None
    online_confirmed_at: datetime | None = None  # last time the centre said online
    connection_via: str | None = None
    connection_diagnosis: list[str] = Field(default_factory=list)


class PasswordQuality(_Model):
    """What a password is made of (never the password): its length and character classes."""

    length: int
    upper: bool
    lower: bool
    digit: bool
    special: bool

    @classmethod
    def of(cls, password: str) -> PasswordQuality:
        return cls(length=len(password), upper=any(c.isupper() for c in password),
                   lower=any(c.islower() for c in password), digit=any(c.isdigit() for c in password),
                   special=any(not c.isalnum() for c in password))

    def classes(self) -> list[str]:
        return [name for name in ("upper", "lower", "digit", "special") if getattr(self, name)]


class CredentialFacts(_Model):
    """Whether the login that read the camera is a vendor default. Never holds the password."""

    user: str
    vendor_default: bool
    matched: str | None = None  # which known default matched, e.g. "admin / admin (Dahua before 2017)"
    #: The camera accepted this login on a call that needs one (not only anonymous calls).
    login_proven: bool = True
    #: One deliberately wrong, random password: True accepted (FAIL), False refused, None not tried.
    accepts_any_password: bool | None = None
    probe_note: str | None = None  # why the probe was not made or could not tell
    #: What the password of this login is made of (never the password itself).
    password_quality: PasswordQuality | None = None
    #: The centre account kitchencam made on the camera, and what its keyring password is made of.
    centre_user: str | None = None
    centre_password_quality: PasswordQuality | None = None


class Verdict(_Model):
    """One rule judged for one camera, with the evidence behind it."""

    rule: str  # stable rule id (docs/reference/rules.md)
    title: str  # English title from the profile
    title_vi: str = ""
    kind: RuleKind = "device"
    severity: Severity = "required"
    status: VerdictStatus
    seen: str | None = None  # what the evidence says, e.g. "H264 1920x1080 25 fps 4096 kbit/s"
    required: str | None = None  # what the profile asks for
    evidence: Evidence = "none"
    source: str | None = None  # e.g. "ONVIF Media2 GetVideoEncoderConfigurationOptions", a datasheet
    detail: str = ""  # translated: why, and for FAIL what to do
    fixable_by_provision: bool = False  # `kitchencam provision` can turn this FAIL into PASS
    attested_by: str | None = None
    attested_at: datetime | None = None
