// Thin wrappers around the stock primitives, so every caller gets the same checks
// (crypto/primitives.py). The algorithms are @noble's, vendored in ../vendor/noble-2.4.0.js:
//
// * x25519 refuses an all-zero shared secret (a low-order or small-subgroup public key),
//   as X3DH allows and libsodium does;
// * ed25519Verify has libsodium's strict rules: noble's `zip215: false` (canonical A, R
//   and S, no small-order A) plus libsodium's two extra refusals, a small-order R and a
//   signature that only holds in the cofactored equation (docs/e2e.md §1.2);
// * aeadDecrypt turns every failure into the opaque DecryptionError.
//
// `rng` everywhere is a function (n) => Uint8Array; defaultRandom is the browser's CSPRNG.

import {
  ed25519,
  equalBytes,
  hkdf,
  hmac,
  sha256,
  sha512,
  x25519 as nobleX25519,
  xchacha20poly1305,
} from '../vendor/noble-2.4.0.js';
import { concat } from './codec.js';
import { DecryptionError } from './errors.js';

export const KEY_SIZE = 32; // X25519 and Ed25519 keys, seeds, XChaCha20 keys, HMAC output
export const SIGNATURE_SIZE = 64;
export const NONCE_SIZE = 24; // XChaCha20-Poly1305: large enough to pick at random
export const TAG_SIZE = 16;
const HASH_SIZE = 32;
const ZERO_SHARED_SECRET = new Uint8Array(KEY_SIZE);

export function defaultRandom(size) {
  // getRandomValues refuses more than 65536 bytes at once; the protocol asks for 24 or 32.
  return globalThis.crypto.getRandomValues(new Uint8Array(size));
}

// Draw `size` bytes from a caller's rng and refuse a wrong answer, as Python's callers do.
export function draw(rng, size) {
  const value = rng(size);
  if (!(value instanceof Uint8Array) || value.length !== size) {
    throw new TypeError('rng returned the wrong number of bytes');
  }
  return value;
}

export function requireBytes(value, name) {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  return value;
}

export function x25519PublicKey(privateKey) {
  if (requireBytes(privateKey, 'private key').length !== KEY_SIZE) {
    throw new TypeError('X25519 private key must be 32 bytes');
  }
  return nobleX25519.getPublicKey(privateKey);
}

// X25519 Diffie-Hellman; DecryptionError for a wrong size or an all-zero output.
export function x25519(privateKey, publicKey) {
  if (privateKey.length !== KEY_SIZE || publicKey.length !== KEY_SIZE) {
    throw new DecryptionError();
  }
  let shared;
  try {
    shared = nobleX25519.getSharedSecret(privateKey, publicKey);
  } catch {
    throw new DecryptionError(); // noble throws on an all-zero result itself
  }
  // Checked again so the contract holds whatever the library version does.
  if (equalBytes(shared, ZERO_SHARED_SECRET)) throw new DecryptionError();
  return shared;
}

export function ed25519PublicKey(seed) {
  if (requireBytes(seed, 'seed').length !== KEY_SIZE) {
    throw new TypeError('Ed25519 seed must be 32 bytes');
  }
  return ed25519.getPublicKey(seed);
}

// Deterministic RFC 8032 signature (64 bytes).
export function ed25519Sign(seed, message) {
  if (requireBytes(seed, 'seed').length !== KEY_SIZE) {
    throw new TypeError('Ed25519 seed must be 32 bytes');
  }
  return ed25519.sign(message, seed);
}

// True for a valid signature under libsodium's crypto_sign_verify_detached rules.
export function ed25519Verify(publicKey, message, signature) {
  if (publicKey.length !== KEY_SIZE || signature.length !== SIGNATURE_SIZE) return false;
  try {
    if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false;
    return libsodiumExtraChecks(publicKey, message, signature);
  } catch {
    return false;
  }
}

// What libsodium refuses beyond noble's strict mode: R of small order, and a signature
// that satisfies only the cofactored equation 8(SB) = 8(R + kA), not SB = R + kA itself
// (libsodium recomputes R and compares encodings). Only a key's owner can craft either,
// but Python and the browser must agree on every signature.
function libsodiumExtraChecks(publicKey, message, signature) {
  const { Point } = ed25519;
  const encodedR = signature.subarray(0, 32);
  if (Point.fromBytes(encodedR).isSmallOrder()) return false;
  const order = Point.Fn.ORDER;
  const k = bytesToNumberLE(sha512(concat(encodedR, publicKey, message))) % order;
  const s = bytesToNumberLE(signature.subarray(32));
  const A = Point.fromBytes(publicKey);
  const check = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  return equalBytes(check.toBytes(), encodedR);
}

function bytesToNumberLE(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

export function hmacSha256(key, message) {
  return hmac(sha256, key, message);
}

// HKDF-SHA256 (RFC 5869); an empty salt means 32 zero bytes, as the RFC says.
export function hkdfSha256(ikm, salt, info, length) {
  if (!(length > 0 && length <= 255 * HASH_SIZE)) {
    throw new RangeError('HKDF-SHA256 output must be 1 to 8160 bytes');
  }
  return hkdf(sha256, ikm, salt.length ? salt : new Uint8Array(HASH_SIZE), info, length);
}

// XChaCha20-Poly1305-IETF; returns ciphertext followed by the 16-byte tag.
export function aeadEncrypt(key, nonce, plaintext, associatedData) {
  if (key.length !== KEY_SIZE || nonce.length !== NONCE_SIZE) {
    throw new TypeError('XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce');
  }
  return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext);
}

export function aeadDecrypt(key, nonce, ciphertext, associatedData) {
  if (key.length !== KEY_SIZE || nonce.length !== NONCE_SIZE || ciphertext.length < TAG_SIZE) {
    throw new DecryptionError();
  }
  try {
    return xchacha20poly1305(key, nonce, associatedData).decrypt(ciphertext);
  } catch {
    throw new DecryptionError();
  }
}

export { equalBytes, sha256, sha512 };
