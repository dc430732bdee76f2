// Device keys: identity, signed prekeys, one-time prekeys and their encodings
// (crypto/keys.py, docs/e2e.md §2).
//
// Each device has an Ed25519 signing key (its identity proper: it signs the X25519
// identity key, every signed prekey and the relay's challenges) and an X25519 identity
// key for X3DH. Every signature covers a NUL-terminated label first, so a signature made
// for one purpose is never valid for another. Serialisation (§8.2) is byte-identical to
// Python's, so either client can read the other's saved keys.
//
// Private keys never appear in toString() or JSON.stringify(): ids and counts only.

import { bytesEqual, concat, Reader, toHex, u32Bytes, Writer } from './codec.js';
import { DecryptionError, StateError } from './errors.js';
import {
  defaultRandom,
  draw,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  KEY_SIZE,
  requireBytes,
  sha256,
  SIGNATURE_SIZE,
  x25519PublicKey,
} from './primitives.js';

const ascii = (text) => new TextEncoder().encode(text);
export const IDENTITY_LABEL = ascii('steuntje/v1/sig/identity-key\0');
export const PREKEY_LABEL = ascii('steuntje/v1/sig/signed-prekey\0');
export const AUTH_CHALLENGE_LABEL = ascii('steuntje/v1/sig/auth-challenge\0');
const IDENTITY_ENCODING_VERSION = 0x01;
const BUNDLE_VERSION = 0x01;
const DEVICE_KEYS_MAGIC = ascii('stdk');
const DEVICE_KEYS_VERSION = 1;

// A signed prekey older than this should be replaced (Signal rotates every 2-7 days).
export const SIGNED_PREKEY_ROTATION = 7 * 86400;
// A replaced signed prekey is kept this long so queued initial messages still decrypt.
export const SIGNED_PREKEY_GRACE = 31 * 86400;
const MAX_KEY_ID = 0xffffffff; // ids are u32 on the wire; 0 means "none"

// Short non-secret label for logs: the first 4 bytes of SHA-256 of a public value.
function keyIdOf(data) {
  return toHex(sha256(data).subarray(0, 4));
}

function prekeyMessage(keyId, publicKey) {
  return concat(u32Bytes(keyId), publicKey);
}

// A device's public identity: Ed25519 key, X25519 key and the binding signature.
export class PublicIdentity {
  constructor(signingKey, agreementKey, signature) {
    this.signingKey = requireBytes(signingKey, 'signingKey');
    this.agreementKey = requireBytes(agreementKey, 'agreementKey');
    this.signature = requireBytes(signature, 'signature');
    Object.freeze(this);
  }

  // The 65-byte identity encoding used in AD and safety numbers.
  encode() {
    return concat(Uint8Array.of(IDENTITY_ENCODING_VERSION), this.signingKey, this.agreementKey);
  }

  // True when the X25519 key is signed by the Ed25519 key.
  verify() {
    return (
      this.agreementKey.length === KEY_SIZE &&
      ed25519Verify(this.signingKey, concat(IDENTITY_LABEL, this.agreementKey), this.signature)
    );
  }

  get keyId() {
    return keyIdOf(this.encode());
  }

  toString() {
    return `PublicIdentity(keyId=${this.keyId})`;
  }

  toJSON() {
    return this.toString();
  }
}

// The two long-term private keys of a device, with the derived public identity.
export class IdentityKeyPair {
  constructor(signingSeed, agreementPrivate, publicIdentity) {
    this.signingSeed = signingSeed;
    this.agreementPrivate = agreementPrivate;
    this.public = publicIdentity;
    Object.freeze(this);
  }

  // Rebuild from the two 32-byte private values (signatures are deterministic).
  static fromPrivate(signingSeed, agreementPrivate) {
    const agreementPublic = x25519PublicKey(agreementPrivate);
    const publicIdentity = new PublicIdentity(
      ed25519PublicKey(signingSeed),
      agreementPublic,
      ed25519Sign(signingSeed, concat(IDENTITY_LABEL, agreementPublic)),
    );
    return new IdentityKeyPair(signingSeed.slice(), agreementPrivate.slice(), publicIdentity);
  }

  static generate(rng = defaultRandom) {
    return IdentityKeyPair.fromPrivate(draw(rng, KEY_SIZE), draw(rng, KEY_SIZE));
  }

  // Sign label ‖ message; only this package's fixed labels are passed in.
  sign(label, message) {
    return ed25519Sign(this.signingSeed, concat(label, message));
  }

  toString() {
    return `IdentityKeyPair(keyId=${this.public.keyId})`;
  }

  toJSON() {
    return this.toString();
  }
}

// A medium-term X25519 prekey signed by the identity's Ed25519 key.
export class SignedPrekey {
  constructor(keyId, privateKey, publicKey, signature, createdAt) {
    Object.assign(this, { keyId, privateKey, publicKey, signature, createdAt });
    Object.freeze(this);
  }

  static create(identity, keyId, privateKey, createdAt) {
    const publicKey = x25519PublicKey(privateKey);
    const signature = identity.sign(PREKEY_LABEL, prekeyMessage(keyId, publicKey));
    return new SignedPrekey(keyId, privateKey.slice(), publicKey, signature, createdAt);
  }

