"""Weak keys and repeated signatures in signed notes (issue 13 item 10).

A verifier key is any 32 bytes to OpenSSL; with the identity point as the log's key, the
signature R = identity, S = 0 "verifies" every text, so a forger who can hand an officer a
key file could forge every checkpoint. Keys must be points of large order, canonically
encoded, and signatures strict (S below L, R not of small order), the rules the relay's
``crypto/`` gets from libsodium. A note with two signatures by one trusted key is refused
(docs/audit.md §"Signed notes"): Go's ``note.Open`` keeps the first and skips the rest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import pytest

from audit import (
    NoteError,
    cosign,
    cosigner_verifier_key,
    log_verifier_key,
    open_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    verify_bundle,
    verify_cosignature,
    verify_note,
)
from audit.ed25519_strict import L, public_key_problem, signature_problem
from audit.note_verify import VerifierKey
from crypto.primitives import ed25519_verify

ORIGIN = "audit.steuntje.test/org-1"
OFFICER = "officer.steuntje.test/anna"
ROOT = hashlib.sha256(b"a root").digest()
LOG_KEY, OFFICER_KEY = bytes(range(32)), bytes(range(32, 64))
T0 = 1767225600

# The eight points of small order (libsodium's blocklist, as published in its source, with
# each sign of x): [8]P is the identity for all of them.
IDENTITY = "01" + "00" * 31
SMALL_ORDER = {
    "identity (order 1)": IDENTITY,
    "order 2": "ec" + "ff" * 30 + "7f",
    "order 4, +x": "00" * 32,
    "order 4, -x": "00" * 31 + "80",
    "order 8, a+": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8, a-": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8, b+": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8, b-": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}
# Second spellings: y at or above p, or a sign bit on x = 0; and a y with no point at all.
NON_CANONICAL = {
    "identity with sign bit": "01" + "00" * 30 + "80",
    "order 2 with sign bit": "ec" + "ff" * 31,
    "y = p (is 0)": "ed" + "ff" * 30 + "7f",
    "y = p + 1 (is 1)": "ee" + "ff" * 30 + "7f",
    "y = p + 3, a large-order point's second spelling": "f0" + "ff" * 30 + "7f",
    "not on the curve": "02" + "00" * 31,
}


def vkey_for(name: str, key_type: int, public_key: bytes) -> str:
    """A verifier key string for any 32 bytes, as a forger would write it."""
    material = bytes([key_type]) + public_key
    key_id = hashlib.sha256(name.encode() + b"\n" + material).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(material).decode()}"


def forged_note(text: str, name: str, public_key: bytes, signature: bytes) -> str:
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]
    line = base64.b64encode(key_id + signature).decode()
    return f"{text}\n\u2014 {name} {line}\n"


# -- the forgery from the issue, refused at every door ----------------------------------------


def test_the_identity_key_and_a_zero_signature_forge_nothing() -> None:
    identity = bytes.fromhex(IDENTITY)
    forgery = identity + bytes(32)  # R = identity, S = 0: OpenSSL alone accepts it
    body = f"{ORIGIN}\n1000000\n{base64.b64encode(ROOT).decode()}\n"
    note = forged_note(body, ORIGIN, identity, forgery)
    vkey = vkey_for(ORIGIN, 0x01, identity)
    assert not ed25519_verify(identity, body.encode(), forgery)  # crypto/'s rules refuse
    with pytest.raises(NoteError, match="small-order"):
        parse_verifier_key(vkey)
    with pytest.raises(NoteError, match="small-order"):
        open_checkpoint(note, vkey)
    with pytest.raises(NoteError, match="small-order"):
        verify_note(note, [VerifierKey(ORIGIN, bytes(4), 0x01, identity)])
    header = {"format": "steuntje-audit-bundle/v1", "origin": ORIGIN, "type": "header"}
    bundle = json.dumps({**header, "verifier_key": vkey}, separators=(",", ":")) + "\n"
    with pytest.raises(NoteError, match="small-order"):
        verify_bundle(bundle, vkey)  # the officer's own key is unusable: not a verdict


@pytest.mark.parametrize("key_type", [0x01, 0x04], ids=["log key", "cosigner key"])
@pytest.mark.parametrize("encoding", SMALL_ORDER.values(), ids=SMALL_ORDER.keys())
def test_every_small_order_key_is_refused(encoding: str, key_type: int) -> None:
    with pytest.raises(NoteError, match="small-order point"):
        parse_verifier_key(vkey_for(OFFICER, key_type, bytes.fromhex(encoding)))


@pytest.mark.parametrize("encoding", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
def test_a_non_canonical_or_off_curve_key_is_refused(encoding: str) -> None:
    with pytest.raises(NoteError, match="not the canonical encoding of a curve point"):
        parse_verifier_key(vkey_for(ORIGIN, 0x01, bytes.fromhex(encoding)))


def test_real_keys_still_parse_and_verify() -> None:
    vkey = log_verifier_key(ORIGIN, LOG_KEY)
    assert open_checkpoint(sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY), vkey).size == 5
    for seed in range(200):  # no honest key is mistaken for a weak one
        key = parse_verifier_key(log_verifier_key(ORIGIN, bytes([seed]) * 32))
        assert public_key_problem(key.public_key) is None


# -- strict signatures: one spelling, no small-order R ----------------------------------------


def signature_of(note: str) -> tuple[str, bytes]:
    text, _, line = note.rpartition("\n\n")
    blob = base64.b64decode(line.split(" ")[2])
    return text + "\n", blob


def with_signature(note: str, signature: bytes) -> str:
    text, blob = signature_of(note)
    line = base64.b64encode(blob[:4] + signature).decode()
    return f"{text}\n\u2014 {ORIGIN} {line}\n"


def test_a_signature_with_s_not_below_l_is_refused() -> None:
    note = sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY)
    _, blob = signature_of(note)
    r, s = blob[4:36], int.from_bytes(blob[36:], "little")
    second_spelling = r + (s + L).to_bytes(32, "little")  # the same signature mod L
    assert signature_problem(second_spelling) is not None
    with pytest.raises(NoteError, match="not strict Ed25519: S is not below"):
        open_checkpoint(with_signature(note, second_spelling), log_verifier_key(ORIGIN, LOG_KEY))


@pytest.mark.parametrize("encoding", SMALL_ORDER.values(), ids=SMALL_ORDER.keys())
def test_a_signature_whose_r_has_small_order_is_refused(encoding: str) -> None:
    note = sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY)
    forged = with_signature(note, bytes.fromhex(encoding) + bytes(32))
    with pytest.raises(NoteError, match="R is a small-order point"):
        open_checkpoint(forged, log_verifier_key(ORIGIN, LOG_KEY))


# -- one signature per key: duplicates and double cosignatures --------------------------------


def test_a_repeated_signature_line_by_the_log_key_is_refused() -> None:
    note = sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY)
    last_line = note.rsplit("\n", 2)[-2] + "\n"
    with pytest.raises(NoteError, match="two signatures by"):
        open_checkpoint(note + last_line, log_verifier_key(ORIGIN, LOG_KEY))
    # ... and a second line that would not verify is refused the same way, not skipped
    # unchecked as Go's note.Open skips it: an appended line never goes unnoticed.
    _, blob = signature_of(note)
    bad = base64.b64encode(blob[:4] + bytes(64)).decode()
    with pytest.raises(NoteError, match="two signatures by"):
        open_checkpoint(note + f"\u2014 {ORIGIN} {bad}\n", log_verifier_key(ORIGIN, LOG_KEY))


def test_two_cosignatures_by_one_witness_are_refused() -> None:
    checkpoint = sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY)
    once = cosign(checkpoint, OFFICER_KEY, OFFICER, T0)
    officer = cosigner_verifier_key(OFFICER, OFFICER_KEY)
    assert verify_cosignature(once, officer) == T0
    later = cosign(checkpoint, OFFICER_KEY, OFFICER, T0 + 60)
    twice = once + later.rsplit("\n", 2)[-2] + "\n"  # two valid cosignatures, two times
    with pytest.raises(NoteError, match=f"two signatures by {OFFICER}"):
        verify_cosignature(twice, officer)
    # The log's own signature is still checked on its own, the cosignatures ignored.
    assert open_checkpoint(twice, log_verifier_key(ORIGIN, LOG_KEY)).size == 5
    with pytest.raises(NoteError, match="already cosigned"):
        cosign(once, OFFICER_KEY, OFFICER, T0 + 60)  # the maker refuses to write it


def test_cosignatures_by_two_witnesses_and_unknown_repeats_are_fine() -> None:
    checkpoint = sign_checkpoint(ORIGIN, 5, ROOT, LOG_KEY)
    second = bytes(range(64, 96))
    both = cosign(cosign(checkpoint, OFFICER_KEY, OFFICER, T0), second, "other", T0 + 1)
    assert verify_cosignature(both, cosigner_verifier_key(OFFICER, OFFICER_KEY)) == T0
    assert verify_cosignature(both, cosigner_verifier_key("other", second)) == T0 + 1
    # A repeated line by a key nobody trusts is ignored, as every unknown signature is.
    unknown = both.rsplit("\n", 2)[-2] + "\n"
    assert open_checkpoint(both + unknown, log_verifier_key(ORIGIN, LOG_KEY)).size == 5
    # The same trusted key passed twice is one key, not a duplicate signature.
    vkey = log_verifier_key(ORIGIN, LOG_KEY)
    assert len(verify_note(checkpoint, [vkey, vkey]).signers) == 1


def test_the_cli_refuses_a_small_order_key_in_one_line(log20, tmp_path) -> None:
    forged = vkey_for(ORIGIN, 0x01, bytes.fromhex(IDENTITY))
    path = tmp_path / "log.jsonl"
    path.write_text(log20.bundle((20,)))
    result = subprocess.run(
        [sys.executable, "-m", "relay", "audit", "verify", str(path), "--key", forged],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "steuntje: --key: verifier key: public key is a small-order point; "
        "it could vouch for forged signatures"
    ]
