// Sessions: X3DH, then the Double Ratchet, padding and the envelope, behind four calls
// (crypto/session.py, docs/e2e.md §7).
//
//   const [session, envelope] = startSession(ownKeys, bundle, now);     // initiator
//   const [session, plaintext] = acceptSession(ownKeys, envelope, now); // responder
//   const envelope = session.encrypt(plaintext, now);
//   const plaintext = session.decrypt(envelope, now);                   // or DecryptionError
//
// The initiator sends initial envelopes (with the X3DH fields) until it has decrypted
// something from the responder, like Signal's PreKeySignalMessage, so losing or
// reordering the first messages never strands a session. Every failure of decrypt and
// acceptSession throws the opaque DecryptionError and changes nothing.
//
// Routing rule for clients (§7.4): an initial envelope that `matches` a session the
// client holds goes to that session; only one that matches none goes to acceptSession.

import { bytesEqual, concat, Reader, Writer } from './codec.js';
import {
  decodeEnvelope,
  ENVELOPE_VERSION,
  INITIAL_HEADER_SIZE,
  InitialHeader,
  TYPE_INITIAL,
  TYPE_MESSAGE,
} from './envelope.js';
import { DecryptionError, StateError } from './errors.js';
import { IdentityKeyPair, PublicIdentity } from './keys.js';
import { pad, unpad } from './padding.js';
import {
  defaultRandom,
  draw,
  KEY_SIZE,
  NONCE_SIZE,
  requireBytes,
  SIGNATURE_SIZE,
} from './primitives.js';
import { openSealed, RatchetState, seal } from './ratchet.js';
import { initiate, respond } from './x3dh.js';

const SESSION_MAGIC = new TextEncoder().encode('stss');
export const SESSION_VERSION = 1;
const ROLE_INITIATOR = 1;
const ROLE_RESPONDER = 2;
const MESSAGE_PREFIX = Uint8Array.of(ENVELOPE_VERSION, TYPE_MESSAGE);
const EMPTY = new Uint8Array(0);
// acceptSession decrypts the envelope it has already decoded; a module-private symbol
// keeps that entry point off the public API (Python's `_decrypt`).
const decryptDecoded = Symbol('decryptDecoded');

// One pairwise session with one peer device. Persist it with toBytes after every
// successful encrypt, decrypt and accept.
export class Session {
  #ratchet;
  #associatedData;
  #peer;
  #isInitiator;
  #initial = null;
  #initialPrefix = null;

  constructor(ratchet, associatedData, peer, initial, isInitiator) {
    this.#ratchet = ratchet;
    this.#associatedData = associatedData;
    this.#peer = peer;
    this.#isInitiator = isInitiator;
    this.#setInitial(initial);
  }