  toString() {
    return `SignedPrekey(keyId=${this.keyId}, createdAt=${this.createdAt})`;
  }

  toJSON() {
    return this.toString();
  }
}

// A single-use X25519 prekey; deleted as soon as an initial message used it.
export class OneTimePrekey {
  constructor(keyId, privateKey, publicKey) {
    Object.assign(this, { keyId, privateKey, publicKey });
    Object.freeze(this);
  }

  static create(keyId, privateKey) {
    return new OneTimePrekey(keyId, privateKey.slice(), x25519PublicKey(privateKey));
  }

  toString() {
    return `OneTimePrekey(keyId=${this.keyId})`;
  }

  toJSON() {
    return this.toString();
  }
}

// What an initiator fetches from the relay to start a session; all public.
export class PrekeyBundle {
  constructor(
    identity,
    signedPrekeyId,
    signedPrekey,
    signedPrekeySignature,
    oneTimePrekeyId = 0,
    oneTimePrekey = null,
  ) {
    Object.assign(this, {
      identity,
      signedPrekeyId,
      signedPrekey,
      signedPrekeySignature,
      oneTimePrekeyId,
      oneTimePrekey,
    });
    Object.freeze(this);
  }

  // Both signatures valid: the identity binding and the signed prekey.
  verify() {
    return (
      this.identity.verify() &&
      this.signedPrekey.length === KEY_SIZE &&
      ed25519Verify(
        this.identity.signingKey,
        concat(PREKEY_LABEL, prekeyMessage(this.signedPrekeyId, this.signedPrekey)),
        this.signedPrekeySignature,
      )
    );
  }

  // Versioned encoding (docs/e2e.md §2.5): 233 or 265 bytes.
  toBytes() {
    const writer = new Writer().u8(BUNDLE_VERSION);
    writer.raw(this.identity.signingKey).raw(this.identity.agreementKey);
    writer.raw(this.identity.signature);
    writer.u32(this.signedPrekeyId).raw(this.signedPrekey);
    writer.raw(this.signedPrekeySignature).u32(this.oneTimePrekeyId);
    if (this.oneTimePrekeyId) writer.raw(this.oneTimePrekey ?? new Uint8Array(0));
    return writer.toBytes();
  }

  // Decode a bundle; malformed input throws DecryptionError (it came off the network).
  static fromBytes(data) {
    const reader = new Reader(requireBytes(data, 'bundle'), () => new DecryptionError());
    if (reader.u8() !== BUNDLE_VERSION) throw new DecryptionError();
    const identity = new PublicIdentity(
      reader.raw(KEY_SIZE),
      reader.raw(KEY_SIZE),
      reader.raw(SIGNATURE_SIZE),
    );
    const spkId = reader.u32();
    const spk = reader.raw(KEY_SIZE);
    const spkSignature = reader.raw(SIGNATURE_SIZE);
    const opkId = reader.u32();
    const opk = opkId ? reader.raw(KEY_SIZE) : null;
    reader.finish();
    return new PrekeyBundle(identity, spkId, spk, spkSignature, opkId, opk);
  }

  toString() {
    return (
      `PrekeyBundle(identity=${this.identity.keyId}, signedPrekeyId=${this.signedPrekeyId}, ` +
      `oneTimePrekeyId=${this.oneTimePrekeyId})`
    );
  }
}

// All private key material of one device; mutable, serialisable with a version.
// Mutations are few: rotating the signed prekey, adding one-time prekeys, and (done by
// acceptSession on success) consuming a one-time prekey.
export class DeviceKeys {
  constructor(identity, signedPrekeys, oneTimePrekeys, nextPrekeyId) {
    this.identity = identity;
    // Oldest first; the last one is current. Older ones are kept for a grace period.
    this.signedPrekeys = [...signedPrekeys];
    // A Map keeps insertion order, which the serialisation (like Python's dict) relies on.
    this.oneTimePrekeys = new Map([...oneTimePrekeys].map((key) => [key.keyId, key]));
    this.nextPrekeyId = nextPrekeyId;
    if (this.signedPrekeys.length === 0) throw new TypeError('a device needs a signed prekey');
  }

  // Fresh identity, one signed prekey and `oneTimePrekeys` one-time prekeys.
  static generate(now, rng = defaultRandom, oneTimePrekeys = 100) {
    const identity = IdentityKeyPair.generate(rng);
    const signed = SignedPrekey.create(identity, 1, draw(rng, KEY_SIZE), now);
    const keys = new DeviceKeys(identity, [signed], [], 2);
    keys.addOneTimePrekeys(oneTimePrekeys, rng);
    return keys;
  }

  get publicIdentity() {
    return this.identity.public;
  }

  // The current signed prekey, the one to publish.
  get signedPrekey() {
    return this.signedPrekeys[this.signedPrekeys.length - 1];
  }

  takeId() {
    const keyId = this.nextPrekeyId;
    if (keyId >= MAX_KEY_ID) throw new StateError('prekey ids exhausted; create new device keys');
    this.nextPrekeyId += 1;
    return keyId;
  }

