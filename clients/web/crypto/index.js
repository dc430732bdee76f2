// End-to-end encryption for Steuntje's web client: the JavaScript port of the Python
// package crypto/, byte for byte (docs/e2e.md; proven by tests/vectors/ in a browser).
//
// Same names as crypto/__init__.py's __all__: classes keep their names, functions and
// methods are camelCase, bytes are Uint8Array, `now` is integer Unix seconds, `rng` is an
// optional (n) => Uint8Array defaulting to crypto.getRandomValues. Synchronous; no DOM,
// no network, no storage. Tuples come back as arrays: const [session, envelope] = ….

export { ENVELOPE_VERSION, MAX_ENVELOPE_SIZE } from './envelope.js';
export { CryptoError, DecryptionError, PayloadTooLargeError, StateError } from './errors.js';
export {
  formatSafetyNumber,
  identityFingerprint,
  qrPayload,
  safetyNumber,
  verifyQrPayload,
} from './fingerprint.js';
export {
  DeviceKeys,
  IdentityKeyPair,
  OneTimePrekey,
  PrekeyBundle,
  PublicIdentity,
  SignedPrekey,
  verifyAuthChallenge,
} from './keys.js';
export { BUCKETS, MAX_PLAINTEXT_SIZE, pad, unpad } from './padding.js';
export { acceptSession, Session, startSession } from './session.js';
