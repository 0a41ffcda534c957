"""The centre account's password that provisioning makes passes the password-strength rule every time
(token_urlsafe alone lacked a special character about half the time: a flaky FAIL after provision)."""

from __future__ import annotations

from kitchencam.provision import centre_password


def test_every_centre_password_has_the_four_classes_and_24_characters():
    seen = set()
    for _ in range(3000):
        password = centre_password()
        seen.add(password)
        assert len(password) == 24
        assert any(c.isupper() for c in password)
        assert any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)
        assert not password.startswith(("-", "!", "@"))
    assert len(seen) == 3000  # random, not a constant
