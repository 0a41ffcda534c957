"""Snapshot addresses are kept without credentials, and pictures are recognised by their bytes."""

from __future__ import annotations

import pytest

from kitchencam.onvif.snapshot import Snapshot, image_type, safe_uri


@pytest.mark.parametrize(("uri", "safe"), [
    ("http://192.168.1.64/onvif/snapshot?channel=1&subtype=0", "http://192.168.1.64/onvif/snapshot?channel=1&subtype=0"),
    ("http://admin:s3cret@192.168.1.64:8080/snap.jpg", "http://192.168.1.64:8080/snap.jpg"),
    ("http://192.168.1.64/cgi-bin/snapshot.cgi?loginuse=admin&loginpas=s3cret&res=0",
     "http://192.168.1.64/cgi-bin/snapshot.cgi?res=0"),
    ("http://192.168.1.64/onvif-http/snapshot?Profile_1", "http://192.168.1.64/onvif-http/snapshot?Profile_1"),
    ("http://[fe80::1]:81/snap?user=admin&pwd=x&token=abc", "http://[fe80::1]:81/snap"),
])
def test_safe_uri_drops_credentials(uri: str, safe: str):
    assert safe_uri(uri) == safe
    assert "s3cret" not in safe_uri(uri)


def test_image_type_from_bytes():
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert image_type(b"<html><body>401</body></html>") is None
    assert image_type(b"") is None


def test_snapshot_repr_never_dumps_the_picture():
    shot = Snapshot(content_type="image/jpeg", data=b"\xff\xd8\xff" * 1000, source="tr2:GetSnapshotUri http://x/",
                    sha256="0" * 64)
    assert repr(shot) == "Snapshot(image/jpeg, 3000 bytes, 'tr2:GetSnapshotUri http://x/')"
