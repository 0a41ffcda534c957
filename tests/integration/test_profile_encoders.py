"""Encoder configurations carried inside GetProfiles: used when GetVideoEncoderConfigurations
fails, merged by token when both answer (the dedicated call wins).

Media1 through the replay camera (real captures, tests/replay.py); Media2 ``Type=All``
through the simulator, whose GetVideoEncoderConfigurations is made to fail.
"""

from __future__ import annotations

from datetime import datetime, timezone

from lxml import etree

from kitchencam.models import Facts
from kitchencam.onvif.client import OnvifCamera, Timeouts
from kitchencam.onvif.read import read_facts
from kitchencam.profile import load_catalogue, load_profile
from kitchencam.rules.engine import audit
from tests.integration.conftest import Sim
from tests.replay import CAPTURES, NS, Reply, Route, replay_camera

NVT = "onvif-nvt/"
KOTLIN = "ONVIF-Camera-Kotlin/onvifcamera/src/commonTest/resources/"
FAST = Timeouts(connect=1.0, read=3.0)
TT = "{http://www.onvif.org/ver10/schema}"
HIK_PROFILES = NVT + "hikvision/media/GetProfiles.Response.xml"


def media1_services() -> Reply:
    items = "".join(
        f"<tds:Service><tds:Namespace>{NS[p]}</tds:Namespace><tds:XAddr>http://0.0.0.0/onvif/{p}</tds:XAddr>"
        f"<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
        for p in ("tds", "trt"))
    return Reply.envelope(f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>")


def read_replayed(routes: dict[str, Route]) -> tuple[Facts, list[str]]:
    with replay_camera(routes) as cam, OnvifCamera(cam.target, user="u", password="p", timeouts=FAST) as camera:
        facts = read_facts(camera)
        return facts, [r.operation for r in cam.requests]


def hikvision_first_encoder_at(width: int, height: int) -> Reply:
    """trt:GetVideoEncoderConfigurations with only the PTZ's first configuration (from its own
    GetProfiles capture), its resolution changed so that the test can tell who won."""
    doc = etree.parse(str(CAPTURES / HIK_PROFILES))
    config = next(doc.iter(f"{TT}VideoEncoderConfiguration"))
    config.find(f"{TT}Resolution/{TT}Width").text = str(width)  # type: ignore[union-attr]
    config.find(f"{TT}Resolution/{TT}Height").text = str(height)  # type: ignore[union-attr]
    config.tag = f"{{{NS['trt']}}}Configurations"
    body = etree.Element(f"{{{NS['trt']}}}GetVideoEncoderConfigurationsResponse", nsmap={"trt": NS["trt"]})
    body.append(config)
    return Reply.envelope(etree.tostring(body).decode())


def test_media1_encoders_come_from_the_profiles_when_the_call_fails() -> None:
    facts, requests = read_replayed({"tds:GetServices": media1_services(),
                                     "trt:GetProfiles": Reply.capture(HIK_PROFILES)})
    assert facts.error_for("trt:GetVideoEncoderConfigurations") is not None  # the failure is still told
    assert [(e.token, e.encoding, e.width, e.height) for e in facts.encoders] == [
        ("VideoEncoderToken_1", "H264", 1280, 720), ("VideoEncoderToken_2", "H264", 704, 480),
        ("VideoEncoderToken_3", "H264", 704, 480)]
    # and their options are asked for by those tokens
    assert "trt:GetVideoEncoderConfigurationOptions" in requests


def test_media1_dedicated_answer_wins_by_token_and_profiles_fill_the_rest() -> None:
    facts, _requests = read_replayed({"tds:GetServices": media1_services(),
                                      "trt:GetProfiles": Reply.capture(HIK_PROFILES),
                                      "trt:GetVideoEncoderConfigurations": hikvision_first_encoder_at(1920, 1080)})
    assert facts.error_for("trt:GetVideoEncoderConfigurations") is None
    assert [(e.token, e.width, e.height) for e in facts.encoders] == [
        ("VideoEncoderToken_1", 1920, 1080),  # the dedicated call, not the profile's 1280x720
        ("VideoEncoderToken_2", 704, 480), ("VideoEncoderToken_3", 704, 480)]


def test_media1_incomplete_profile_encoder_is_not_taken() -> None:
    # The Lorex's first profile names VideoEncoder000 by token and name only: it says nothing.
    facts, _requests = read_replayed({"tds:GetServices": media1_services(),
                                      "trt:GetProfiles": Reply.capture(KOTLIN + "lorex.xml")})
    assert [p.encoder_token for p in facts.profiles] == ["VideoEncoder000", "VideoEncoder001"]
    assert [(e.token, e.encoding, e.width, e.height, e.fps, e.bitrate_kbps) for e in facts.encoders] == [
        ("VideoEncoder001", "H264", 704, 480, 30.0, 1024)]


def test_media2_profiles_of_type_all_carry_the_encoders(sim: Sim) -> None:
    clean = read_facts(sim.client(sim.camera("dahua-wizsense2")))
    cam = sim.camera("dahua-wizsense2", faults=["fault-on=GetVideoEncoderConfigurations"])
    facts = read_facts(sim.client(cam))
    assert facts.media2 is True
    assert [(e.operation, e.subcode) for e in facts.read_errors] == [
        ("tr2:GetVideoEncoderConfigurations", "ter:Action")]
    assert facts.encoders == clean.encoders  # the same configurations, from tr2:GetProfiles
    assert len(facts.encoder_options) == len(clean.encoder_options)
    verdicts = {v.rule: v for v in audit(facts, load_profile("thanhtri-2024"), load_catalogue(), [],
                                         now=datetime.now(timezone.utc))}
    main = verdicts["main-stream"]
    assert (main.status, main.fixable_by_provision) == ("FAIL", True)  # the factory persona runs H.264
    assert main.source == "ONVIF Media2 GetProfiles"
    codec = verdicts["codec"]
    assert (codec.status, codec.evidence) == ("FAIL", "device")
    assert codec.source == "ONVIF Media2 GetVideoEncoderConfigurationOptions, ONVIF Media2 GetProfiles"
