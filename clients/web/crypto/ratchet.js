// The Double Ratchet, Signal's specification revision 1 (crypto/ratchet.py, docs/e2e.md §4).
//
// GENERATE_DH: 32 random bytes; DH: X25519. KDF_RK(rk, dh) = HKDF-SHA256(salt = rk,
// ikm = dh, info "steuntje/v1/ratchet-root") → 64 bytes: root key, chain key.
// KDF_CK(ck): message key HMAC(ck, 0x01), next chain key HMAC(ck, 0x02). ENCRYPT:
// XChaCha20-Poly1305 under HKDF(mk, zero salt, "steuntje/v1/message-key"). MAX_SKIP 1000
// per chain; at most 2000 skipped keys per session, oldest evicted; 31 days' lifetime.
//
// Decryption is split in two so that a failure changes nothing: planDecrypt computes
// every new value without touching the state, the caller authenticates the ciphertext
// with the planned message key, and only then commit writes the plan (§4.6).

import { bytesEqual, toHex } from './codec.js';
import { CryptoError, DecryptionError } from './errors.js';
import { RatchetHeader } from './envelope.js';
import {
  aeadDecrypt,
  aeadEncrypt,
  draw,
  hkdfSha256,
  hmacSha256,
  KEY_SIZE,
  x25519,
  x25519PublicKey,
} from './primitives.js';

export const ROOT_INFO = new TextEncoder().encode('steuntje/v1/ratchet-root');
export const MESSAGE_KEY_INFO = new TextEncoder().encode('steuntje/v1/message-key');
export const MAX_SKIP = 1000;
export const MAX_SKIPPED_KEYS = 2000;
// Longer than the relay keeps any envelope, so every deliverable message still decrypts.
export const SKIPPED_KEY_MAX_AGE = 31 * 86400;
const ZERO_SALT = new Uint8Array(KEY_SIZE);
const MAX_COUNTER = 0xffffffff; // PN and N are u32 on the wire; N never reaches this value
const CHAIN_CONSTANT = Uint8Array.of(0x02);
const MESSAGE_CONSTANT = Uint8Array.of(0x01);

// KDF_RK: [new root key, new chain key].
export function kdfRk(rootKey, dhOutput) {
  const output = hkdfSha256(dhOutput, rootKey, ROOT_INFO, 2 * KEY_SIZE);
  return [output.slice(0, KEY_SIZE), output.slice(KEY_SIZE)];
}

// KDF_CK: [next chain key, message key], with Signal's constants 0x02 and 0x01.
export function kdfCk(chainKey) {
  return [hmacSha256(chainKey, CHAIN_CONSTANT), hmacSha256(chainKey, MESSAGE_CONSTANT)];
}

// The XChaCha20-Poly1305 key for one message, derived from its message key.
export function messageEncryptionKey(messageKey) {
  return hkdfSha256(messageKey, ZERO_SALT, MESSAGE_KEY_INFO, KEY_SIZE);
}

// ENCRYPT of the specification, with the nonce chosen by the caller.
export function seal(messageKey, nonce, plaintext, associatedData) {
  return aeadEncrypt(messageEncryptionKey(messageKey), nonce, plaintext, associatedData);
}

// DECRYPT of the specification; throws DecryptionError.
export function openSealed(messageKey, nonce, ciphertext, associatedData) {
  return aeadDecrypt(messageEncryptionKey(messageKey), nonce, ciphertext, associatedData);
}

// Skipped keys live in a Map keyed by "<DHr hex>:<N>"; a Map keeps insertion order, which
// is age order, so eviction and expiry remove from the front (like Python's dict).
function skippedKey(dhPublic, number) {
  return `${toHex(dhPublic)}:${number}`;
}

// The specification's state variables.
export class RatchetState {
  constructor(dhPrivate, rootKey) {
    this.dhPrivate = dhPrivate; // DHs
    this.dhPublic = x25519PublicKey(dhPrivate);
    this.remoteDh = null; // DHr
    this.rootKey = rootKey; // RK
    this.sendingChain = null; // CKs
    this.receivingChain = null; // CKr
    this.sent = 0; // Ns
    this.received = 0; // Nr
    this.previousSent = 0; // PN
    // key -> { dhPublic, number, messageKey, storedAt }
    this.skipped = new Map();
  }

  // RatchetInitAlice: the responder's signed prekey is the first remote ratchet key.
  static initiator(sharedSecret, remotePublic, dhPrivate) {
    const state = new RatchetState(dhPrivate, sharedSecret);
    state.remoteDh = remotePublic;
    [state.rootKey, state.sendingChain] = kdfRk(sharedSecret, x25519(dhPrivate, remotePublic));
    return state;
  }

  // RatchetInitBob: SK is the root key, the signed prekey pair the first DHs.
  static responder(sharedSecret, signedPrekeyPrivate) {
    return new RatchetState(signedPrekeyPrivate, sharedSecret);
  }

  // RatchetEncrypt without the AEAD: advance CKs, return [header, message key].
  encryptStep() {
    if (this.sendingChain === null || this.sent >= MAX_COUNTER) {
      throw new CryptoError('this session cannot send');
    }
    const [nextChain, messageKey] = kdfCk(this.sendingChain);
    this.sendingChain = nextChain;
    const header = new RatchetHeader(this.dhPublic, this.previousSent, this.sent);
    this.sent += 1;
    return [header, messageKey];
  }

