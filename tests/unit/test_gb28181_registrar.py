"""The simulated centre's GB28181 registrar, driven with raw UDP datagrams on loopback.

The datagrams are written out by hand here (not with the module's own serializer) so a mistake in
the module's SIP forms shows up as a failing test, and hostile datagrams can be anything.
"""

from __future__ import annotations

import hashlib
import re
import socket
import time
from collections.abc import Iterator

import pytest

from kitchencam.sim.gb28181 import MAX_DATAGRAM, Gb28181Registrar, parse_digest

IP = "127.0.93.1"
DOMAIN = "3402000000"
SERVER_ID = "34020000002000000001"
DEVICE = "34020000001320000001"
PASSWORD = "domain-secret-1"


@pytest.fixture
def registrar() -> Iterator[Gb28181Registrar]:
    reg = Gb28181Registrar(IP, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD, keepalive_interval=60)
    reg.start()
    yield reg
    reg.stop()


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.93.2", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


def request(method: str, *, device: str = DEVICE, cseq: int = 1, extra: str = "", body: bytes = b"",
            call_id: str = "call-1", from_user: str | None = None) -> bytes:
    head = (f"{method} sip:{SERVER_ID}@{DOMAIN} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.93.2:5060;rport;branch=z9hG4bK{cseq}abc\r\n"
            f"From: <sip:{from_user or device}@{DOMAIN}>;tag=t1\r\n"
            f"To: <sip:{device if method == 'REGISTER' else SERVER_ID}@{DOMAIN}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def exchange(sock: socket.socket, reg: Gb28181Registrar, data: bytes) -> str:
    sock.sendto(data, (IP, reg.port))
    return sock.recv(65536).decode()


def no_answer(sock: socket.socket, reg: Gb28181Registrar, data: bytes) -> bool:
    sock.sendto(data, (IP, reg.port))
    sock.settimeout(0.3)
    try:
        sock.recv(65536)
    except TimeoutError:
        return True
    finally:
        sock.settimeout(2.0)
    return False


def status(reply: str) -> int:
    return int(reply.split(" ", 2)[1])


def header(reply: str, name: str) -> str | None:
    for line in reply.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def answer(challenge: str, password: str, username: str = DEVICE) -> str:
    params = parse_digest(challenge)
    assert params is not None
    uri = f"sip:{SERVER_ID}@{DOMAIN}"
    ha1 = hashlib.md5(f"{username}:{params['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{params['nonce']}:{ha2}".encode()).hexdigest()
    return (f'Authorization: Digest username="{username}", realm="{params["realm"]}", '
            f'nonce="{params["nonce"]}", uri="{uri}", response="{response}", algorithm=MD5\r\n')


def register(sock: socket.socket, reg: Gb28181Registrar, password: str = PASSWORD, expires: int = 3600,
             device: str = DEVICE) -> str:
    contact = f"Contact: <sip:{device}@127.0.93.2:5060>\r\nExpires: {expires}\r\n"
    first = exchange(sock, reg, request("REGISTER", device=device, extra=contact))
    assert status(first) == 401, first
    challenge = header(first, "WWW-Authenticate") or ""
    return exchange(sock, reg, request("REGISTER", device=device, cseq=2,
                                       extra=contact + answer(challenge, password, device)))


def keepalive(sn: int = 1, device: str = DEVICE, body_device: str | None = None) -> bytes:
    body = (f'<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n'
            f"<SN>{sn}</SN>\r\n<DeviceID>{body_device or device}</DeviceID>\r\n<Status>OK</Status>\r\n"
            "</Notify>\r\n").encode()
    return request("MESSAGE", device=device, cseq=20 + sn, call_id=f"ka-{sn}",
                   extra="Content-Type: Application/MANSCDP+xml\r\n", body=body)


def test_register_is_challenged_then_accepted_with_expires_and_date(registrar, udp) -> None:
    first = exchange(udp, registrar, request("REGISTER", extra="Expires: 3600\r\n"))
    assert status(first) == 401
    challenge = header(first, "WWW-Authenticate") or ""
    assert re.fullmatch(rf'Digest realm="{DOMAIN}", nonce="[0-9a-f]+", algorithm=MD5', challenge)
    # RFC 3581: the top Via says where the request came from.
    assert f"rport={udp.getsockname()[1]}" in (header(first, "Via") or "")
    assert registrar.connection(DEVICE) is None

    ok = register(udp, registrar, expires=1800)
    assert status(ok) == 200, ok
    assert header(ok, "Expires") == "1800"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", header(ok, "Date") or "")  # GB/T 28181 §9.10
    assert (header(ok, "Contact") or "").endswith(";expires=1800")
    conn = registrar.connection(DEVICE)
    assert conn is not None
    assert conn.registered
    assert conn.source.startswith("127.0.93.2:")
    assert conn.expires_at is not None
    assert 1790 < conn.expires_at - time.time() <= 1800
    assert registrar.is_online(DEVICE)


def test_wrong_password_and_foreign_device_are_forbidden(registrar, udp) -> None:
    assert status(register(udp, registrar, password="not-it")) == 403
    assert registrar.connection(DEVICE) is None
    # A 20-digit ID under another domain is refused before any challenge.
    foreign = "44010000001320000001"
    assert status(exchange(udp, registrar, request("REGISTER", device=foreign))) == 403
    assert status(exchange(udp, registrar, request("REGISTER", device="1234"))) == 403
    assert registrar.stats.refused == 3


def test_expires_zero_unregisters(registrar, udp) -> None:
    assert status(register(udp, registrar)) == 200
    assert registrar.is_online(DEVICE)
    assert status(register(udp, registrar, expires=0)) == 200
    conn = registrar.connection(DEVICE)
    assert conn is not None
    assert not conn.registered
    assert not registrar.is_online(DEVICE)
    # No keepalive once unregistered.
    assert status(exchange(udp, registrar, keepalive())) == 403


def test_stale_nonce_is_challenged_again(registrar, udp) -> None:
    old = registrar._nonce(time.time() - 3600)
    challenge = f'Digest realm="{DOMAIN}", nonce="{old}", algorithm=MD5'
    reply = exchange(udp, registrar, request("REGISTER", extra=answer(challenge, PASSWORD)))
    assert status(reply) == 401
    assert "stale=true" in (header(reply, "WWW-Authenticate") or "")
    forged = challenge.replace(old, "0" * len(old))
    assert status(exchange(udp, registrar, request("REGISTER", extra=answer(forged, PASSWORD)))) == 401


def test_keepalive_only_from_a_registered_device(registrar, udp) -> None:
    assert status(exchange(udp, registrar, keepalive())) == 403
    assert status(register(udp, registrar)) == 200
    before = registrar.connection(DEVICE)
    assert before is not None
    assert before.last_keepalive is None
    reply = exchange(udp, registrar, keepalive(sn=7))
    assert status(reply) == 200
    after = registrar.connection(DEVICE)
    assert after is not None
    assert after.last_keepalive is not None
    assert after.keepalive_status == "OK"
    assert after.keepalives == 1
    # The body must speak for the device that sends it.
    assert status(exchange(udp, registrar, keepalive(sn=8, body_device="34020000001320000009"))) == 400
    # Another registered-looking ID that never registered: 403.
    assert status(exchange(udp, registrar, keepalive(sn=9, device="34020000001320000002"))) == 403


def test_offline_after_missed_keepalives(udp) -> None:
    reg = Gb28181Registrar(IP, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD,
                           keepalive_interval=0.1, keepalive_misses=2)
    with reg:
        assert status(register(udp, reg)) == 200
        assert reg.is_online(DEVICE)
        conn = reg.connection(DEVICE)
        assert conn is not None
        assert conn.last_seen is not None
        assert not reg.is_online(DEVICE, now=conn.last_seen + 0.3)


ENTITY_BODY = (b'<?xml version="1.0"?>\r\n<!DOCTYPE Notify [<!ENTITY x "Keepalive">]>\r\n'
               b"<Notify><CmdType>&x;</CmdType><SN>1</SN><DeviceID>" + DEVICE.encode() +
               b"</DeviceID><Status>OK</Status></Notify>")

HOSTILE = {
    "garbage": b"\x00\xff" * 50,
    "empty": b"",
    "no blank line": b"REGISTER sip:a@b SIP/2.0\r\nVia: x\r\n",
    "not utf-8": b"REGISTER sip:a@b SIP/2.0\r\nFrom: \xff\xfe\r\n\r\n",
    "missing headers": b"REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\nContent-Length: 0\r\n\r\n",
    "bad cseq": request("REGISTER").replace(b"CSeq: 1 REGISTER", b"CSeq: one REGISTER"),
    "cseq of another method": request("REGISTER").replace(b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE"),
    "content-length past the body": request("REGISTER").replace(b"Content-Length: 0", b"Content-Length: 500"),
    "bare LF": request("REGISTER").replace(b"\r\n", b"\n"),
    "header without colon": request("REGISTER").replace(b"Max-Forwards: 70", b"Max-Forwards 70"),
    "too many headers": request("REGISTER", extra="X-A: 1\r\n" * 100),
    "too large": request("REGISTER", extra="X-Pad: " + "a" * MAX_DATAGRAM + "\r\n"),
    "a response": b"SIP/2.0 200 OK\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\n\r\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_datagrams_get_no_answer_and_leave_the_registrar_alive(registrar, udp, name) -> None:
    assert no_answer(udp, registrar, HOSTILE[name])
    # Still serving, and no device appeared.
    assert status(register(udp, registrar)) == 200
    assert list(registrar.connections()) == [DEVICE]


@pytest.mark.parametrize("body", [
    ENTITY_BODY,
    b'<?xml version="1.0"?><!DOCTYPE Notify SYSTEM "http://127.0.0.1:1/x.dtd"><Notify/>',
    b"<Notify><CmdType>Keepalive</CmdType>",  # cut short
    b"not xml at all",
    b"",
])
def test_hostile_manscdp_bodies_are_refused(registrar, udp, body) -> None:
    assert status(register(udp, registrar)) == 200
    message = request("MESSAGE", cseq=30, call_id="evil", extra="Content-Type: Application/MANSCDP+xml\r\n",
                      body=body)
    assert status(exchange(udp, registrar, message)) == 400
    conn = registrar.connection(DEVICE)
    assert conn is not None
    assert conn.last_keepalive is None
    assert status(exchange(udp, registrar, keepalive())) == 200


def test_other_answers(registrar, udp) -> None:
    assert status(exchange(udp, registrar, request("OPTIONS"))) == 200
    assert status(exchange(udp, registrar, request("INVITE"))) == 405
    assert no_answer(udp, registrar, request("ACK"))
    assert status(exchange(udp, registrar, request("REGISTER", extra="Expires: soon\r\n"))) == 400
    assert status(register(udp, registrar)) == 200
    text = request("MESSAGE", cseq=40, extra="Content-Type: text/plain\r\n", body=b"hello")
    assert status(exchange(udp, registrar, text)) == 415


def test_stop_ends_the_thread_and_frees_the_port() -> None:
    reg = Gb28181Registrar(IP, server_id=SERVER_ID, domain=DOMAIN, password=PASSWORD)
    reg.start()
    port = reg.port
    thread = reg._thread
    reg.stop()
    assert thread is not None
    assert not thread.is_alive()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind((IP, port))


def test_constructor_checks_ids() -> None:
    with pytest.raises(ValueError, match="10 digits"):
        Gb28181Registrar(IP, server_id=SERVER_ID, domain="34020", password=PASSWORD)
    with pytest.raises(ValueError, match="starting with its domain"):
        Gb28181Registrar(IP, server_id="44010000002000000001", domain=DOMAIN, password=PASSWORD)
