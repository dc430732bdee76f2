"""Strict Ed25519 rules for the officer's checks: no weak keys, one spelling per signature.

OpenSSL (through ``cryptography``) checks the signature equation, and that S is below the
group order, but accepts any 32 bytes that decode as a point as a public key. With a
small-order key the equation says almost nothing: the identity point with R = identity
and S = 0 "signs" every text, and the other seven torsion points forge chosen texts. The
relay's own ``crypto/`` verifies with libsodium's strict rules; ``audit/`` may not use
libsodium to check (it signs with it: one library's bug must not hide on both sides, see
tests/audit/test_audit_purity.py), so the same rules are written out here, from RFC 8032
§5.1.3 and the curve's definition, and applied before OpenSSL is asked:

* a public key is a canonical encoding (y below p, no sign bit on x = 0) of a point on
  the curve whose order is not small (``[8]A`` is not the identity);
* a signature's R is likewise canonical and not of small order, and S is below L.

Pure integer arithmetic: one modular square root per point (the decoding), then three
projective doublings; run once per key and once per signature.
"""

from __future__ import annotations

import functools

__all__ = ["public_key_problem", "signature_problem"]

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the prime order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_MINUS_ONE = pow(2, (P - 1) // 4, P)

Point = tuple[int, int]


@functools.lru_cache(maxsize=64)
def public_key_problem(key: bytes) -> str | None:
    """Why ``key`` must not be trusted as an Ed25519 public key, or None if it may.

    Cached: a verifier parses the same few keys (the log's, the officers') for every bundle
    and checkpoint it reads, and the answer for given bytes never changes."""
    if not isinstance(key, bytes) or len(key) != 32:
        return "an Ed25519 public key is 32 bytes"
    return _point_problem(key, "public key")


def signature_problem(signature: bytes) -> str | None:
    """Why ``signature`` (R || S) can never be a strict signature, or None."""
    if not isinstance(signature, bytes) or len(signature) != 64:
        return "an Ed25519 signature is 64 bytes"
    if int.from_bytes(signature[32:], "little") >= L:
        return "S is not below the group order (a second spelling of a signature)"
    return _point_problem(signature[:32], "R")


def _point_problem(encoding: bytes, label: str) -> str | None:
    point = _decode(encoding)
    if point is None:
        return f"{label} is not the canonical encoding of a curve point"
    if _small_order(point):
        return f"{label} is a small-order point"
    return None


def _decode(encoding: bytes) -> Point | None:
    """RFC 8032 §5.1.3, refusing every non-canonical input rather than reducing it."""
    number = int.from_bytes(encoding, "little")
    y, sign = number & ((1 << 255) - 1), number >> 255
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:
        x = x * SQRT_MINUS_ONE % P
        if (v * x * x - u) % P != 0:
            return None  # no x for this y: not on the curve
    if x == 0 and sign:
        return None  # "-0": a second spelling of a point with x = 0
    if x & 1 != sign:
        x = P - x
    return x, y


def _small_order(point: Point) -> bool:
    """True when [8]P is the identity: three doublings in projective coordinates (the a = -1
    doubling formulas), so no inversion is needed; the identity is X = 0, Y = Z."""
    x, y, z = point[0], point[1], 1
    for _ in range(3):
        b, c, d = (x + y) ** 2 % P, x * x % P, y * y % P
        f = (d - c) % P  # a*C + D with a = -1
        j = (f - 2 * z * z) % P
        x, y, z = (b - c - d) * j % P, f * (-c - d) % P, f * j % P
    return x == 0 and y == z