  // RatchetDecrypt up to (not including) DECRYPT; the state is not modified.
  planDecrypt(header, now, rng) {
    if (header.messageNumber >= MAX_COUNTER) throw new DecryptionError();
    const key = skippedKey(header.dhPublic, header.messageNumber);
    const entry = this.skipped.get(key);
    if (entry !== undefined) {
      // TrySkippedMessageKeys
      if (now - entry.storedAt > SKIPPED_KEY_MAX_AGE) throw new DecryptionError();
      return { messageKey: entry.messageKey, usedSkipped: key, newSkipped: [], ratchet: null };
    }
    const newSkipped = [];
    let ratchet = null;
    let chain = this.receivingChain;
    let received = this.received;
    if (!bytesEqual(header.dhPublic, this.remoteDh)) {
      skip(chain, received, this.remoteDh, header.previousChainLength, newSkipped);
      // DHRatchet: a new receiving chain from the old DHs, then a new DHs.
      let rootKey;
      [rootKey, chain] = kdfRk(this.rootKey, x25519(this.dhPrivate, header.dhPublic));
      const dhPrivate = draw(rng, KEY_SIZE);
      let sendingChain;
      [rootKey, sendingChain] = kdfRk(rootKey, x25519(dhPrivate, header.dhPublic));
      const dhPublic = x25519PublicKey(dhPrivate);
      ratchet = { remoteDh: header.dhPublic, rootKey, dhPrivate, dhPublic, sendingChain };
      received = 0;
    } else if (chain === null || header.messageNumber < received) {
      // No receiving chain for this key yet (a forged header naming our peer's signed
      // prekey), or a replay or duplicate whose key was used or evicted.
      throw new DecryptionError();
    }
    chain = skip(chain, received, header.dhPublic, header.messageNumber, newSkipped);
    const [nextChain, messageKey] = kdfCk(chain);
    return {
      messageKey,
      usedSkipped: null,
      newSkipped,
      ratchet,
      chain: [nextChain, header.messageNumber + 1],
    };
  }

  // Write a plan whose message authenticated; stamps new skipped keys with `now`.
  commit(plan, now) {
    if (plan.usedSkipped !== null) {
      this.skipped.delete(plan.usedSkipped);
      return;
    }
    if (plan.ratchet !== null) {
      const { remoteDh, rootKey, dhPrivate, dhPublic, sendingChain } = plan.ratchet;
      Object.assign(this, { remoteDh, rootKey, dhPrivate, dhPublic, sendingChain });
      this.previousSent = this.sent;
      this.sent = 0;
    }
    [this.receivingChain, this.received] = plan.chain;
    for (const item of plan.newSkipped) {
      const key = skippedKey(item.dhPublic, item.number);
      this.skipped.set(key, { ...item, storedAt: now });
    }
    let overflow = this.skipped.size - MAX_SKIPPED_KEYS;
    for (const key of this.skipped.keys()) {
      if (overflow-- <= 0) break;
      this.skipped.delete(key); // deleting while iterating a Map is well defined
    }
    this.expire(now);
  }

  // Delete skipped keys older than SKIPPED_KEY_MAX_AGE (lookups check age as well).
  expire(now) {
    const oldest = this.skipped.values().next();
    if (oldest.done || now - oldest.value.storedAt <= SKIPPED_KEY_MAX_AGE) return;
    for (const [key, entry] of this.skipped) {
      if (now - entry.storedAt > SKIPPED_KEY_MAX_AGE) this.skipped.delete(key);
    }
  }

  // Append this state to a session serialisation (docs/e2e.md §8.1).
  write(writer) {
    writer.raw(this.dhPrivate).raw(this.rootKey);
    for (const optional of [this.remoteDh, this.sendingChain, this.receivingChain]) {
      writer.u8(optional !== null ? 1 : 0);
      if (optional !== null) writer.raw(optional);
    }
    writer.u32(this.sent).u32(this.received).u32(this.previousSent);
    writer.u16(this.skipped.size);
    for (const entry of this.skipped.values()) {
      writer.raw(entry.dhPublic).u32(entry.number).raw(entry.messageKey).u64(entry.storedAt);
    }
  }

  static read(reader) {
    const state = new RatchetState(reader.raw(KEY_SIZE), reader.raw(KEY_SIZE));
    state.remoteDh = reader.u8() ? reader.raw(KEY_SIZE) : null;
    state.sendingChain = reader.u8() ? reader.raw(KEY_SIZE) : null;
    state.receivingChain = reader.u8() ? reader.raw(KEY_SIZE) : null;
    state.sent = reader.u32();
    state.received = reader.u32();
    state.previousSent = reader.u32();
    for (let count = reader.u16(); count > 0; count--) {
      const dhPublic = reader.raw(KEY_SIZE);
      const number = reader.u32();
      const messageKey = reader.raw(KEY_SIZE);
      const storedAt = reader.u64();
      state.skipped.set(skippedKey(dhPublic, number), { dhPublic, number, messageKey, storedAt });
    }
    return state;
  }

  toString() {
    return (
      `RatchetState(sent=${this.sent}, received=${this.received}, ` +
      `previousSent=${this.previousSent}, skipped=${this.skipped.size})`
    );
  }

  toJSON() {
    return this.toString();
  }
}

// SkipMessageKeys: derive the keys from `received` up to `until` into `out`.
function skip(chain, received, dhPublic, until, out) {
  if (received + MAX_SKIP < until) throw new DecryptionError();
  if (chain !== null) {
    while (received < until) {
      const [nextChain, messageKey] = kdfCk(chain);
      out.push({ dhPublic, number: received, messageKey });
      chain = nextChain;
      received += 1;
    }
  }
  return chain;
}
