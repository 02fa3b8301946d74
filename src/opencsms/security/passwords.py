"""Station passwords for HTTP Basic auth (security profiles 1 and 2), stored only as scrypt hashes.

Rules for a password a CSMS sets: 2.0.1 SecurityCtrlr.BasicAuthPassword has 16-40 characters;
1.6 (security whitepaper) sends AuthorizationKey hex-encoded, at most 40 hex digits, so the
password itself has 16-20 bytes. Printable ASCII only, so characters and bytes agree. A
generated password (20 characters) fits both versions and survives a version upgrade.

The hash format is ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``, so the cost can be raised
later without invalidating stored hashes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import string

MIN_LENGTH = 16
MAX_LENGTH = 40
MAX_LENGTH_V16 = 20
_ALLOWED = frozenset(string.ascii_letters + string.digits + string.punctuation)

# scrypt cost: n = 2**14, r = 8, p = 1 takes 16 MiB and tens of milliseconds: the lower bound
# of current recommendations, chosen because every reconnect of every station verifies once.
_LOG2_N = 14
_R = 8
_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32


class WeakPassword(ValueError):
    """The password breaks the OCPP rules for a Basic auth password."""


def check_password_rules(password: str, version: str | None = None) -> None:
    """Raises WeakPassword: shorter than 16, longer than 40 (20 for OCPP 1.6 stations), or outside
    printable ASCII."""
    longest = MAX_LENGTH_V16 if version == "1.6" else MAX_LENGTH
    if not MIN_LENGTH <= len(password) <= longest:
        raise WeakPassword(f"a station password has {MIN_LENGTH}-{longest} characters, not {len(password)}")
    if not set(password) <= _ALLOWED:
        raise WeakPassword("a station password uses printable ASCII letters, digits and punctuation only")


def generate_password(length: int = MAX_LENGTH_V16) -> str:
    """A random password that passes :func:`check_password_rules` (letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=2**log2_n, r=r, p=p, maxmem=2**log2_n * r * 256, dklen=_HASH_BYTES
    )


def hash_password(password: str) -> str:
    """The storable hash of ``password`` (rules are not checked here: see check_password_rules)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _LOG2_N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_LOG2_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result); False for a
    malformed hash. Compares in constant time."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def authorization_key_v16(password: str) -> str:
    """The 1.6 AuthorizationKey configuration value: the password's bytes, hex-encoded."""
    return password.encode().hex()


async def verify_password_off_loop(password: str, stored: str) -> bool:
    """:func:`verify_password` in a worker thread (scrypt releases the GIL), so the event loop
    keeps serving other stations while a handshake is checked."""
    return await asyncio.to_thread(verify_password, password, stored)
