"""scrypt password hashing: salted, parameterised, constant-time verified."""

from __future__ import annotations

from identity import passwords


def test_hash_records_scheme_and_parameters_and_verifies() -> None:
    stored = passwords.hash_password("correct-horse-battery")

    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert passwords.verify_password("correct-horse-battery", stored)
    assert not passwords.verify_password("correct-horse-batterY", stored)


def test_same_password_hashes_differently_per_user() -> None:
    assert passwords.hash_password("same-password-1") != passwords.hash_password("same-password-1")


def test_hashes_made_with_older_parameters_still_verify_and_ask_for_rehash() -> None:
    weaker = passwords.ScryptParameters(n=2**10)
    stored = passwords.hash_password("correct-horse-battery", weaker)

    assert passwords.verify_password("correct-horse-battery", stored)
    assert passwords.needs_rehash(stored)
    assert not passwords.needs_rehash(passwords.hash_password("x" * 10))


def test_garbage_hashes_never_verify() -> None:
    for stored in ("", "plain", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AA==$AA=="):
        assert not passwords.verify_password("anything-at-all", stored)


def test_unknown_account_check_is_always_false() -> None:
    assert passwords.verify_unknown("correct-horse-battery") is False
