"""Every wrapper in crypto.primitives against every case of the Wycheproof files it wraps.

The files are in tests/vectors/third_party/wycheproof/ (C2SP/wycheproof; SOURCE.txt there
names the upstream commit). A missing file fails the run: these tests are the reason to
trust the wrappers.

How results map to our wrappers:

* X25519: "valid" and "acceptable" cases must give the listed shared secret, except
  the cases whose shared secret is all zero (Wycheproof flags them ZeroSharedSecret,
  result "acceptable": low-order public keys). Those must raise, as X3DH permits.
* Ed25519 verify: "valid" must verify, "invalid" must not (libsodium's strict rules).
* XChaCha20-Poly1305: "valid" must encrypt to ct||tag and decrypt back; "invalid"
  (modified tags, wrong nonce sizes) must fail with DecryptionError.
* HKDF-SHA256: "valid" must give okm; "invalid" (output too long) must raise ValueError.
* HMAC-SHA256: the tag (possibly truncated to tagSize) matches exactly for "valid" and
  differs for "invalid".
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

import pytest

from crypto.errors import DecryptionError
from crypto.primitives import (
    aead_decrypt,
    aead_encrypt,
    ed25519_verify,
    hkdf_sha256,
    hmac_sha256,
    x25519,
)

WYCHEPROOF = Path(__file__).resolve().parents[1] / "vectors" / "third_party" / "wycheproof"
EXPECTED_COUNTS = {
    "x25519_test.json": 518,
    "ed25519_test.json": 151,
    "xchacha20_poly1305_test.json": 315,
    "hkdf_sha256_test.json": 86,
    "hmac_sha256_test.json": 174,
}


def groups(name: str) -> list[tuple[dict, dict]]:
    """(group, test) pairs; a missing or short file is a failure, never a skip."""
    path = WYCHEPROOF / name
    assert path.is_file(), f"Wycheproof file missing: {path} (see {WYCHEPROOF.parent}/README.md)"
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs = [(group, test) for group in data["testGroups"] for test in group["tests"]]
    assert len(pairs) == data["numberOfTests"] == EXPECTED_COUNTS[name]
    return pairs


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_x25519() -> None:
    zero_cases = 0
    for _, test in groups("x25519_test.json"):
        assert test["result"] in ("valid", "acceptable"), test["tcId"]
        if "ZeroSharedSecret" in test["flags"]:
            assert test["shared"] == "00" * 32
            zero_cases += 1
            with pytest.raises(DecryptionError):
                x25519(h(test["private"]), h(test["public"]))
        else:
            assert x25519(h(test["private"]), h(test["public"])).hex() == test["shared"], test
    assert zero_cases == 31  # every low-order public key Wycheproof lists


def test_ed25519_verify() -> None:
    for group, test in groups("ed25519_test.json"):
        public_key = h(group["publicKey"]["pk"])
        verified = ed25519_verify(public_key, h(test["msg"]), h(test["sig"]))
        assert verified is (test["result"] == "valid"), test["tcId"]


def test_xchacha20_poly1305() -> None:
    for _, test in groups("xchacha20_poly1305_test.json"):
        key, nonce, aad = h(test["key"]), h(test["iv"]), h(test["aad"])
        sealed = h(test["ct"]) + h(test["tag"])
        if test["result"] == "valid":
            assert aead_encrypt(key, nonce, h(test["msg"]), aad) == sealed, test["tcId"]
            assert aead_decrypt(key, nonce, sealed, aad) == h(test["msg"]), test["tcId"]
        else:
            with pytest.raises(DecryptionError):
                aead_decrypt(key, nonce, sealed, aad)


def test_hkdf_sha256() -> None:
    for _, test in groups("hkdf_sha256_test.json"):
        arguments = (h(test["ikm"]), h(test["salt"]), h(test["info"]), test["size"])
        if test["result"] == "valid":
            assert hkdf_sha256(*arguments).hex() == test["okm"], test["tcId"]
        else:
            with pytest.raises(ValueError):
                hkdf_sha256(*arguments)


def test_hmac_sha256() -> None:
    for group, test in groups("hmac_sha256_test.json"):
        tag = hmac_sha256(h(test["key"]), h(test["msg"]))[: group["tagSize"] // 8]
        matches = hmac.compare_digest(tag, h(test["tag"]))
        assert matches is (test["result"] == "valid"), test["tcId"]
