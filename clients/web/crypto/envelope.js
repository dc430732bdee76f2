// The envelope: the exact bytes that become the relay's opaque `ciphertext`
// (crypto/envelope.py, docs/e2e.md §6).
//
//   offset size field
//   0      1    version 0x01
//   1      1    type: 0x01 initial (X3DH fields + ratchet message), 0x02 ratchet message
//   -- type 0x01 only, 168 bytes: initiator IK_sig, IK_dh, identity signature, EK_pub,
//      signed prekey id (u32), one-time prekey id (u32; 0 = none)
//   h      40   ratchet header: DHs.pub (32), PN (u32), N (u32)
//   h+40   24   nonce
//   h+64   …    AEAD output: padded plaintext (one bucket) ‖ 16-byte tag
//
// Everything before the nonce (the authenticated prefix) goes, after AD, into the AEAD's
// associated data, so no byte of an envelope can change without decryption failing.

import { bytesEqual, concat, Writer } from './codec.js';
import { DecryptionError } from './errors.js';
import { PublicIdentity } from './keys.js';
import { BUCKETS } from './padding.js';
import { KEY_SIZE, NONCE_SIZE, requireBytes, SIGNATURE_SIZE, TAG_SIZE } from './primitives.js';

export const ENVELOPE_VERSION = 0x01;
export const TYPE_INITIAL = 0x01;
export const TYPE_MESSAGE = 0x02;
export const INITIAL_HEADER_SIZE = 2 * KEY_SIZE + SIGNATURE_SIZE + KEY_SIZE + 8; // 168
export const RATCHET_HEADER_SIZE = KEY_SIZE + 8; // 40
// The relay's limit; the largest initial envelope (65280-byte bucket) is 65530 bytes.
export const MAX_ENVELOPE_SIZE = 65536;

const VALID_CIPHERTEXT_SIZES = new Set(BUCKETS.map((bucket) => bucket + TAG_SIZE));

function readU32(bytes, offset) {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}

// Double Ratchet header: the sender's ratchet key, PN and N.
export class RatchetHeader {
  constructor(dhPublic, previousChainLength, messageNumber) {
    Object.assign(this, { dhPublic, previousChainLength, messageNumber });
    Object.freeze(this);
  }

  encode() {
    return new Writer()
      .raw(this.dhPublic)
      .u32(this.previousChainLength)
      .u32(this.messageNumber)
      .toBytes();
  }
}

// The X3DH fields an initiator repeats in every message until it hears back.
export class InitialHeader {
  constructor(identity, ephemeralKey, signedPrekeyId, oneTimePrekeyId) {
    Object.assign(this, { identity, ephemeralKey, signedPrekeyId, oneTimePrekeyId });
    Object.freeze(this);
  }

  encode() {
    const { identity } = this;
    return new Writer()
      .raw(identity.signingKey)
      .raw(identity.agreementKey)
      .raw(identity.signature)
      .raw(this.ephemeralKey)
      .u32(this.signedPrekeyId)
      .u32(this.oneTimePrekeyId)
      .toBytes();
  }

  // Field-by-field equality, as Python's dataclass ==; all fields are public.
  equals(other) {
    return other instanceof InitialHeader && bytesEqual(this.encode(), other.encode());
  }

  // Inverse of encode for exactly INITIAL_HEADER_SIZE bytes.
  static decode(raw) {
    if (raw.length !== INITIAL_HEADER_SIZE) throw new DecryptionError();
    const signatureEnd = 2 * KEY_SIZE + SIGNATURE_SIZE;
    const identity = new PublicIdentity(
      raw.slice(0, KEY_SIZE),
      raw.slice(KEY_SIZE, 2 * KEY_SIZE),
      raw.slice(2 * KEY_SIZE, signatureEnd),
    );
    const ephemeralKey = raw.slice(signatureEnd, signatureEnd + KEY_SIZE);
    const idsAt = signatureEnd + KEY_SIZE;
    return new InitialHeader(identity, ephemeralKey, readU32(raw, idsAt), readU32(raw, idsAt + 4));
  }
}

// A decoded envelope; `prefix` is the authenticated prefix, byte for byte.
export class Envelope {
  constructor(initial, header, nonce, ciphertext, prefix) {
    Object.assign(this, { initial, header, nonce, ciphertext, prefix });
    Object.freeze(this);
  }
}

// Version, type, the initial header if any, and the ratchet header.
export function encodePrefix(initial, header) {
  if (initial === null)
    return concat(Uint8Array.of(ENVELOPE_VERSION, TYPE_MESSAGE), header.encode());
  return concat(Uint8Array.of(ENVELOPE_VERSION, TYPE_INITIAL), initial.encode(), header.encode());
}

// Parse and length-check an envelope; anything malformed throws DecryptionError.
export function decodeEnvelope(data) {
  requireBytes(data, 'envelope');
  if (data.length < 2 || data.length > MAX_ENVELOPE_SIZE || data[0] !== ENVELOPE_VERSION) {
    throw new DecryptionError();
  }
  let offset;
  if (data[1] === TYPE_MESSAGE) offset = 2;
  else if (data[1] === TYPE_INITIAL) offset = 2 + INITIAL_HEADER_SIZE;
  else throw new DecryptionError();
  const headerEnd = offset + RATCHET_HEADER_SIZE;
  const nonceEnd = headerEnd + NONCE_SIZE;
  // Exactly one padding bucket plus the tag: this also rejects every truncated envelope
  // before any field is read.
  if (!VALID_CIPHERTEXT_SIZES.has(data.length - nonceEnd)) throw new DecryptionError();
  const initial = offset > 2 ? InitialHeader.decode(data.slice(2, offset)) : null;
  const header = new RatchetHeader(
    data.slice(offset, offset + KEY_SIZE),
    readU32(data, offset + KEY_SIZE),
    readU32(data, offset + KEY_SIZE + 4),
  );
  return new Envelope(
    initial,
    header,
    data.slice(headerEnd, nonceEnd),
    data.slice(nonceEnd),
    data.slice(0, headerEnd),
  );
}
