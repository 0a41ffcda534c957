"""Write snapshot.jpg: a small valid baseline JPEG, with no imaging library.

Run ``python kitchencam/sim/assets/make_snapshot.py`` to regenerate it. The picture is 320x240
grayscale made of flat 8x8 blocks (a grey gradient with a dark "counter" and a light "window"),
so every block is DC-only: quantisation table all 1, the standard luminance DC Huffman table
(ITU T.81 Annex K.3) and a one-symbol AC table (EOB). Any JPEG decoder reads it.
"""

from __future__ import annotations

import struct
from pathlib import Path

WIDTH, HEIGHT = 320, 240
DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
DC_VALS = tuple(range(12))
AC_BITS = (1,) + (0,) * 15
AC_VALS = (0x00,)  # EOB only


def _codes(bits: tuple[int, ...], vals: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    """Canonical Huffman codes: symbol -> (code, length)."""
    out: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            out[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def block_value(bx: int, by: int) -> int:
    """Grey level of block (bx, by): a gradient, a window and a counter."""
    v = 90 + bx * 3 + by * 2
    if 4 <= bx <= 14 and 3 <= by <= 11:
        v = 220  # window
    if by >= 22:
        v = 40  # counter
    if 24 <= bx <= 33 and 15 <= by <= 21:
        v = 150  # a pot on the counter
    return max(0, min(255, v))


def encode() -> bytes:
    dc_codes, ac_codes = _codes(DC_BITS, DC_VALS), _codes(AC_BITS, AC_VALS)
    bits: list[int] = []

    def put(code: int, length: int) -> None:
        bits.extend((code >> (length - 1 - i)) & 1 for i in range(length))

    prev = 0
    for by in range((HEIGHT + 7) // 8):
        for bx in range((WIDTH + 7) // 8):
            dc = 8 * (block_value(bx, by) - 128)  # DCT of a flat block, quantiser 1
            diff, prev = dc - prev, dc
            size = abs(diff).bit_length()
            put(*dc_codes[size])
            if size:
                put(diff if diff > 0 else diff + (1 << size) - 1, size)
            put(*ac_codes[0x00])
    bits.extend([1] * (-len(bits) % 8))
    data = bytearray()
    for i in range(0, len(bits), 8):
        byte = int("".join(map(str, bits[i:i + 8])), 2)
        data.append(byte)
        if byte == 0xFF:
            data.append(0x00)  # byte stuffing
    return b"".join((
        b"\xff\xd8",
        _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(0xFFDB, b"\x00" + b"\x01" * 64),
        _segment(0xFFC0, struct.pack(">BHHB", 8, HEIGHT, WIDTH, 1) + b"\x01\x11\x00"),
        _segment(0xFFC4, b"\x00" + bytes(DC_BITS) + bytes(DC_VALS)),
        _segment(0xFFC4, b"\x10" + bytes(AC_BITS) + bytes(AC_VALS)),
        _segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
        bytes(data),
        b"\xff\xd9",
    ))


if __name__ == "__main__":
    out = Path(__file__).with_name("snapshot.jpg")
    out.write_bytes(encode())
    print(f"wrote {out} ({out.stat().st_size} bytes)")