  // Create `count` one-time prekeys; returns [id, public key] pairs to upload.
  addOneTimePrekeys(count, rng = defaultRandom) {
    const created = [];
    for (let i = 0; i < count; i++) {
      created.push(OneTimePrekey.create(this.takeId(), draw(rng, KEY_SIZE)));
    }
    for (const key of created) this.oneTimePrekeys.set(key.keyId, key);
    return created.map((key) => [key.keyId, key.publicKey]);
  }

  needsRotation(now) {
    return now - this.signedPrekey.createdAt >= SIGNED_PREKEY_ROTATION;
  }

  // Make a new current signed prekey and drop replaced ones past their grace period.
  rotateSignedPrekey(now, rng = defaultRandom) {
    const created = SignedPrekey.create(this.identity, this.takeId(), draw(rng, KEY_SIZE), now);
    this.signedPrekeys.push(created);
    this.expireSignedPrekeys(now);
    return created;
  }

  // Delete each old signed prekey whose successor is older than the grace period.
  expireSignedPrekeys(now) {
    const all = this.signedPrekeys;
    const keep = all
      .slice(0, -1)
      .filter((_, index) => now - all[index + 1].createdAt < SIGNED_PREKEY_GRACE);
    this.signedPrekeys = [...keep, this.signedPrekey];
  }

  findSignedPrekey(keyId) {
    return this.signedPrekeys.find((key) => key.keyId === keyId) ?? null;
  }

  // The public bundle with the current signed prekey and optionally one one-time key.
  bundle(oneTimePrekeyId = 0) {
    const spk = this.signedPrekey;
    let opk = null;
    if (oneTimePrekeyId) {
      opk = this.oneTimePrekeys.get(oneTimePrekeyId);
      if (!opk) throw new RangeError(`no one-time prekey ${oneTimePrekeyId}`);
    }
    return new PrekeyBundle(
      this.identity.public,
      spk.keyId,
      spk.publicKey,
      spk.signature,
      oneTimePrekeyId,
      opk ? opk.publicKey : null,
    );
  }

  // Ed25519 signature over AUTH_CHALLENGE_LABEL ‖ challenge for the relay (§2.6); on the
  // relay the challenge is relay_id (16 bytes) ‖ nonce (32 bytes) (PROTOCOL.md §4.1).
  signAuthChallenge(challenge) {
    return this.identity.sign(AUTH_CHALLENGE_LABEL, requireBytes(challenge, 'challenge'));
  }

  // Versioned private serialisation (§8.2), Python's bytes exactly; store it encrypted.
  toBytes() {
    const writer = new Writer().raw(DEVICE_KEYS_MAGIC).u8(DEVICE_KEYS_VERSION);
    writer.raw(this.identity.signingSeed).raw(this.identity.agreementPrivate);
    writer.u32(this.nextPrekeyId).u16(this.signedPrekeys.length);
    for (const spk of this.signedPrekeys) {
      writer.u32(spk.keyId).raw(spk.privateKey).u64(spk.createdAt);
    }
    writer.u32(this.oneTimePrekeys.size);
    for (const opk of this.oneTimePrekeys.values()) writer.u32(opk.keyId).raw(opk.privateKey);
    return writer.toBytes();
  }

  // Inverse of toBytes; StateError for corrupt or unknown-version data.
  static fromBytes(data) {
    const reader = new Reader(
      requireBytes(data, 'data'),
      () => new StateError('corrupt device keys'),
    );
    if (!bytesEqual(reader.raw(4), DEVICE_KEYS_MAGIC) || reader.u8() !== DEVICE_KEYS_VERSION) {
      throw new StateError('not device keys of a known version');
    }
    const identity = IdentityKeyPair.fromPrivate(reader.raw(KEY_SIZE), reader.raw(KEY_SIZE));
    const nextPrekeyId = reader.u32();
    const signed = [];
    for (let count = reader.u16(); count > 0; count--) {
      const keyId = reader.u32();
      const privateKey = reader.raw(KEY_SIZE);
      signed.push(SignedPrekey.create(identity, keyId, privateKey, reader.u64()));
    }
    const oneTime = [];
    for (let count = reader.u32(); count > 0; count--) {
      const keyId = reader.u32();
      oneTime.push(OneTimePrekey.create(keyId, reader.raw(KEY_SIZE)));
    }
    reader.finish();
    if (signed.length === 0) throw new StateError('device keys without a signed prekey');
    return new DeviceKeys(identity, signed, oneTime, nextPrekeyId);
  }

  toString() {
    return (
      `DeviceKeys(keyId=${this.identity.public.keyId}, ` +
      `signedPrekeyId=${this.signedPrekey.keyId}, oneTimePrekeys=${this.oneTimePrekeys.size})`
    );
  }

  toJSON() {
    return this.toString();
  }
}

// Check a device's signature over a relay challenge (pure; no secret involved).
export function verifyAuthChallenge(signingKey, challenge, signature) {
  return ed25519Verify(signingKey, concat(AUTH_CHALLENGE_LABEL, challenge), signature);
}
