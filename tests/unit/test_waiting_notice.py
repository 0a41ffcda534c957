"""check's progress names the camera it is still waiting for (issue 17: a camera that accepts the
connection and never answers gave 30 s of silence)."""

from __future__ import annotations

from kitchencam.cli.common import Waiting, host_port


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_camera_still_busy_after_a_few_seconds_is_named_with_its_wait() -> None:
    clock, said = Clock(), []
    targets = ["http://127.0.0.5:8080/onvif/device_service", "127.0.0.6", "127.0.0.7:81"]
    waiting = Waiting(targets, 2, said.append, after_s=5, every_s=10, clock=clock)
    clock.now += 1
    waiting.tick()
    assert said == []  # a quick camera is not worth a line
    waiting.finished("127.0.0.6")  # its worker takes the third camera now
    clock.now += 4
    waiting.tick()
    assert said == ["waiting for 127.0.0.5:8080 (5 s)"]
    clock.now += 1
    waiting.tick()
    assert said[1:] == ["waiting for 127.0.0.7:81 (5 s)"]  # began 1 s after the first
    clock.now += 9
    waiting.tick()
    assert said[2:] == ["waiting for 127.0.0.5:8080 (15 s)"]  # again every 10 s, while it is busy
    waiting.finished("http://127.0.0.5:8080/onvif/device_service")
    waiting.finished("127.0.0.7:81")
    clock.now += 30
    waiting.tick()
    assert len(said) == 3  # nothing waited for: silence again


def test_host_port() -> None:
    assert host_port("192.168.1.20") == "192.168.1.20:80"
    assert host_port("192.168.1.20:8000") == "192.168.1.20:8000"
    assert host_port("http://[fe80::1]:8899/onvif/device_service") == "[fe80::1]:8899"
    assert host_port("http://10.0.0.2/onvif/device_service") == "10.0.0.2:80"
