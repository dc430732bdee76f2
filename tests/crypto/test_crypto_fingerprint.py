"""Safety numbers: libsignal's published vector, symmetry, QR verification."""

from __future__ import annotations

from crypto import format_safety_number, qr_payload, safety_number, verify_qr_payload
from crypto.fingerprint import identity_fingerprint

# libsignal-protocol-c tests/test_fingerprint.c: identity keys, stable ids, outputs.
ALICE = bytes.fromhex("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
BOB = bytes.fromhex("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
DISPLAYABLE = "300354477692869396892869876765458257569162576843440918079131"
ALICE_SCANNABLE_V1 = "1e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"
BOB_SCANNABLE_V1 = "d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d"


def test_libsignal_numeric_fingerprint_vector() -> None:
    assert safety_number(ALICE, b"+14152222222", BOB, b"+14153333333") == DISPLAYABLE
    assert safety_number(BOB, b"+14153333333", ALICE, b"+14152222222") == DISPLAYABLE
    assert identity_fingerprint(ALICE, b"+14152222222")[:32].hex() == ALICE_SCANNABLE_V1
    assert identity_fingerprint(BOB, b"+14153333333")[:32].hex() == BOB_SCANNABLE_V1


def test_our_identities_and_qr(make_devices) -> None:
    alice_keys, bob_keys = make_devices()
    alice, bob = alice_keys.public_identity.encode(), bob_keys.public_identity.encode()
    number = safety_number(alice, b"a", bob, b"b")
    assert len(number) == 60 and number.isdigit()
    assert number == safety_number(bob, b"b", alice, b"a")
    assert number != safety_number(alice, b"a", bob, b"c")
    assert format_safety_number(number).count(" ") == 11
    shown_by_bob = qr_payload(bob, b"b", alice, b"a")
    assert len(shown_by_bob) == 65 and shown_by_bob[0] == 0x01
    assert verify_qr_payload(shown_by_bob, alice, b"a", bob, b"b")
    assert not verify_qr_payload(qr_payload(alice, b"a", bob, b"b"), alice, b"a", bob, b"b")