  #setInitial(initial) {
    this.#initial = initial;
    this.#initialPrefix = initial
      ? concat(Uint8Array.of(ENVELOPE_VERSION, TYPE_INITIAL), initial.encode())
      : null;
  }

  // The peer device's identity, for safety numbers and key pinning.
  get peerIdentity() {
    return this.#peer;
  }

  get isInitiator() {
    return this.#isInitiator;
  }

  // Pad, encrypt and frame `plaintext`; returns the envelope bytes for the relay.
  encrypt(plaintext, now, rng = defaultRandom) {
    const padded = pad(requireBytes(plaintext, 'plaintext')); // throws before any change
    const nonce = draw(rng, NONCE_SIZE);
    const ratchet = this.#ratchet;
    ratchet.expire(now);
    const [header, messageKey] = ratchet.encryptStep();
    // The initiator repeats the X3DH fields until the responder has answered.
    const start = this.#isInitiator && this.#initialPrefix ? this.#initialPrefix : MESSAGE_PREFIX;
    const prefix = concat(start, header.encode());
    const sealed = seal(messageKey, nonce, padded, concat(this.#associatedData, prefix));
    return concat(prefix, nonce, sealed);
  }

  // True if `envelope` is an initial envelope of this very (responder) session: clients
  // route it here and never to acceptSession, so a replay cannot create a second session.
  matches(envelope) {
    let initial;
    try {
      initial = decodeEnvelope(envelope).initial;
    } catch (error) {
      if (error instanceof DecryptionError) return false;
      throw error;
    }
    return initial !== null && !this.#isInitiator && initial.equals(this.#initial);
  }

  // Authenticate and decrypt; on any failure throw DecryptionError, state untouched.
  // `rng` supplies the new ratchet key when the message starts a new DH ratchet step.
  decrypt(envelope, now, rng = defaultRandom) {
    return this[decryptDecoded](decodeEnvelope(envelope), now, rng);
  }

  [decryptDecoded](envelope, now, rng) {
    if (
      envelope.initial !== null &&
      (this.#isInitiator || !envelope.initial.equals(this.#initial))
    ) {
      throw new DecryptionError();
    }
    const plan = this.#ratchet.planDecrypt(envelope.header, now, rng);
    const padded = openSealed(
      plan.messageKey,
      envelope.nonce,
      envelope.ciphertext,
      concat(this.#associatedData, envelope.prefix),
    );
    const plaintext = unpad(padded);
    // Authenticated: only now does anything change.
    this.#ratchet.commit(plan, now);
    if (this.#isInitiator && this.#initial !== null) {
      this.#setInitial(null); // the responder has the session; stop sending X3DH fields
    }
    return plaintext;
  }

  // Delete skipped message keys older than SKIPPED_KEY_MAX_AGE.
  expire(now) {
    this.#ratchet.expire(now);
  }

  // Versioned serialisation (§8.1), Python's bytes exactly. Secret: store it encrypted.
  toBytes() {
    const peer = this.#peer;
    const writer = new Writer().raw(SESSION_MAGIC).u8(SESSION_VERSION);
    writer.u8(this.#isInitiator ? ROLE_INITIATOR : ROLE_RESPONDER);
    writer.raw(peer.signingKey).raw(peer.agreementKey).raw(peer.signature);
    writer.var16(this.#associatedData);
    writer.u8(this.#initial !== null ? 1 : 0);
    if (this.#initial !== null) writer.raw(this.#initial.encode());
    this.#ratchet.write(writer);
    return writer.toBytes();
  }

  // Inverse of toBytes; StateError for corrupt or unknown-version data.
  static fromBytes(data) {
    const reader = new Reader(requireBytes(data, 'data'), () => new StateError('corrupt session'));
    if (!bytesEqual(reader.raw(4), SESSION_MAGIC) || reader.u8() !== SESSION_VERSION) {
      throw new StateError('not a session of a known version');
    }
    const role = reader.u8();
    if (role !== ROLE_INITIATOR && role !== ROLE_RESPONDER) {
      throw new StateError('unknown session role');
    }
    const peer = new PublicIdentity(
      reader.raw(KEY_SIZE),
      reader.raw(KEY_SIZE),
      reader.raw(SIGNATURE_SIZE),
    );
    const associatedData = reader.var16();
    // Exactly INITIAL_HEADER_SIZE bytes, so decode cannot fail; a short input fails in raw.
    const initial = reader.u8() ? InitialHeader.decode(reader.raw(INITIAL_HEADER_SIZE)) : null;
    const ratchet = RatchetState.read(reader);
    reader.finish();
    return new Session(ratchet, associatedData, peer, initial, role === ROLE_INITIATOR);
  }

  toString() {
    const ratchet = this.#ratchet;
    return (
      `Session(peer=${this.#peer.keyId}, initiator=${this.#isInitiator}, ` +
      `sent=${ratchet.sent}, received=${ratchet.received}, skipped=${ratchet.skipped.size})`
    );
  }

  toJSON() {
    return this.toString();
  }
}

// Initiator: X3DH with `bundle` (signatures always checked), then the first envelope.
// Only the identity of ownKeys (DeviceKeys or IdentityKeyPair) is used. Draws from rng
// in this order: EK_A (32), the first ratchet key (32), the nonce (24). Returns
// [session, envelope]; a bad bundle throws DecryptionError.
export function startSession(ownKeys, bundle, now, rng = defaultRandom, plaintext = EMPTY) {
  const identity = ownKeys instanceof IdentityKeyPair ? ownKeys : ownKeys.identity;
  const x3dh = initiate(identity, bundle, draw(rng, KEY_SIZE));
  const ratchet = RatchetState.initiator(
    x3dh.sharedSecret,
    bundle.signedPrekey,
    draw(rng, KEY_SIZE),
  );
  const initial = new InitialHeader(
    identity.public,
    x3dh.ephemeralKey,
    x3dh.signedPrekeyId,
    x3dh.oneTimePrekeyId,
  );
  const session = new Session(ratchet, x3dh.associatedData, bundle.identity, initial, true);
  return [session, session.encrypt(plaintext, now, rng)];
}

// Responder: build a session from an initial envelope; returns [session, plaintext].
// On success the one-time prekey the envelope used is deleted from ownKeys; on failure
// nothing changes.
export function acceptSession(ownKeys, envelope, now, rng = defaultRandom) {
  const decoded = decodeEnvelope(envelope);
  const { initial } = decoded;
  if (initial === null) throw new DecryptionError();
  const [sharedSecret, associatedData] = respond(
    ownKeys,
    initial.identity,
    initial.ephemeralKey,
    initial.signedPrekeyId,
    initial.oneTimePrekeyId,
  );
  const signedPrekey = ownKeys.findSignedPrekey(initial.signedPrekeyId);
  if (signedPrekey === null) throw new DecryptionError(); // respond() checked it already
  const ratchet = RatchetState.responder(sharedSecret, signedPrekey.privateKey);
  const session = new Session(ratchet, associatedData, initial.identity, initial, false);
  const plaintext = session[decryptDecoded](decoded, now, rng);
  ownKeys.oneTimePrekeys.delete(initial.oneTimePrekeyId);
  return [session, plaintext];
}
