"""tests/vectors/attachment.json and attachment_message.json through the public API.

The browser runs the same files (clients/web/crypto/vectors-runner.js, in
tests/web/test_js_vectors.py); test_crypto_vectors.py checks they are the generator's
output. Positive blobs are also rebuilt here by an independent construction: HKDF and
ChaCha20-Poly1305 from pyca/cryptography (OpenSSL) with HChaCha20 written out below from
its specification, so the vectors do not only agree with the code that made them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from pathlib import Path
from types import ModuleType

import nacl.bindings as sodium
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.attachment import (
    CHUNK_SIZE,
    Decryptor,
    Encryptor,
    ciphertext_size,
    commitment,
    decrypt_bytes,
    encrypt_bytes,
)
from crypto.errors import AttachmentError
from steuntje_client.messages import InvalidMessage, Message, decode, encode, validate

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load_cases_module() -> ModuleType:
    """attachment_cases.py: `pattern` and `apply_mutations`, the vectors' two recipes."""
    spec = importlib.util.spec_from_file_location(
        "steuntje_attachment_cases", VECTORS / "attachment_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = load_cases_module()


def cases(name: str) -> pytest.MarkDecorator:
    tests = json.loads((VECTORS / name).read_text(encoding="utf-8"))["tests"]
    return pytest.mark.parametrize("case", tests, ids=[test["name"] for test in tests])


def pieces(data: bytes, sizes: tuple[int, ...] = (1, 7919, 65_536, 100_003)) -> list[bytes]:
    """``data`` cut at sizes that straddle chunk boundaries, cycling through ``sizes``."""
    out, offset, turn = [], 0, 0
    while offset < len(data):
        size = sizes[turn % len(sizes)]
        out.append(data[offset : offset + size])
        offset, turn = offset + size, turn + 1
    return out


@cases("attachment.json")
def test_attachment(case: dict) -> None:
    key, commit = bytes.fromhex(case["key"]), bytes.fromhex(case["commitment"])
    if case["want_err"] is not None:
        check_refused(case, key, commit)
        return
    plaintext = CASES.pattern(case["plaintext_size"], case["plaintext_start"])
    assert commitment(key) == commit
    blob = encrypt_bytes(key, plaintext)
    assert len(blob) == case["blob_size"] == ciphertext_size(len(plaintext))
    assert hashlib.sha256(blob).hexdigest() == case["blob_sha256"]
    assert blob.hex() == case.get("blob", blob.hex())
    assert independent_blob(key, plaintext) == blob
    encryptor = Encryptor(key)
    streamed = b"".join(encryptor.push(piece) for piece in pieces(plaintext)) + encryptor.finish()
    assert streamed == blob
    assert (encryptor.sha256, encryptor.size) == (case["blob_sha256"], case["blob_size"])
    checks = {"sha256": case["blob_sha256"], "size": case["blob_size"]}
    assert decrypt_bytes(key, commit, blob, **checks) == plaintext
    decryptor = Decryptor(key, commit)
    released = b"".join(decryptor.push(piece) for piece in pieces(blob)) + decryptor.finish()
    assert released == plaintext


def check_refused(case: dict, key: bytes, commit: bytes) -> None:
    blob = CASES.attachment_blob(case["blob_from"])
    assert hashlib.sha256(blob).hexdigest() == case["blob_sha256"]
    mutated = CASES.apply_mutations(blob, case["mutations"])
    assert hashlib.sha256(mutated).hexdigest() == case["mutated_sha256"]
    checks = {"sha256": case["check_sha256"], "size": case["check_size"]}
    with pytest.raises(AttachmentError) as refused:
        decrypt_bytes(key, commit, mutated, **checks)
    assert refused.value.reason == case["want_err"]
    if checks == {"sha256": None, "size": None}:
        # The streaming decryptor, fed in odd pieces, refuses with the same reason.
        with pytest.raises(AttachmentError) as streamed:
            decryptor = Decryptor(key, commit)
            for piece in pieces(mutated):
                decryptor.push(piece)
            decryptor.finish()
        assert streamed.value.reason == case["want_err"]


@cases("attachment_message.json")
def test_attachment_message(case: dict) -> None:
    fields = case["fields"]
    if case["want_err"] is not None:
        with pytest.raises(InvalidMessage):
            validate("attachment", fields)
        document = {"v": 1, "k": "attachment", "id": "x", "t": 1, "c": "acc_x", **fields}
        with pytest.raises(InvalidMessage):
            decode(json.dumps(document).encode())
        return
    head = case["message"]
    message = Message("attachment", fields, head["c"], head["t"], head["id"])
    assert encode(message).decode() == case["plaintext"]
    decoded = decode(case["plaintext"].encode())
    assert (decoded.fields, decoded.id, decoded.sent_at) == (fields, head["id"], head["t"])


# --- an independent construction of the blob -------------------------------------------


def rotl(value: int, count: int) -> int:
    return ((value << count) | (value >> (32 - count))) & 0xFFFFFFFF


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """HChaCha20 (draft-irtf-cfrg-xchacha §2.2): 20 ChaCha rounds, no final addition,
    output words 0-3 and 12-15."""
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def quarter(a: int, b: int, c: int, d: int) -> None:
        state[a] = (state[a] + state[b]) & 0xFFFFFFFF
        state[d] = rotl(state[d] ^ state[a], 16)
        state[c] = (state[c] + state[d]) & 0xFFFFFFFF
        state[b] = rotl(state[b] ^ state[c], 12)
        state[a] = (state[a] + state[b]) & 0xFFFFFFFF
        state[d] = rotl(state[d] ^ state[a], 8)
        state[c] = (state[c] + state[d]) & 0xFFFFFFFF
        state[b] = rotl(state[b] ^ state[c], 7)

    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15)):
            quarter(a, b, c, d)
        for a, b, c, d in ((0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            quarter(a, b, c, d)
    return struct.pack("<8I", *state[0:4], *state[12:16])


def xchacha20poly1305_seal(key: bytes, nonce24: bytes, plaintext: bytes) -> bytes:
    """XChaCha20-Poly1305 as the draft builds it: an HChaCha20 subkey, then the IETF AEAD
    (pyca/cryptography) with 4 zero bytes ‖ the nonce's last 8 bytes."""
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(bytes(4) + nonce24[16:], plaintext, None)


def independent_blob(key: bytes, plaintext: bytes) -> bytes:
    """docs/e2e.md §15 from its text, sharing no code with crypto/attachment.py."""

    def hkdf(info: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(key)

    payload_key = hkdf(b"steuntje attachment v1 payload")
    chunks = [plaintext[i : i + CHUNK_SIZE] for i in range(0, len(plaintext), CHUNK_SIZE)]
    chunks = chunks or [b""]
    blob = hkdf(b"steuntje attachment v1 commit")  # the blob starts with the commitment
    for counter, chunk in enumerate(chunks):
        flag = b"\x01" if counter == len(chunks) - 1 else b"\x00"
        nonce = bytes(15) + counter.to_bytes(8, "big") + flag
        blob += xchacha20poly1305_seal(payload_key, nonce, chunk)
    return blob


def test_independent_xchacha_agrees_with_libsodium() -> None:
    # The draft's own HChaCha20 example (§2.2.1), then libsodium on a seeded input.
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    assert hchacha20(key, nonce).hex() == (
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    )
    nonce24 = hashlib.sha256(b"nonce").digest()[:24]
    message = hashlib.sha256(b"message").digest() * 5
    expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, None, nonce24, key)
    assert xchacha20poly1305_seal(key, nonce24, message) == expected
