"""Signed notes, checkpoints and cosignatures: the C2SP example first, then our own."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from audit import (
    NoteError,
    checkpoint_body,
    cosign,
    cosigner_verifier_key,
    log_verifier_key,
    new_signing_key,
    open_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    verify_cosignature,
    verify_note,
)

C2SP = Path(__file__).resolve().parents[1] / "vectors" / "third_party" / "c2sp"
ORIGIN = "audit.steuntje.test/org-1"
OFFICER = "officer.steuntje.test/anna"
T0 = 1767225600
ROOT = hashlib.sha256(b"a root").digest()
LOG_KEY = bytes(range(32))
OFFICER_KEY = bytes(range(32, 64))


def example() -> dict:
    path = C2SP / "signed_note_example.json"
    assert path.is_file(), f"missing {path}: the C2SP example is required"
    assert (C2SP / "SOURCE.txt").is_file()
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_c2sp_signed_note_example_verifies() -> None:
    data = example()
    key = parse_verifier_key(data["vkey"])
    assert (key.name, key.key_id.hex(), key.type) == ("example.com/foo", "530d903a", 1)
    # The key-ID rule the example states, recomputed here.
    assert hashlib.sha256(b"example.com/foo\n\x01" + key.public_key).digest()[:4] == key.key_id
    verified = verify_note(data["note"], [data["vkey"]])
    assert verified.text == data["signed_text"]
    assert [s.name for s in verified.signers] == ["example.com/foo"]
    assert verify_note(data["note"].encode("utf-8"), [key]).text == data["signed_text"]


def test_the_c2sp_example_fails_when_changed() -> None:
    data = example()
    note, vkey = data["note"], data["vkey"]
    for changed in (
        note.replace("example message", "example massage"),
        note.replace("Uw2Q", "Uw2R"),  # key ID changed: no trusted signature left
        note.replace("aQM=", "aQI="),  # signature changed
        note.replace("\u2014", "--"),
        note[:-1],  # final newline removed
    ):
        with pytest.raises(NoteError):
            verify_note(changed, [vkey])


def test_a_checkpoint_round_trips() -> None:
    note = sign_checkpoint(ORIGIN, 42, ROOT, LOG_KEY)
    body = checkpoint_body(ORIGIN, 42, ROOT)
    assert note.startswith(body + "\n\u2014 " + ORIGIN + " ")
    assert body == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    checkpoint = open_checkpoint(note, log_verifier_key(ORIGIN, LOG_KEY))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.note) == (
        ORIGIN, 42, ROOT, note,
    )  # fmt: skip


def test_the_verifier_key_string_has_the_c2sp_shape() -> None:
    vkey = log_verifier_key(ORIGIN, LOG_KEY)
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    assert name == ORIGIN and raw[0] == 0x01 and len(raw) == 33
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_id
    assert parse_verifier_key(cosigner_verifier_key(OFFICER, OFFICER_KEY)).type == 0x04
    for bad in (vkey.replace("+", "-", 1), vkey[:-4] + "AAA=", "name+12345678", name):
        with pytest.raises(NoteError):
            parse_verifier_key(bad)


def test_signatures_by_unknown_keys_are_ignored_but_some_trusted_one_is_needed() -> None:
    note = sign_checkpoint(ORIGIN, 1, ROOT, LOG_KEY)
    cosigned = cosign(note, OFFICER_KEY, OFFICER, T0)
    # The log's verifier does not know the officer's key: that line is ignored.
    assert open_checkpoint(cosigned, log_verifier_key(ORIGIN, LOG_KEY)).size == 1
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_checkpoint(note, log_verifier_key(ORIGIN, new_signing_key(lambda n: b"\x07" * n)))


def test_a_cosignature_is_a_timestamped_type_4_signature() -> None:
    note = sign_checkpoint(ORIGIN, 9, ROOT, LOG_KEY)
    cosigned = cosign(note, OFFICER_KEY, OFFICER, T0 + 5)
    assert cosigned.startswith(note) and cosigned.count("\n\u2014 ") == 2
    blob = base64.b64decode(cosigned.rstrip("\n").rsplit(" ", 1)[1])
    assert len(blob) == 4 + 8 + 64 and int.from_bytes(blob[4:12], "big") == T0 + 5
    vkey = cosigner_verifier_key(OFFICER, OFFICER_KEY)
    assert verify_cosignature(cosigned, vkey) == T0 + 5
    # The signed message is the one tlog-cosignature specifies.
    key = parse_verifier_key(vkey)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    message = (
        f"cosignature/v1\ntime {T0 + 5}\n".encode() + checkpoint_body(ORIGIN, 9, ROOT).encode()
    )
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(blob[12:], message)
    with pytest.raises(NoteError):
        verify_cosignature(note, vkey)  # not cosigned at all
    with pytest.raises(NoteError):
        verify_cosignature(cosigned, log_verifier_key(ORIGIN, LOG_KEY))  # wrong key type


def test_making_refuses_what_a_verifier_would_refuse() -> None:
    for call in (
        lambda: checkpoint_body("with space", 1, ROOT),
        lambda: checkpoint_body("a+b", 1, ROOT),
        lambda: checkpoint_body(ORIGIN, -1, ROOT),
        lambda: checkpoint_body(ORIGIN, 1, ROOT[:31]),
        lambda: sign_checkpoint(ORIGIN, 1, ROOT, b"short"),
        lambda: cosign("no signatures\n", OFFICER_KEY, OFFICER, T0),
        lambda: cosign(sign_checkpoint(ORIGIN, 1, ROOT, LOG_KEY), OFFICER_KEY, OFFICER, -1),
    ):
        with pytest.raises(NoteError):
            call()


def test_every_single_bit_of_a_signed_checkpoint_matters() -> None:
    note = sign_checkpoint(ORIGIN, 20, ROOT, LOG_KEY).encode("utf-8")
    vkey = log_verifier_key(ORIGIN, LOG_KEY)
    for offset in range(len(note)):
        for bit in (0, 5):
            changed = bytearray(note)
            changed[offset] ^= 1 << bit
            with pytest.raises(NoteError):
                open_checkpoint(bytes(changed), vkey)
