"""The browser's crypto (clients/web/crypto/) passes every shared test vector, in Chromium.

The same files that tests/crypto/test_crypto_vectors.py runs against the Python package
are loaded here, passed into a page served by the real relay (under its real CSP), and
run by clients/web/crypto/vectors-runner.js through the port's public modules. Every case
must report a result and pass: a case that is skipped, a file with no runner (a new
vector file added without teaching the runner its schema) or a runner result that does
not match the file's cases fails the test. Together with the Python run this proves the
two implementations byte-compatible (docs/e2e.md §13).

tests/vectors/audit/ is not collected: those vectors are for the audit package's Merkle
log (verified by the officer's tools), not for the client's end-to-end crypto.

The primitives are also checked against the Wycheproof files the Python wrappers are
tested with (docs/e2e.md §1.3), so @noble's results are known to equal libsodium's; the
test reads them from tests/vectors/third_party/wycheproof/ and passes them into the page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crypto.primitives import ed25519_verify

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
WYCHEPROOF = VECTORS / "third_party" / "wycheproof"  # upstream commit: SOURCE.txt there
WYCHEPROOF_FILES = {
    "x25519_test.json": 518,
    "ed25519_test.json": 151,
    "xchacha20_poly1305_test.json": 315,
    "hkdf_sha256_test.json": 86,
    "hmac_sha256_test.json": 174,
}

# A signature that holds only in the cofactored equation: R = rB + T with T of order 8,
# made with the seed 07 × 32 over the message 010203. libsodium refuses it, noble's strict
# mode accepts it, so primitives.js adds libsodium's check (docs/e2e.md §1.2).
MIXED_ORDER_R = {
    "pk": "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
    "msg": "010203",
    "sig": "6a84d583f06569edb3f5ed77df65544b27d6948b4f0b2cb76f33dd8413b20719"
    "99952cf0858ff20462160f67b43983a6da1fb2a5a6664c82d301a7217dcf1609",
}

# Runs inside the page: import the runner as the app would import the crypto, feed it one
# parsed file, return the per-case results. page.evaluate's argument travels as JSON.
RUN_FILE = """async ([runner, file]) => {
  const module = await import(runner);
  return module.runVectorFile(file);
}"""


def vector_files() -> list[Path]:
    """Every top-level vector file; a new one is picked up without editing this test."""
    files = sorted(VECTORS.glob("*.json"))
    assert files, f"no vector files in {VECTORS}"
    return files


async def open_app_page(browser: object, relay: object) -> tuple[object, list[str]]:
    """A page on the relay's own origin (imports run under its CSP), and its JS errors."""
    page = await browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = await page.goto(relay.url + "/")  # type: ignore[attr-defined]
    assert response is not None and response.ok
    return page, errors


def failures(file: str, tests: list[dict], results: list[dict]) -> list[str]:
    """Problems with one file's results: a missing, extra or failing case each give one."""
    names = [test["name"] for test in tests]
    assert len(names) == len(set(names)), f"{file}: duplicate case names"
    problems = []
    if [result["name"] for result in results] != names:
        problems.append(f"{file}: the runner did not report exactly the file's cases")
    for result in results:
        if not result["ok"]:
            problems.append(f"{file} {result['name']}: {result['error']}")
    return problems


async def test_every_vector_case_passes_in_chromium(browser: object, relay: object) -> None:
    page, errors = await open_app_page(browser, relay)
    problems: list[str] = []
    counts = {}
    for path in vector_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        results = await page.evaluate(RUN_FILE, ["/app/crypto/vectors-runner.js", data])
        problems += failures(path.name, data["tests"], results)
        counts[path.name] = sum(result["ok"] for result in results)
    assert problems == [], "\n".join(problems)
    # Positive and negative cases of every file ran (the ratchet file alone has 34).
    assert all(count > 0 for count in counts.values()), counts
    assert errors == []


async def test_the_runner_is_not_vacuous(browser: object, relay: object) -> None:
    """A wrong expected value fails its case, and an unknown schema fails the whole file."""
    page, errors = await open_app_page(browser, relay)
    data = json.loads((VECTORS / "keys.json").read_text(encoding="utf-8"))
    case = next(test for test in data["tests"] if test["want_err"] is None)
    wrong = case["expected"]["auth_signature"]
    case["expected"]["auth_signature"] = ("0" if wrong[0] != "0" else "1") + wrong[1:]
    negative = next(test for test in data["tests"] if test["want_err"])
    negative["want_err"] = None  # now claims a bad bundle is good: must fail too
    results = await page.evaluate(
        RUN_FILE, ["/app/crypto/vectors-runner.js", {**data, "tests": [case, negative]}]
    )
    assert [result["ok"] for result in results] == [False, False]
    assert "auth signature" in results[0]["error"]
    unknown = {"schema": "steuntje-e2e/unknown/v1", "tests": data["tests"]}
    with pytest.raises(Exception, match="no runner for vector schema"):
        await page.evaluate(RUN_FILE, ["/app/crypto/vectors-runner.js", unknown])
    assert errors == []


async def test_every_wycheproof_case_passes_in_chromium(browser: object, relay: object) -> None:
    page, errors = await open_app_page(browser, relay)
    problems: list[str] = []
    for name, expected_count in WYCHEPROOF_FILES.items():
        path = WYCHEPROOF / name
        assert path.is_file(), f"Wycheproof file missing: {path}"  # a failure, never a skip
        data = json.loads(path.read_text(encoding="utf-8"))
        tests = [test for group in data["testGroups"] for test in group["tests"]]
        assert len(tests) == data["numberOfTests"] == expected_count, name
        results = await page.evaluate(
            RUN_FILE, ["/app/crypto/wycheproof-runner.js", {"name": name, **data}]
        )
        expected_names = [f"tcId {test['tcId']}" for test in tests]
        if [result["name"] for result in results] != expected_names:
            problems.append(f"{name}: the runner did not report exactly the file's cases")
        problems += [f"{name} {r['name']}: {r['error']}" for r in results if not r["ok"]]
    assert problems == [], "\n".join(problems)
    assert errors == []


async def test_signature_rules_equal_libsodium_beyond_wycheproof(
    browser: object, relay: object
) -> None:
    public_key, message, signature = (bytes.fromhex(MIXED_ORDER_R[k]) for k in ("pk", "msg", "sig"))
    assert not ed25519_verify(public_key, message, signature)  # libsodium refuses it
    page, errors = await open_app_page(browser, relay)
    verdicts = await page.evaluate(
        """async ({ pk, msg, sig }) => {
          const { ed25519, hexToBytes } = await import('/app/vendor/noble-2.4.0.js');
          const { ed25519Verify } = await import('/app/crypto/primitives.js');
          const [key, message, signature] = [pk, msg, sig].map(hexToBytes);
          return {
            noble: ed25519.verify(signature, message, key, { zip215: false }),
            port: ed25519Verify(key, message, signature),
          };
        }""",
        MIXED_ORDER_R,
    )
    assert verdicts == {"noble": True, "port": False}
    assert errors == []
