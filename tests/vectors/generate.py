"""Generate Steuntje's end-to-end test vectors: tests/vectors/*.json.

    python tests/vectors/generate.py           # rewrite the JSON files
    python tests/vectors/generate.py --check   # exit 1 if a committed file differs

Deterministic by construction: no clock and no os.urandom. Every random value (private
keys, nonces, ratchet keys) comes from ``Stream(name)``, where block ``i`` of a stream
is ``SHA-256(SEED || 0x00 || name || 0x00 || u64be(i))`` and a request for ``n`` bytes
takes the next ``n`` bytes of the concatenated blocks. Each test has its own stream
named after it, so adding a test never changes another. Ed25519 signatures are
deterministic (RFC 8032), so running this twice gives identical files, which
tests/crypto/test_crypto_vectors.py asserts.

Provenance: the expected outputs are computed by this repository's ``crypto`` package.
They are *checked* independently in three ways: the primitives against Wycheproof
(test_crypto_wycheproof.py); padding against libsodium's ``sodium_pad``; the safety
number against libsignal's own published test vector (fingerprint.json). The file
format of every JSON file is documented in tests/vectors/README.md.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from crypto import padding
from crypto.errors import DecryptionError
from crypto.fingerprint import identity_fingerprint, qr_payload, safety_number
from crypto.keys import DeviceKeys, IdentityKeyPair, OneTimePrekey, PrekeyBundle, SignedPrekey
from crypto.primitives import ed25519_public_key, x25519
from crypto.ratchet import SKIPPED_KEY_MAX_AGE
from crypto.session import Session, accept_session, start_session
from crypto.x3dh import associated_data, derive_shared_secret, initiate

HERE = Path(__file__).resolve().parent
SEED = b"steuntje e2e test vectors v1"
T0 = 1767225600  # 2026-01-01T00:00:00Z; all "now" values are offsets from it
ERR = "DecryptionError"
# A point of order 8 on Curve25519 (from Wycheproof's x25519 "LowOrderPublic" cases).
LOW_ORDER_POINT = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")
SOURCE = "steuntje tests/vectors/generate.py (seeded), checked by tests/crypto"


class Stream:
    """Seeded byte stream (see the module docstring); records what each step consumed."""

    def __init__(self, name: str) -> None:
        self._name = name.encode()
        self._counter = 0
        self._buffer = b""
        self.taken: list[bytes] = []

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = SEED + b"\x00" + self._name + b"\x00" + self._counter.to_bytes(8, "big")
            self._buffer += hashlib.sha256(block).digest()
            self._counter += 1
        value, self._buffer = self._buffer[:size], self._buffer[size:]
        self.taken.append(value)
        return value

    def take_record(self) -> list[str]:
        record, self.taken = [value.hex() for value in self.taken], []
        return record


def flip(data: bytes, offset: int, bit: int) -> bytes:
    """Flip bit ``bit`` (0 = least significant) of byte ``offset`` (negative from the end)."""
    mutable = bytearray(data)
    mutable[offset] ^= 1 << bit
    return bytes(mutable)


def vector_file(name: str, description: str, tests: list[dict]) -> dict:
    return {
        "schema": f"steuntje-e2e/{name}/v1",
        "description": description,
        "generator": "tests/vectors/generate.py",
        "tests": tests,
    }


def test_case(name: str, desc: str, want_err: str | None = None, **fields: object) -> dict:
    return {"name": name, "desc": desc, "source": SOURCE, "want_err": want_err, **fields}


# --- keys.json -------------------------------------------------------------------------


def make_device(stream: Stream, spk_id: int = 1, opk_ids: tuple[int, ...] = (2, 3)) -> DeviceKeys:
    identity = IdentityKeyPair.from_private(stream(32), stream(32))
    spk = SignedPrekey.create(identity, spk_id, stream(32), T0 - 86400)
    opks = [OneTimePrekey.create(key_id, stream(32)) for key_id in opk_ids]
    return DeviceKeys(identity, [spk], opks, max(opk_ids, default=spk_id) + 1)


def device_inputs(keys: DeviceKeys) -> dict:
    spk = keys.signed_prekey
    return {
        "signing_seed": keys.identity.signing_seed.hex(),
        "agreement_private": keys.identity.agreement_private.hex(),
        "signed_prekey": {
            "id": spk.key_id,
            "private": spk.private_key.hex(),
            "created_at": spk.created_at,
        },
        "one_time_prekeys": [
            {"id": key.key_id, "private": key.private_key.hex()}
            for key in keys.one_time_prekeys.values()
        ],
    }


def keys_vectors() -> dict:
    tests = []
    for number in (1, 2):
        name = f"device-keys-{number}"
        keys = make_device(Stream(name))
        identity, spk = keys.identity.public, keys.signed_prekey
        challenge = Stream(name + "/challenge")(32)
        tests.append(
            test_case(
                name,
                "Public keys, signatures, identity encoding and bundles from private keys.",
                input={**device_inputs(keys), "auth_challenge": challenge.hex()},
                expected={
                    "signing_key": identity.signing_key.hex(),
                    "agreement_key": identity.agreement_key.hex(),
                    "identity_signature": identity.signature.hex(),
                    "identity_encoding": identity.encode().hex(),
                    "signed_prekey_public": spk.public_key.hex(),
                    "signed_prekey_signature": spk.signature.hex(),
                    "one_time_prekey_publics": [
                        key.public_key.hex() for key in keys.one_time_prekeys.values()
                    ],
                    "bundle": keys.bundle(2).to_bytes().hex(),
                    "bundle_without_one_time_prekey": keys.bundle().to_bytes().hex(),
                    "auth_signature": keys.sign_auth_challenge(challenge).hex(),
                },
            )
        )
    bundle = make_device(Stream("device-keys-1")).bundle(2).to_bytes()
    negatives = [
        ("bundle-truncated", bundle[:-1], "Last byte removed."),
        ("bundle-trailing-byte", bundle + b"\x00", "One zero byte appended."),
        ("bundle-unknown-version", b"\x02" + bundle[1:], "Version byte set to 0x02."),
        ("bundle-tampered-identity-signature-bit-0", flip(bundle, 65, 0), "Bit 0 of byte 65."),
        ("bad-prekey-signature", flip(bundle, 165, 0), "Bit 0 of the prekey signature's 1st byte."),
        ("bundle-signed-prekey-id-changed", flip(bundle, 132, 0), "Signed prekey id 1 -> 0."),
        ("bundle-missing-one-time-prekey", bundle[:-32], "One-time prekey id set, key absent."),
    ]
    tests += [
        test_case(name, f"Bundle of device-keys-1, mutated: {desc}", ERR, bundle=data.hex())
        for name, data, desc in negatives
    ]
    return vector_file("keys", "Key encodings, signatures and prekey bundles.", tests)


# --- x3dh.json -------------------------------------------------------------------------


BundleMutation = Callable[[DeviceKeys, PrekeyBundle], PrekeyBundle]


def x3dh_case(
    name: str, desc: str, bundle_mutation: BundleMutation | None = None, opk_id: int = 2
) -> dict:
    stream = Stream(name)
    alice = IdentityKeyPair.from_private(stream(32), stream(32))
    bob = make_device(stream)
    ephemeral = stream(32)
    bundle = bob.bundle(opk_id)
    if bundle_mutation is not None:
        bundle = bundle_mutation(bob, bundle)
    fields = {
        "alice": {
            "signing_seed": alice.signing_seed.hex(),
            "agreement_private": alice.agreement_private.hex(),
        },
        "bob": device_inputs(bob),
        "ephemeral_private": ephemeral.hex(),
        "bundle": bundle.to_bytes().hex(),
    }
    try:
        result = initiate(alice, bundle, ephemeral)
    except DecryptionError:
        return test_case(name, desc, ERR, **fields)
    spk, opk = bob.signed_prekey, bob.one_time_prekeys.get(opk_id)
    dhs = [
        x25519(alice.agreement_private, spk.public_key),
        x25519(ephemeral, bob.identity.public.agreement_key),
        x25519(ephemeral, spk.public_key),
    ] + ([x25519(ephemeral, opk.public_key)] if opk else [])
    assert derive_shared_secret(dhs) == result.shared_secret
    assert associated_data(alice.public, bob.identity.public) == result.associated_data
    expected = {f"dh{index}": dh.hex() for index, dh in enumerate(dhs, 1)}
    expected |= {
        "ephemeral_public": result.ephemeral_key.hex(),
        "shared_secret": result.shared_secret.hex(),
        "associated_data": result.associated_data.hex(),
    }
    return test_case(name, desc, **fields, expected=expected)


def resigned(field: str) -> BundleMutation:
    """A bundle mutation: replace a key by a low-order point and sign it properly."""

    def mutate(bob: DeviceKeys, bundle: PrekeyBundle) -> PrekeyBundle:
        if field == "signed_prekey":
            spk = bundle.signed_prekey_id.to_bytes(4, "big") + LOW_ORDER_POINT
            signature = bob.identity.sign(b"steuntje/v1/sig/signed-prekey\x00", spk)
            return PrekeyBundle(bundle.identity, 1, LOW_ORDER_POINT, signature, 2, None)
        return PrekeyBundle(
            bundle.identity, 1, bundle.signed_prekey, bundle.signed_prekey_signature,
            2, LOW_ORDER_POINT,
        )  # fmt: skip

    return mutate


def x3dh_vectors() -> dict:
    def flip_field(field: str) -> BundleMutation:
        def mutate(bob: DeviceKeys, bundle: PrekeyBundle) -> PrekeyBundle:
            data = bundle.to_bytes()
            offset = {"identity": 65, "prekey": 165, "prekey_id": 132}[field]
            return PrekeyBundle.from_bytes(flip(data, offset, 0))

        return mutate

    tests = [
        x3dh_case("x3dh-with-one-time-prekey", "DH1..DH4, SK and AD."),
        x3dh_case("x3dh-without-one-time-prekey", "DH1..DH3 only.", opk_id=0),
        x3dh_case(
            "bad-prekey-signature",
            "Bit 0 of the signed prekey signature's first byte flipped.",
            flip_field("prekey"),
        ),
        x3dh_case(
            "bad-identity-signature",
            "Bit 0 of the identity signature's first byte flipped.",
            flip_field("identity"),
        ),
        x3dh_case(
            "signed-prekey-id-changed",
            "Signed prekey id changed from 1 to 0; the signature covers the id.",
            flip_field("prekey_id"),
        ),
        x3dh_case(
            "low-order-signed-prekey",
            "Signed prekey replaced by a point of order 8, validly signed: DH is all-zero.",
            resigned("signed_prekey"),
        ),
        x3dh_case(
            "low-order-one-time-prekey",
            "One-time prekey replaced by a point of order 8: DH4 is all-zero.",
            resigned("one_time_prekey"),
        ),
    ]
    return vector_file(
        "x3dh", "X3DH from the initiator's side (the responder derives the same SK).", tests
    )


# --- ratchet.json: scripted conversations ----------------------------------------------


class Conversation:
    """Alice and Bob with seeded keys; records each operation as a vector step."""

    def __init__(self, name: str, one_time_prekey: bool = True) -> None:
        self.stream = Stream(name)
        self.alice = IdentityKeyPair.from_private(self.stream(32), self.stream(32))
        self.bob_keys = make_device(self.stream)
        self.bundle_opk = 2 if one_time_prekey else 0
        self.inputs: dict[str, object] = {
            "alice": {
                "signing_seed": self.alice.signing_seed.hex(),
                "agreement_private": self.alice.agreement_private.hex(),
            },
            "bob": device_inputs(self.bob_keys),
        }
        self.stream.taken = []
        self.sessions: dict[str, Session] = {}
        self.steps: list[dict] = []

    def _step(self, op: str, party: str, now: int, **fields: object) -> dict:
        step = {"op": op, "party": party, "now": now, "random": self.stream.take_record()}
        step.update(fields)
        self.steps.append(step)
        return step

    def start(self, plaintext: bytes, now: int = T0) -> bytes:
        bundle = self.bob_keys.bundle(self.bundle_opk)
        session, envelope = start_session(self.alice, bundle, now, self.stream, plaintext)
        self.sessions["alice"] = session
        self._step(
            "start",
            "alice",
            now,
            one_time_prekey_id=self.bundle_opk,
            plaintext=plaintext.hex(),
            envelope=envelope.hex(),
        )
        return envelope

    def accept(self, envelope: bytes, now: int = T0, want_err: str | None = None) -> None:
        try:
            session, plaintext = accept_session(self.bob_keys, envelope, now, self.stream)
        except DecryptionError:
            assert want_err == ERR, "generator expected this accept to succeed"
            self._step("accept", "bob", now, envelope=envelope.hex(), want_err=ERR)
            return
        assert want_err is None, "generator expected this accept to fail"
        self.sessions["bob"] = session
        self._step("accept", "bob", now, envelope=envelope.hex(), plaintext=plaintext.hex())

    def encrypt(self, party: str, plaintext: bytes, now: int = T0) -> bytes:
        envelope = self.sessions[party].encrypt(plaintext, now, self.stream)
        self._step("encrypt", party, now, plaintext=plaintext.hex(), envelope=envelope.hex())
        return envelope

    def encrypt_padded(self, party: str, padded: bytes, now: int = T0) -> bytes:
        """Encrypt an arbitrary (wrongly) padded body; only for padding negatives."""
        envelope = self.sessions[party]._encrypt_padded(padded, now, self.stream)
        self.stream.take_record()  # a runner cannot redo this; it only advances the chain
        self.steps.append({"op": "send_discarded", "party": party, "now": now, "count": 1})
        return envelope

    def discard(self, party: str, count: int, now: int = T0) -> None:
        """Encrypt ``count`` messages nobody will receive (nonces are irrelevant)."""
        for _ in range(count):
            self.sessions[party].encrypt(b"", now, lambda size: bytes(size))
        self.steps.append({"op": "send_discarded", "party": party, "now": now, "count": count})

    def decrypt(
        self, party: str, envelope: bytes, now: int = T0, want_err: str | None = None
    ) -> None:
        try:
            plaintext = self.sessions[party].decrypt(envelope, now, self.stream)
        except DecryptionError:
            assert want_err == ERR, "generator expected this decrypt to succeed"
            self._step("decrypt", party, now, envelope=envelope.hex(), want_err=ERR)
            return
        assert want_err is None, "generator expected this decrypt to fail"
        self._step("decrypt", party, now, envelope=envelope.hex(), plaintext=plaintext.hex())

    def handshake(self) -> None:
        """a0 accepted, b0 answered: both sides have sending chains and type-2 messages."""
        self.accept(self.start(b"Hoi, ik ben het."))
        self.decrypt("alice", self.encrypt("bob", b"Fijn dat je er bent!"))

    def vector(self, name: str, desc: str, want_err: str | None = None) -> dict:
        return test_case(name, desc, want_err, **self.inputs, steps=self.steps)


def positive_conversations() -> list[dict]:
    tests = []
    chat = Conversation("session-with-one-time-prekey")
    chat.handshake()
    chat.decrypt("bob", chat.encrypt("alice", b""))
    chat.decrypt("bob", chat.encrypt("alice", bytes(range(256)) + b"x" * 44))  # 512 bucket
    chat.decrypt("alice", chat.encrypt("bob", b"Hoe gaat het met je moeder?"))
    chat.decrypt("alice", chat.encrypt("bob", b"\xf0\x9f\x91\x8d", T0 + 60), T0 + 60)
    tests.append(
        chat.vector("session-with-one-time-prekey", "Ping-pong, empty and 300-byte texts.")
    )

    chat = Conversation("session-without-one-time-prekey", one_time_prekey=False)
    chat.handshake()
    chat.decrypt("bob", chat.encrypt("alice", b"zonder one-time prekey"))
    tests.append(chat.vector("session-without-one-time-prekey", "X3DH with DH1..DH3 only."))

    chat = Conversation("out-of-order-in-one-chain")
    chat.handshake()
    sent = [chat.encrypt("alice", f"bericht {n}".encode()) for n in range(5)]
    for index in (4, 1, 3, 0, 2):
        chat.decrypt("bob", sent[index])
    tests.append(chat.vector("out-of-order-in-one-chain", "Five messages of one chain, shuffled."))

    chat = Conversation("out-of-order-across-ratchet-steps")
    a0, a1 = chat.start(b"a0"), chat.encrypt("alice", b"a1")
    chat.accept(a0)
    chat.decrypt("alice", chat.encrypt("bob", b"b0"))
    a2 = chat.encrypt("alice", b"a2")
    chat.decrypt("bob", a2)  # stores a1's key from the previous chain (PN = 2)
    chat.decrypt("bob", a1)  # a late initial-type copy, decrypted with the skipped key
    tests.append(
        chat.vector("out-of-order-across-ratchet-steps", "a1 arrives after the next chain's a2.")
    )

    chat = Conversation("initial-messages-reordered")
    a0 = chat.start(b"a0")
    a1, a2 = chat.encrypt("alice", b"a1"), chat.encrypt("alice", b"a2")
    chat.accept(a2)
    chat.decrypt("bob", a0)
    chat.decrypt("bob", a1)
    chat.decrypt("alice", chat.encrypt("bob", b"b0"))
    chat.decrypt("bob", chat.encrypt("alice", b"a3"))
    tests.append(
        chat.vector("initial-messages-reordered", "Bob accepts the third initial message first.")
    )

    chat = Conversation("skip-at-limit")
    chat.handshake()
    chat.discard("alice", 1000)
    chat.decrypt("bob", chat.encrypt("alice", b"1000 skipped"))
    tests.append(chat.vector("skip-at-limit", "Exactly MAX_SKIP (1000) keys skipped in one chain."))

    chat = Conversation("skipped-key-at-max-age")
    chat.handshake()
    early, late = chat.encrypt("alice", b"early"), chat.encrypt("alice", b"late")
    chat.decrypt("bob", late)
    chat.decrypt("bob", early, T0 + SKIPPED_KEY_MAX_AGE)
    tests.append(chat.vector("skipped-key-at-max-age", "A skipped key used exactly 31 days on."))
    return tests


def tampered(name: str, desc: str, mutate: Callable[[bytes], bytes]) -> dict:
    """Bob rejects a mutated type-2 envelope, then accepts the original: state unchanged."""
    chat = Conversation(name)
    chat.handshake()
    original = chat.encrypt("alice", b"origineel")
    chat.decrypt("bob", mutate(original), want_err=ERR)
    chat.decrypt("bob", original)
    return chat.vector(name, desc + " Then the original decrypts.", ERR)


def bad_initial(name: str, desc: str, mutate: Callable[[bytes], bytes]) -> dict:
    """Bob rejects a mutated initial envelope, then accepts the original (prekey kept)."""
    chat = Conversation(name)
    a0 = chat.start(b"a0")
    chat.accept(mutate(a0), want_err=ERR)
    chat.accept(a0)
    return chat.vector(name, desc + " Then the original is accepted.", ERR)


def replace(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


def negative_conversations() -> list[dict]:
    # Type-2 offsets: 0 version, 1 type, 2 DH, 34 PN, 38 N, 42 nonce, 66 ciphertext.
    tests = [
        tampered("tampered-header-bit-7", "Bit 7 of the header's first byte (DH key).",
                 lambda e: flip(e, 2, 7)),
        tampered("tampered-previous-chain-length-bit-0", "Bit 0 of PN's last byte.",
                 lambda e: flip(e, 37, 0)),
        tampered("tampered-message-number-bit-0", "Bit 0 of N's last byte.",
                 lambda e: flip(e, 41, 0)),
        tampered("unknown-envelope-version", "Version byte 0x01 -> 0x02.",
                 lambda e: replace(e, 0, b"\x02")),
        tampered("unknown-envelope-type", "Type byte 0x02 -> 0x03.",
                 lambda e: replace(e, 1, b"\x03")),
        tampered("tampered-nonce-bit-0", "Bit 0 of the nonce's first byte.",
                 lambda e: flip(e, 42, 0)),
        tampered("tampered-ciphertext-bit-0", "Bit 0 of the ciphertext's first byte.",
                 lambda e: flip(e, 66, 0)),
        tampered("tampered-tag-bit-3", "Bit 3 of the tag's first byte.",
                 lambda e: flip(e, -16, 3)),
        tampered("truncated-envelope", "Last byte removed.", lambda e: e[:-1]),
        tampered("extended-envelope", "One zero byte appended.", lambda e: e + b"\x00"),
    ]  # fmt: skip
    # Initial offsets: 2 Ed25519 key, 34 X25519 key, 66 signature, 130 EK, 162 SPK id, 166 OPK id.
    tests += [
        bad_initial("bad-identity-signature-in-initial", "Bit 0 of the identity signature.",
                    lambda e: flip(e, 66, 0)),
        bad_initial("tampered-initial-identity-key-bit-0", "Bit 0 of the X25519 identity key.",
                    lambda e: flip(e, 34, 0)),
        bad_initial("tampered-initial-ephemeral-key-bit-0", "Bit 0 of EK_A.",
                    lambda e: flip(e, 130, 0)),
        bad_initial("unknown-signed-prekey-id", "Signed prekey id 1 -> 3.",
                    lambda e: flip(e, 165, 1)),
        bad_initial("unknown-one-time-prekey-id", "One-time prekey id 2 -> 10.",
                    lambda e: flip(e, 169, 3)),
        bad_initial("low-order-ephemeral-key", "EK_A replaced by a point of order 8.",
                    lambda e: replace(e, 130, LOW_ORDER_POINT)),
    ]  # fmt: skip

    chat = Conversation("replayed-message")
    chat.handshake()
    message = chat.encrypt("alice", b"eenmaal")
    chat.decrypt("bob", message)
    chat.decrypt("bob", message, want_err=ERR)
    chat.decrypt("bob", chat.encrypt("alice", b"daarna"))
    tests.append(chat.vector("replayed-message", "The same envelope delivered twice.", ERR))

    chat = Conversation("replayed-skipped-message")
    chat.handshake()
    first, second = chat.encrypt("alice", b"1"), chat.encrypt("alice", b"2")
    chat.decrypt("bob", second)
    chat.decrypt("bob", first)
    chat.decrypt("bob", first, want_err=ERR)
    tests.append(chat.vector("replayed-skipped-message", "A skipped key is used once.", ERR))

    chat = Conversation("replayed-initial-message")
    a0 = chat.start(b"a0")
    chat.accept(a0)
    chat.accept(a0, want_err=ERR)  # its one-time prekey is gone
    chat.decrypt("bob", a0, want_err=ERR)  # and the session has used its key
    tests.append(chat.vector("replayed-initial-message", "a0 accepted twice, then decrypted.", ERR))

    chat = Conversation("message-envelope-to-accept")
    chat.handshake()
    chat.accept(chat.encrypt("alice", b"type 2"), want_err=ERR)
    tests.append(
        chat.vector("message-envelope-to-accept", "accept needs an initial envelope.", ERR)
    )

    chat = Conversation("initial-envelope-to-initiator")
    a0 = chat.start(b"a0")
    chat.accept(a0)
    chat.decrypt("alice", a0, want_err=ERR)
    tests.append(chat.vector("initial-envelope-to-initiator", "Only responders take those.", ERR))

    chat = Conversation("initial-envelope-for-another-session")
    chat.handshake()
    chat.bundle_opk = 3
    fresh = chat.start(b"nieuwe sessie")
    chat.decrypt("bob", fresh, want_err=ERR)  # other EK_A: not this session's
    chat.accept(fresh)
    tests.append(
        chat.vector("initial-envelope-for-another-session", "Route to accept instead.", ERR)
    )

    chat = Conversation("skip-over-limit")
    chat.handshake()
    chat.discard("alice", 1001)
    chat.decrypt("bob", chat.encrypt("alice", b"1001 skipped"), want_err=ERR)
    tests.append(chat.vector("skip-over-limit", "MAX_SKIP + 1 keys to skip in one chain.", ERR))

    chat = Conversation("skipped-key-expired")
    chat.handshake()
    early, late = chat.encrypt("alice", b"early"), chat.encrypt("alice", b"late")
    chat.decrypt("bob", late)
    chat.decrypt("bob", early, T0 + SKIPPED_KEY_MAX_AGE + 1, want_err=ERR)
    tests.append(chat.vector("skipped-key-expired", "Used 31 days and 1 second on.", ERR))

    chat = Conversation("skipped-key-evicted")
    chat.accept(chat.start(b"a0"))
    oldest = chat.encrypt("alice", b"chain 1, n=1")
    chat.discard("alice", 999)
    chat.decrypt("bob", chat.encrypt("alice", b"chain 1, n=1001"))  # stores 1000 keys
    kept = None
    for chain in (2, 3):
        chat.decrypt("alice", chat.encrypt("bob", f"reply {chain}".encode()))
        first = chat.encrypt("alice", f"chain {chain}, n=0".encode())
        kept = kept or first
        chat.discard("alice", 999)
        chat.decrypt("bob", chat.encrypt("alice", f"chain {chain}, n=1000".encode()))
    chat.decrypt("bob", oldest, want_err=ERR)  # 3000 stored > 2000: chain 1 evicted
    chat.decrypt("bob", kept)
    tests.append(chat.vector("skipped-key-evicted", "Beyond 2000 stored keys the oldest go.", ERR))

    for name, body in (
        ("padding-without-marker", b"abc" + bytes(253)),
        ("padding-nonzero-after-marker", b"abc\x80\x01" + bytes(251)),
    ):
        chat = Conversation(name)
        chat.handshake()
        chat.decrypt("bob", chat.encrypt_padded("alice", body), want_err=ERR)
        chat.decrypt("bob", chat.encrypt("alice", b"daarna"))
        tests.append(chat.vector(name, "Valid AEAD, invalid padding inside.", ERR))
    return tests


def ratchet_vectors() -> dict:
    return vector_file(
        "ratchet",
        "Scripted conversations through the session API (X3DH + Double Ratchet).",
        positive_conversations() + negative_conversations(),
    )


# --- padding.json, envelope.json, fingerprint.json ---------------------------------------


def padding_vectors() -> dict:
    stream = Stream("padding")
    tests = []
    for size in (0, 1, 100, 255, 256, 511, 1000):
        plaintext = stream(size)
        tests.append(
            test_case(
                f"pad-{size}",
                f"{size} bytes into the {padding.bucket_size(size)}-byte bucket.",
                plaintext=plaintext.hex(),
                padded=padding.pad(plaintext).hex(),
            )
        )
    for size in (1023, 1024, 2047, 4095, 8191, 16383, 32767, 32768, 65279):
        tests.append(
            test_case(
                f"bucket-{size}",
                "Bucket choice only (the bytes would be large).",
                plaintext_size=size,
                padded_size=padding.bucket_size(size),
            )
        )
    tests.append(
        test_case(
            "pad-too-large",
            "65280 bytes leave no room for the marker in the last bucket.",
            "PayloadTooLargeError",
            plaintext_size=65280,
        )
    )
    for name, padded, desc in (
        ("unpad-no-marker", bytes(256), "All zero."),
        ("unpad-marker-0x81", b"ab\x81" + bytes(253), "0x81 is not the marker."),
        ("unpad-nonzero-after-marker", b"ab\x80\x01" + bytes(252), "A 1 after the marker."),
        ("unpad-length-255", b"\x80" + bytes(254), "255 bytes is not a bucket."),
        ("unpad-length-300", b"\x80" + bytes(299), "300 bytes is not a bucket."),
    ):
        tests.append(test_case(name, desc, ERR, padded=padded.hex()))
    return vector_file("padding", "ISO/IEC 7816-4 padding to size buckets.", tests)


def envelope_fields(envelope: bytes) -> dict:
    from crypto.envelope import decode_envelope

    decoded = decode_envelope(envelope)
    initial = decoded.initial
    return {
        "version": envelope[0],
        "type": envelope[1],
        "initial": None
        if initial is None
        else {
            "signing_key": initial.identity.signing_key.hex(),
            "agreement_key": initial.identity.agreement_key.hex(),
            "identity_signature": initial.identity.signature.hex(),
            "ephemeral_key": initial.ephemeral_key.hex(),
            "signed_prekey_id": initial.signed_prekey_id,
            "one_time_prekey_id": initial.one_time_prekey_id,
        },
        "dh": decoded.header.dh_public.hex(),
        "pn": decoded.header.previous_chain_length,
        "n": decoded.header.message_number,
        "nonce": decoded.nonce.hex(),
        "ciphertext": decoded.ciphertext.hex(),
        "authenticated_prefix": decoded.prefix.hex(),
    }


def envelope_vectors() -> dict:
    chat = Conversation("envelope-layout")
    chat.handshake()
    initial = bytes.fromhex(chat.steps[0]["envelope"])
    message = chat.encrypt("alice", b"type 2")
    tests = [
        test_case(name, desc, envelope=data.hex(), expected=envelope_fields(data))
        for name, desc, data in (
            ("initial-envelope", "Type 0x01.", initial),
            ("message-envelope", "Type 0x02.", message),
        )
    ]
    for name, data, desc in (
        ("empty", b"", "No bytes."),
        ("version-and-type-only", message[:2], "Two bytes."),
        ("message-truncated-by-one", message[:-1], "Last byte removed."),
        ("initial-truncated-by-one", initial[:-1], "Last byte removed."),
        ("message-extended-by-one", message + b"\x00", "Zero byte appended."),
        ("unknown-version", replace(message, 0, b"\x00"), "Version 0x00."),
        ("unknown-type", replace(message, 1, b"\x00"), "Type 0x00."),
        ("type-changed-to-initial", replace(message, 1, b"\x01"), "Lengths no longer fit."),
        ("ciphertext-not-a-bucket", message[:-16], "256 bytes: a bucket without a tag."),
    ):
        tests.append(test_case(name, desc, ERR, envelope=data.hex()))
    return vector_file("envelope", "Envelope decoding (layout v1).", tests)


# libsignal-protocol-c tests/test_fingerprint.c: keys, stable ids and expected outputs.
LIBSIGNAL_ALICE = "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868"
LIBSIGNAL_BOB = "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b"
LIBSIGNAL_DISPLAY = "300354477692869396892869876765458257569162576843440918079131"
LIBSIGNAL_ALICE_SCANNABLE = "1e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"


def fingerprint_case(
    name: str,
    desc: str,
    source: str,
    local: bytes,
    local_id: bytes,
    remote: bytes,
    remote_id: bytes,
) -> dict:
    case = test_case(
        name,
        desc,
        local_identity=local.hex(),
        local_id=local_id.hex(),
        remote_identity=remote.hex(),
        remote_id=remote_id.hex(),
        expected={
            "local_fingerprint": identity_fingerprint(local, local_id).hex(),
            "remote_fingerprint": identity_fingerprint(remote, remote_id).hex(),
            "safety_number": safety_number(local, local_id, remote, remote_id),
            "qr_payload": qr_payload(local, local_id, remote, remote_id).hex(),
        },
    )
    case["source"] = source
    return case


def fingerprint_vectors() -> dict:
    alice, bob = bytes.fromhex(LIBSIGNAL_ALICE), bytes.fromhex(LIBSIGNAL_BOB)
    libsignal = fingerprint_case(
        "libsignal-test-vector",
        "libsignal's keys (0x05-prefixed) and ids; display and v1 scannable halves match it.",
        "libsignal-protocol-c tests/test_fingerprint.c (DISPLAYABLE_FINGERPRINT, *_V1)",
        alice,
        b"+14152222222",
        bob,
        b"+14153333333",
    )
    assert libsignal["expected"]["safety_number"] == LIBSIGNAL_DISPLAY
    assert libsignal["expected"]["local_fingerprint"].startswith(LIBSIGNAL_ALICE_SCANNABLE)
    tests = [libsignal]
    devices = [make_device(Stream(f"fingerprint-{n}")).public_identity.encode() for n in (1, 2)]
    tests.append(
        fingerprint_case(
            "device-identities",
            "Two 65-byte identity encodings with account ids as stable ids.",
            SOURCE,
            devices[0],
            b"account-0001",
            devices[1],
            b"account-0002",
        )
    )
    # QR verification by the local device of "device-identities": only the payload the
    # *peer* shows is accepted.
    parties = {
        key: tests[1][key] for key in ("local_identity", "local_id", "remote_identity", "remote_id")
    }
    own = bytes.fromhex(tests[1]["expected"]["qr_payload"])
    peer = qr_payload(devices[1], b"account-0002", devices[0], b"account-0001")
    for name, payload, desc, want_err in (
        ("qr-peer-payload", peer, "The peer's payload verifies.", None),
        ("qr-own-payload", own, "The verifier's own payload is not the peer's.", "mismatch"),
        ("qr-unknown-version", b"\x02" + peer[1:], "Version 0x02.", "mismatch"),
        ("qr-tampered-bit-0", flip(peer, 1, 0), "Bit 0 of byte 1.", "mismatch"),
        ("qr-truncated", peer[:-1], "Last byte removed.", "mismatch"),
    ):
        tests.append(test_case(name, desc, want_err, **parties, payload=payload.hex()))
    return vector_file("fingerprint", "Safety numbers and QR payloads.", tests)


def attachment_vectors(build: str) -> Callable[[], dict]:
    """attachment.json / attachment_message.json: built by attachment_cases.py (issue 16)."""

    def load() -> dict:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "steuntje_attachment_cases", HERE / "attachment_cases.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, build)()

    return load


# --- group_log.json --------------------------------------------------------------------


def group_log_vectors() -> dict:
    """Membership logs of peer-support groups (docs/groups.md §2): chains that must fold
    to the given state, and chains whose last record must be refused with a reason."""
    from groups import log as gl
    from groups.log import make_record, make_ticket

    stream = Stream("group_log")
    seeds = {name: stream(32) for name in ("fac", "ann", "ann2", "bob", "cas", "eve")}
    handle = {name: gl._b64(ed25519_public_key(seed)) for name, seed in seeds.items()}
    group = "grp_" + gl._b64(stream(16))
    other_group = "grp_" + gl._b64(stream(16))
    nonces = [gl._b64(stream(16)) for _ in range(4)]
    now = T0

    class Chain:
        def __init__(self) -> None:
            self.records: list = []
            self.state = None

        def add(self, who: str, op: str, group_id: str = group, **fields: object) -> object:
            seq = len(self.records) + 1
            prev = "" if self.state is None else self.state.head
            record = make_record(
                seeds[who], {"group": group_id, "seq": seq, "prev": prev, "op": op, **fields}
            )
            self.records.append(record)
            return record

        def apply_last(self) -> None:
            self.state = gl.apply_record(self.state, self.records[-1], now)

        def push(self, who: str, op: str, **fields: object) -> None:
            self.add(who, op, **fields)
            self.apply_last()

    def ticket(nonce: int, by: str = "fac", expires: int = now + 3600, group_id: str = group):
        return make_ticket(seeds[by], group_id, nonces[nonce], expires).to_wire()

    def state_view(state: object) -> dict:
        return {
            "group": state.group,
            "seq": state.seq,
            "head": state.head,
            "members": [
                {
                    "id": m.id,
                    "role": m.role,
                    "handles": list(m.handles),
                    "muted_until": m.muted_until,
                    "joined_seq": m.joined_seq,
                }
                for m in sorted(state.members.values(), key=lambda m: m.id)
            ],
            "used_tickets": sorted(state.used_tickets),
            "retired": sorted(state.retired),
        }

    def steps(chain: Chain) -> list[dict]:
        return [{"record": r.to_wire(), "now": now} for r in chain.records]

    def base() -> Chain:
        chain = Chain()
        chain.push("fac", "create")
        chain.push("ann", "join", ticket=ticket(0))
        return chain

    tests = []
    # A positive history touching every operation.
    full = base()
    full.push("ann", "device", member=handle["ann"], handle=handle["ann2"])
    full.push("bob", "join", ticket=ticket(1))
    full.push("fac", "mute", member=handle["bob"], until=now + 600)
    full.push("cas", "join", ticket=ticket(2))
    full.push("fac", "role", member=handle["cas"], role="facilitator")
    full.push("cas", "remove", member=handle["bob"])
    full.push("ann2", "leave", member=handle["ann"])
    tests.append(
        test_case(
            "every-operation",
            "create, join, device, join, mute, join, role, remove, leave: folds to this state.",
            None,
            check="log",
            steps=steps(full),
            want=state_view(full.state),
        )
    )

    def refused(name: str, desc: str, reason: str, build: Callable[[Chain], None]) -> None:
        chain = base()
        build(chain)
        with_error = None
        try:
            gl.apply_record(chain.state, chain.records[-1], now)
        except gl.InvalidRecord as error:
            with_error = error.reason
        assert with_error == reason, (name, with_error)
        tests.append(test_case(name, desc, reason, check="log", steps=steps(chain)))

    refused(
        "join-ticket-reused",
        "A second join with a used ticket.",
        "ticket_used",
        lambda c: c.add("bob", "join", ticket=ticket(0)),
    )
    refused(
        "join-ticket-expired",
        "The ticket expired before the relay appended the join.",
        "ticket_expired",
        lambda c: c.add("bob", "join", ticket=ticket(1, expires=now - 1)),
    )
    refused(
        "join-ticket-by-member",
        "A ticket signed by a member, not a facilitator.",
        "ticket_invalid",
        lambda c: c.add("bob", "join", ticket=ticket(1, by="ann")),
    )
    refused(
        "join-ticket-other-group",
        "A ticket for another group.",
        "ticket_invalid",
        lambda c: c.add("bob", "join", ticket=ticket(1, group_id=other_group)),
    )
    refused(
        "join-handle-twice",
        "A handle already in the group joins again.",
        "handle_in_use",
        lambda c: c.add("ann", "join", ticket=ticket(1)),
    )
    refused(
        "remove-by-member",
        "A member tries to remove the facilitator.",
        "not_facilitator",
        lambda c: c.add("ann", "remove", member=handle["fac"]),
    )
    refused(
        "mute-by-member",
        "A member tries to mute someone.",
        "not_facilitator",
        lambda c: c.add("ann", "mute", member=handle["ann"], until=now + 60),
    )
    refused(
        "leave-for-someone-else",
        "A member signs a leave for another member.",
        "not_own_member",
        lambda c: c.add("ann", "leave", member=handle["fac"]),
    )
    refused(
        "last-facilitator-leaves",
        "The only facilitator leaves.",
        "last_facilitator",
        lambda c: c.add("fac", "leave", member=handle["fac"]),
    )
    refused(
        "outsider-signs",
        "A handle that is not in the group signs a removal.",
        "unknown_member",
        lambda c: c.add("eve", "remove", member=handle["ann"]),
    )
    refused(
        "wrong-seq",
        "A record skipping a sequence number.",
        "wrong_seq",
        lambda c: c.records.append(
            make_record(
                seeds["fac"],
                {
                    "group": group,
                    "seq": 4,
                    "prev": c.state.head,
                    "op": "mute",
                    "member": handle["ann"],
                    "until": now + 60,
                },
            )
        ),
    )
    refused(
        "wrong-prev",
        "A record whose prev is not the hash of the last one.",
        "wrong_prev",
        lambda c: c.records.append(
            make_record(
                seeds["fac"],
                {
                    "group": group,
                    "seq": 3,
                    "prev": gl._b64(bytes(32)),
                    "op": "mute",
                    "member": handle["ann"],
                    "until": now + 60,
                },
            )
        ),
    )
    refused(
        "other-group",
        "A record of another group.",
        "wrong_group",
        lambda c: c.add("fac", "mute", group_id=other_group, member=handle["ann"], until=now + 60),
    )
    refused(
        "mute-too-long",
        "A mute longer than 30 days.",
        "mute_too_long",
        lambda c: c.add("fac", "mute", member=handle["ann"], until=now + 31 * 86400),
    )

    def other_spelling(text: str) -> str:
        """The same bytes in base64url with the last character's spare bits set."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return text[:-1] + alphabet[alphabet.index(text[-1]) + 1]

    refused(
        "device-handle-second-spelling",
        "A device record naming a handle in a non-canonical spelling of the same key.",
        "malformed",
        lambda c: c.add(
            "ann", "device", member=handle["ann"], handle=other_spelling(handle["ann2"])
        ),
    )

    def tampered(chain: Chain) -> None:
        record = chain.add("fac", "mute", member=handle["ann"], until=now + 60)
        chain.records[-1] = gl.SignedRecord(
            record.body.replace('"until":', '"until": '), record.sig
        )

    refused("tampered-body", "One space added to a signed body.", "bad_signature", tampered)

    # Device proofs: the added device signs the record too.
    chain = base()
    record = chain.add("ann", "device", member=handle["ann"], handle=handle["ann2"])
    proof = gl.device_proof(seeds["ann2"], record)
    tests.append(
        test_case(
            "device-proof",
            "The new handle's proof verifies.",
            None,
            check="device_proof",
            record=record.to_wire(),
            handle=handle["ann2"],
            proof=proof,
        )
    )
    tests.append(
        test_case(
            "device-proof-wrong-key",
            "A proof made by another key.",
            "bad_proof",
            check="device_proof",
            record=record.to_wire(),
            handle=handle["ann2"],
            proof=gl.device_proof(seeds["eve"], record),
        )
    )
    return vector_file("group_log", "Signed membership logs of groups (docs/groups.md §2).", tests)


def questionnaire_vectors() -> dict:
    """questionnaire.json: built by questionnaire_cases.py beside this file (issue 18)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "steuntje_questionnaire_cases", HERE / "questionnaire_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


GENERATORS = {
    "keys.json": keys_vectors,
    "x3dh.json": x3dh_vectors,
    "ratchet.json": ratchet_vectors,
    "padding.json": padding_vectors,
    "envelope.json": envelope_vectors,
    "fingerprint.json": fingerprint_vectors,
    "attachment.json": attachment_vectors("build_attachment"),
    "attachment_message.json": attachment_vectors("build_attachment_message"),
    "group_log.json": group_log_vectors,
    "questionnaire.json": questionnaire_vectors,
}


def generate() -> dict[str, str]:
    """File name -> exact file text."""
    return {
        name: json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
        for name, build in GENERATORS.items()
    }


def main(argv: list[str]) -> int:
    files = generate()
    if "--check" in argv:
        stale = [
            name
            for name, text in files.items()
            if not (HERE / name).exists() or (HERE / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"{name} differs from the generator's output", file=sys.stderr)
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
