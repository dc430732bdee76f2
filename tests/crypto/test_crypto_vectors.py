"""Run tests/vectors/*.json through the public API: the contract any port must meet.

The JavaScript port runs the same files; the schemas are in tests/vectors/README.md.
The first test checks that the committed files are exactly what the seeded generator
produces, so a change to the protocol cannot slip in without regenerating them.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from nacl.bindings import sodium_pad

from crypto import (
    DecryptionError,
    DeviceKeys,
    IdentityKeyPair,
    OneTimePrekey,
    PayloadTooLargeError,
    PrekeyBundle,
    Session,
    SignedPrekey,
    accept_session,
    pad,
    qr_payload,
    safety_number,
    start_session,
    unpad,
    verify_auth_challenge,
    verify_qr_payload,
)
from crypto.envelope import decode_envelope
from crypto.fingerprint import identity_fingerprint
from crypto.padding import bucket_size
from crypto.primitives import x25519
from crypto.x3dh import initiate, respond

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load(name: str) -> list[dict]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))["tests"]


def cases(name: str) -> object:
    tests = load(name)
    return pytest.mark.parametrize("case", tests, ids=[test["name"] for test in tests])


def h(value: str) -> bytes:
    return bytes.fromhex(value)


class Scripted:
    """An rng that returns the recorded values of one step, in order, sizes checked."""

    def __init__(self, values: list[str]) -> None:
        self.values = [h(value) for value in values]

    def __call__(self, size: int) -> bytes:
        assert self.values, "the step drew more randomness than the vector recorded"
        value = self.values.pop(0)
        assert len(value) == size
        return value


def device_from(data: dict) -> DeviceKeys:
    identity = IdentityKeyPair.from_private(h(data["signing_seed"]), h(data["agreement_private"]))
    spk = data["signed_prekey"]
    signed = SignedPrekey.create(identity, spk["id"], h(spk["private"]), spk["created_at"])
    one_time = [
        OneTimePrekey.create(key["id"], h(key["private"])) for key in data["one_time_prekeys"]
    ]
    next_id = max([spk["id"]] + [key["id"] for key in data["one_time_prekeys"]]) + 1
    return DeviceKeys(identity, [signed], one_time, next_id)


def test_committed_vectors_equal_generator_output() -> None:
    spec = importlib.util.spec_from_file_location(
        "steuntje_vectors_generate", VECTORS / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    files = generator.generate()
    assert files == generator.generate(), "the generator is not deterministic"
    assert set(files) == {path.name for path in VECTORS.glob("*.json")}
    for name, text in files.items():
        assert (VECTORS / name).read_text(encoding="utf-8") == text, f"regenerate {name}"


@cases("keys.json")
def test_keys(case: dict) -> None:
    if case["want_err"]:
        with pytest.raises(DecryptionError):
            if not PrekeyBundle.from_bytes(h(case["bundle"])).verify():
                raise DecryptionError()
        return
    keys = device_from(case["input"])
    expected = case["expected"]
    identity = keys.public_identity
    assert identity.signing_key.hex() == expected["signing_key"]
    assert identity.agreement_key.hex() == expected["agreement_key"]
    assert identity.signature.hex() == expected["identity_signature"]
    assert identity.encode().hex() == expected["identity_encoding"]
    assert keys.signed_prekey.public_key.hex() == expected["signed_prekey_public"]
    assert keys.signed_prekey.signature.hex() == expected["signed_prekey_signature"]
    publics = [key.public_key.hex() for key in keys.one_time_prekeys.values()]
    assert publics == expected["one_time_prekey_publics"]
    assert keys.bundle(2).to_bytes().hex() == expected["bundle"]
    assert keys.bundle().to_bytes().hex() == expected["bundle_without_one_time_prekey"]
    for encoded in (expected["bundle"], expected["bundle_without_one_time_prekey"]):
        bundle = PrekeyBundle.from_bytes(h(encoded))
        assert bundle.verify() and bundle.to_bytes().hex() == encoded
    challenge = h(case["input"]["auth_challenge"])
    signature = keys.sign_auth_challenge(challenge)
    assert signature.hex() == expected["auth_signature"]
    assert verify_auth_challenge(identity.signing_key, challenge, signature)
    assert not verify_auth_challenge(identity.signing_key, challenge + b"x", signature)


@cases("x3dh.json")
def test_x3dh(case: dict) -> None:
    alice = IdentityKeyPair.from_private(
        h(case["alice"]["signing_seed"]), h(case["alice"]["agreement_private"])
    )
    ephemeral = h(case["ephemeral_private"])
    if case["want_err"]:
        with pytest.raises(DecryptionError):
            initiate(alice, PrekeyBundle.from_bytes(h(case["bundle"])), ephemeral)
        return
    bundle = PrekeyBundle.from_bytes(h(case["bundle"]))
    result = initiate(alice, bundle, ephemeral)
    expected = case["expected"]
    assert result.shared_secret.hex() == expected["shared_secret"]
    assert result.associated_data.hex() == expected["associated_data"]
    assert result.ephemeral_key.hex() == expected["ephemeral_public"]
    assert x25519(alice.agreement_private, bundle.signed_prekey).hex() == expected["dh1"]
    bob = device_from(case["bob"])
    assert respond(
        bob, alice.public, result.ephemeral_key, bundle.signed_prekey_id, bundle.one_time_prekey_id
    ) == (result.shared_secret, result.associated_data)


@cases("ratchet.json")
def test_conversation(case: dict) -> None:
    alice = IdentityKeyPair.from_private(
        h(case["alice"]["signing_seed"]), h(case["alice"]["agreement_private"])
    )
    bob_keys = device_from(case["bob"])
    sessions: dict[str, Session] = {}
    for step in case["steps"]:
        op, party, now = step["op"], step["party"], step["now"]
        if op == "send_discarded":
            for _ in range(step["count"]):
                sessions[party].encrypt(b"", now, lambda size: bytes(size))
            continue
        rng = Scripted(step["random"])
        if op == "start":
            bundle = bob_keys.bundle(step["one_time_prekey_id"])
            session, envelope = start_session(alice, bundle, now, rng, h(step["plaintext"]))
            assert envelope.hex() == step["envelope"]
            sessions["alice"] = session
        elif op == "encrypt":
            envelope = sessions[party].encrypt(h(step["plaintext"]), now, rng)
            assert envelope.hex() == step["envelope"]
        elif op == "accept" and step.get("want_err"):
            before = bob_keys.to_bytes()
            with pytest.raises(DecryptionError):
                accept_session(bob_keys, h(step["envelope"]), now, rng)
            assert bob_keys.to_bytes() == before
            continue
        elif op == "accept":
            session, plaintext = accept_session(bob_keys, h(step["envelope"]), now, rng)
            assert plaintext.hex() == step["plaintext"]
            sessions["bob"] = session
        elif op == "decrypt" and step.get("want_err"):
            before = sessions[party].to_bytes()
            with pytest.raises(DecryptionError):
                sessions[party].decrypt(h(step["envelope"]), now, rng)
            assert sessions[party].to_bytes() == before, "a failed decryption changed state"
            continue
        else:
            assert op == "decrypt"
            assert sessions[party].decrypt(h(step["envelope"]), now, rng).hex() == step["plaintext"]
        assert not rng.values, "the step drew less randomness than the vector recorded"


@cases("padding.json")
def test_padding(case: dict) -> None:
    if "plaintext" in case:
        plaintext = h(case["plaintext"])
        padded = pad(plaintext)
        assert padded.hex() == case["padded"]
        assert padded == sodium_pad(plaintext, len(padded))  # libsodium agrees
        assert unpad(padded) == plaintext
    elif case["want_err"] == "PayloadTooLargeError":
        with pytest.raises(PayloadTooLargeError):
            pad(bytes(case["plaintext_size"]))
    elif case["want_err"]:
        with pytest.raises(DecryptionError):
            unpad(h(case["padded"]))
    else:
        assert bucket_size(case["plaintext_size"]) == case["padded_size"]
        assert len(pad(bytes(case["plaintext_size"]))) == case["padded_size"]


@cases("envelope.json")
def test_envelope(case: dict) -> None:
    data = h(case["envelope"])
    if case["want_err"]:
        with pytest.raises(DecryptionError):
            decode_envelope(data)
        return
    decoded, expected = decode_envelope(data), case["expected"]
    assert (data[0], data[1]) == (expected["version"], expected["type"])
    header = decoded.header
    assert header.dh_public.hex() == expected["dh"]
    assert (header.previous_chain_length, header.message_number) == (expected["pn"], expected["n"])
    assert decoded.nonce.hex() == expected["nonce"]
    assert decoded.ciphertext.hex() == expected["ciphertext"]
    assert decoded.prefix.hex() == expected["authenticated_prefix"]
    if expected["initial"] is None:
        assert decoded.initial is None
        return
    initial, want = decoded.initial, expected["initial"]
    assert initial is not None
    assert initial.identity.signing_key.hex() == want["signing_key"]
    assert initial.identity.agreement_key.hex() == want["agreement_key"]
    assert initial.identity.signature.hex() == want["identity_signature"]
    assert initial.ephemeral_key.hex() == want["ephemeral_key"]
    assert initial.signed_prekey_id == want["signed_prekey_id"]
    assert initial.one_time_prekey_id == want["one_time_prekey_id"]


@cases("fingerprint.json")
def test_fingerprint(case: dict) -> None:
    local, local_id = h(case["local_identity"]), h(case["local_id"])
    remote, remote_id = h(case["remote_identity"]), h(case["remote_id"])
    if "payload" in case:
        verified = verify_qr_payload(h(case["payload"]), local, local_id, remote, remote_id)
        assert verified is (case["want_err"] is None)
        return
    expected = case["expected"]
    assert identity_fingerprint(local, local_id).hex() == expected["local_fingerprint"]
    assert identity_fingerprint(remote, remote_id).hex() == expected["remote_fingerprint"]
    assert safety_number(local, local_id, remote, remote_id) == expected["safety_number"]
    assert safety_number(remote, remote_id, local, local_id) == expected["safety_number"]
    assert qr_payload(local, local_id, remote, remote_id).hex() == expected["qr_payload"]


@cases("group_log.json")
def test_group_log(case: dict) -> None:
    from groups.log import InvalidRecord, SignedRecord, apply_record, verify_device_proof

    if case["check"] == "device_proof":
        record = SignedRecord.from_wire(case["record"])
        valid = verify_device_proof(record, case["handle"], case["proof"])
        assert valid is (case["want_err"] is None)
        return
    state = None
    steps = case["steps"]
    for index, step in enumerate(steps):
        record = SignedRecord.from_wire(step["record"])
        if case["want_err"] is not None and index == len(steps) - 1:
            with pytest.raises(InvalidRecord) as refused:
                apply_record(state, record, step["now"])
            assert refused.value.reason == case["want_err"]
            return
        state = apply_record(state, record, step["now"])
    want = case["want"]
    assert state is not None
    assert (state.group, state.seq, state.head) == (want["group"], want["seq"], want["head"])
    members = [
        {
            "id": m.id,
            "role": m.role,
            "handles": list(m.handles),
            "muted_until": m.muted_until,
            "joined_seq": m.joined_seq,
        }
        for m in sorted(state.members.values(), key=lambda m: m.id)
    ]
    assert members == want["members"]
    assert sorted(state.used_tickets) == want["used_tickets"]
    assert sorted(state.retired) == want["retired"]
