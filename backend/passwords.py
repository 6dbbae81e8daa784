"""Password hashing with bcrypt (cost 12); the library does the salting and comparison."""

from __future__ import annotations

import bcrypt

ROUNDS = 12
MAX_BYTES = 72  # bcrypt's limit; longer passwords are refused rather than truncated


class PasswordError(ValueError):
    pass


RECOMMENDED_LENGTH = 8  # shorter ones are accepted (accounts are made by an admin), with a warning


def check_password_rules(password: str) -> None:
    if not password:
        raise PasswordError("the password must not be empty")
    if len(password.encode()) > MAX_BYTES:
        raise PasswordError("the password must be at most 72 bytes long")


def hash_password(password: str, rounds: int = ROUNDS) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:MAX_BYTES], hashed.encode())
    except ValueError:
        return False


# A real hash to compare against when the email is unknown, so timing does not tell.
DUMMY_HASH = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO6ZzQzZzQ1h3yQk0o0Q5g6m0cZ9m7Zq2"
