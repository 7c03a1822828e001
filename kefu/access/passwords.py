"""Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 iterations), and the password policy.

The policy follows NIST SP 800-63B: a minimum length, a list of known-common passwords refused, no
composition rules, so long passphrases are welcome.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = HASHER.hash("kefu-timing-equaliser")
MIN_PASSWORD_LENGTH = 8
# argon2 cost grows with input length; a cap stops one request from pinning a core.
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


class WeakPassword(ValueError):
    """The new password breaks the policy; the message says why (never repeating the password)."""


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, *, username: str = "") -> None:
    """Raise WeakPassword naming the rule the password breaks."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    folded = password.strip().lower()
    if folded in common_passwords():
        raise WeakPassword("password: too common; a few unrelated words make a strong passphrase")
    if username and username.lower() in folded:
        raise WeakPassword("password: must not contain the user name")
