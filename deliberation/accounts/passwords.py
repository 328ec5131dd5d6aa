"""Password hashing with argon2id, rehashed at login when the parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id configuration (m=19 MiB, t=2, p=1): each sign-in allocates 19 MiB, not 64, so a
# worker signing residents in stays small. Hashes made with other parameters are redone at login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A fast hasher for the test suite only (selected by create_app(testing)).
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_active = _hasher
# Verified when the user name is unknown, so a wrong name costs the same time as a wrong password.
_dummy_hash: str | None = None

MIN_LENGTH = 8


def use_fast_hashing(fast: bool) -> None:
    global _active, _dummy_hash
    _active = _fast_hasher if fast else _hasher
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _active.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; with no stored hash, spend the same time and say no."""
    global _dummy_hash
    if stored_hash is None:
        if _dummy_hash is None:
            _dummy_hash = _active.hash("not a password of anyone")
        stored_hash, password = _dummy_hash, password + "\0"
    try:
        return _active.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _active.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
