// Runs one parsed Wycheproof file against the primitive wrappers (test code only), with
// the same reading of results as tests/crypto/test_crypto_wycheproof.py:
//
// * X25519: every case must give the listed secret, except ZeroSharedSecret (low-order
//   public keys), which must throw DecryptionError;
// * Ed25519: "valid" verifies, everything else does not (libsodium's strict rules);
// * XChaCha20-Poly1305: "valid" encrypts to ct ‖ tag and decrypts back; others fail;
// * HKDF-SHA256: "valid" gives okm; "invalid" (too long) throws RangeError;
// * HMAC-SHA256: the (truncated) tag matches exactly when "valid".
//
//   runWycheproofFile(json) → [{ name: 'tcId 1', ok, error }], one per case, in order.

import { bytesEqual, concat, fromHex, toHex } from './codec.js';
import { DecryptionError } from './errors.js';
import {
  aeadDecrypt,
  aeadEncrypt,
  ed25519Verify,
  hkdfSha256,
  hmacSha256,
  x25519,
} from './primitives.js';

function throwsA(ErrorClass, action) {
  try {
    action();
  } catch (error) {
    if (error instanceof ErrorClass) return true;
    throw error;
  }
  return false;
}

const CHECKS = {
  XdhComp(group, test) {
    if (test.flags.includes('ZeroSharedSecret')) {
      return throwsA(DecryptionError, () => x25519(fromHex(test.private), fromHex(test.public)));
    }
    return toHex(x25519(fromHex(test.private), fromHex(test.public))) === test.shared;
  },
  EddsaVerify(group, test) {
    const verified = ed25519Verify(
      fromHex(group.publicKey.pk),
      fromHex(test.msg),
      fromHex(test.sig),
    );
    return verified === (test.result === 'valid');
  },
  AeadTest(group, test) {
    const [key, nonce, aad] = [fromHex(test.key), fromHex(test.iv), fromHex(test.aad)];
    const sealed = concat(fromHex(test.ct), fromHex(test.tag));
    if (test.result !== 'valid') {
      return throwsA(DecryptionError, () => aeadDecrypt(key, nonce, sealed, aad));
    }
    return (
      bytesEqual(aeadEncrypt(key, nonce, fromHex(test.msg), aad), sealed) &&
      toHex(aeadDecrypt(key, nonce, sealed, aad)) === test.msg
    );
  },
  HkdfTest(group, test) {
    const args = [fromHex(test.ikm), fromHex(test.salt), fromHex(test.info), test.size];
    if (test.result !== 'valid') return throwsA(RangeError, () => hkdfSha256(...args));
    return toHex(hkdfSha256(...args)) === test.okm;
  },
  MacTest(group, test) {
    const tag = hmacSha256(fromHex(test.key), fromHex(test.msg)).subarray(0, group.tagSize / 8);
    return bytesEqual(tag, fromHex(test.tag)) === (test.result === 'valid');
  },
};

export function runWycheproofFile(file) {
  const results = [];
  for (const group of file.testGroups) {
    const check = CHECKS[group.type];
    if (!check) throw new Error(`no runner for Wycheproof type ${group.type}`);
    for (const test of group.tests) {
      const name = `tcId ${test.tcId}`;
      try {
        const ok = check(group, test);
        results.push({ name, ok, error: ok ? null : `result ${test.result} not reproduced` });
      } catch (error) {
        results.push({ name, ok: false, error: `${error.name}: ${error.message}` });
      }
    }
  }
  return results;
}

// One entry point for both runners, so the pytest side can call either the same way.
export { runWycheproofFile as runVectorFile };
