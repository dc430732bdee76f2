// Safety numbers and their QR payload, as libsignal's NumericFingerprint computes them
// (crypto/fingerprint.py, docs/e2e.md §9).
//
// For each party: h = 0x0000 ‖ Encode(identity) ‖ stableId, then 5200 times
// h = SHA-512(h ‖ Encode(identity)). The safety number is, per party, the first 30 bytes
// as six 5-byte big-endian integers mod 100000 (5 digits each), the two 30-digit halves
// in ascending order: 60 digits, the same on both devices. The QR payload is
// 0x01 ‖ local[0:32] ‖ remote[0:32]. `local` and `remote` are identity encodings
// (PublicIdentity.encode()); ids are bytes (the account id, UTF-8).

import { concat } from './codec.js';
import { equalBytes, sha512 } from './primitives.js';

export const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = Uint8Array.of(0, 0); // libsignal's NumericFingerprint version 0
export const QR_VERSION = 0x01;
const SCANNABLE_SIZE = 32;
const DISPLAY_BYTES = 30;

// The 64-byte iterated SHA-512 fingerprint of one party. Any bytes work as `identity`,
// which is how the vectors check it against libsignal's own test keys.
export function identityFingerprint(identity, stableId) {
  // One buffer reused for h ‖ key: 5200 rounds would otherwise allocate 5200 arrays.
  const buffer = new Uint8Array(64 + identity.length);
  buffer.set(identity, 64);
  let digest = sha512(concat(FINGERPRINT_VERSION, identity, stableId, identity));
  for (let round = 1; round < FINGERPRINT_ITERATIONS; round++) {
    buffer.set(digest, 0);
    digest = sha512(buffer);
  }
  return digest;
}

function displayDigits(fingerprint) {
  let digits = '';
  for (let offset = 0; offset < DISPLAY_BYTES; offset += 5) {
    let chunk = 0;
    // 5 bytes < 2^53, so a Number holds the integer exactly.
    for (let i = 0; i < 5; i++) chunk = chunk * 256 + fingerprint[offset + i];
    digits += String(chunk % 100000).padStart(5, '0');
  }
  return digits;
}

// The 60-digit safety number; identical on both devices.
export function safetyNumber(local, localId, remote, remoteId) {
  const halves = [
    displayDigits(identityFingerprint(local, localId)),
    displayDigits(identityFingerprint(remote, remoteId)),
  ].sort();
  return halves[0] + halves[1];
}

// Twelve groups of five digits, the way people read them out to each other.
export function formatSafetyNumber(number) {
  return number.match(/.{1,5}/g).join(' ');
}

// The bytes to show as a QR code: version, own half, then the peer's half.
export function qrPayload(local, localId, remote, remoteId) {
  return concat(
    Uint8Array.of(QR_VERSION),
    identityFingerprint(local, localId).subarray(0, SCANNABLE_SIZE),
    identityFingerprint(remote, remoteId).subarray(0, SCANNABLE_SIZE),
  );
}

// True when a QR scanned from the peer's screen matches what this device computes
// (constant-time comparison).
export function verifyQrPayload(payload, local, localId, remote, remoteId) {
  const expected = qrPayload(remote, remoteId, local, localId); // the peer's point of view
  return payload.length === expected.length && equalBytes(payload, expected);
}
