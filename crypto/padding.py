"""Pad plaintexts to a few fixed sizes so ciphertext lengths say little about content.

The padding is ISO/IEC 7816-4, exactly what libsodium's ``sodium_pad`` produces: one
0x80 byte after the plaintext, then zero bytes up to the bucket size. Unlike
``sodium_pad``, which pads to a multiple of one block size, the target here is the
smallest *bucket* that holds ``len(plaintext) + 1`` bytes:

    256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65280

Powers of two waste at most half the space and leave only nine distinguishable sizes;
the short messages this product is about (check-ins, nudges, a few sentences) all fall
in the 256-byte bucket. The last bucket is 65280 (64 KiB - 256) so that even an initial
message (250 bytes of overhead) stays within the relay's 64 KiB envelope limit.
"""

from __future__ import annotations

from crypto.errors import DecryptionError, PayloadTooLargeError

__all__ = ["BUCKETS", "MAX_PLAINTEXT_SIZE", "bucket_size", "pad", "unpad"]

BUCKETS: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65280)
MAX_PLAINTEXT_SIZE = BUCKETS[-1] - 1  # one byte is always needed for the 0x80 marker
_BUCKET_SET = frozenset(BUCKETS)


def bucket_size(plaintext_size: int) -> int:
    """The padded size for a plaintext of ``plaintext_size`` bytes."""
    for bucket in BUCKETS:
        if plaintext_size < bucket:
            return bucket
    raise PayloadTooLargeError(f"plaintext larger than {MAX_PLAINTEXT_SIZE} bytes")


def pad(plaintext: bytes) -> bytes:
    """``plaintext || 0x80 || 0x00 ...`` up to the bucket size."""
    size = bucket_size(len(plaintext))
    return plaintext + b"\x80" + bytes(size - len(plaintext) - 1)


def unpad(padded: bytes) -> bytes:
    """Inverse of ``pad``; a wrong length or missing marker raises DecryptionError.

    Runs only on authenticated plaintext, so its timing reveals nothing an attacker
    could not compute; strictness (bucket size, only zeros after the marker) is kept so
    that exactly one padded form is valid for each plaintext.
    """
    if len(padded) not in _BUCKET_SET:
        raise DecryptionError()
    stripped = padded.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise DecryptionError()
    return stripped[:-1]
