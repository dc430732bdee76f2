// X3DH key agreement, Signal's specification revision 1 (crypto/x3dh.py, docs/e2e.md §3).
//
// Curve X25519, hash SHA-256, info "steuntje/v1/x3dh", F = 0xFF × 32, HKDF salt 32 zero
// bytes, 32-byte SK; Encode(IK) is the 65-byte identity encoding and
// AD = u16 len ‖ Encode(IK_A) ‖ u16 len ‖ Encode(IK_B). Both signatures are always
// checked; a bad signature, a missing prekey or a low-order key throws DecryptionError.

import { concat, Writer } from './codec.js';
import { DecryptionError } from './errors.js';
import { hkdfSha256, KEY_SIZE, x25519, x25519PublicKey } from './primitives.js';

export const X3DH_INFO = new TextEncoder().encode('steuntje/v1/x3dh');
const F = new Uint8Array(KEY_SIZE).fill(0xff); // X3DH §2.2: separates X25519 from XEdDSA
const SALT = new Uint8Array(KEY_SIZE);

// AD = both identity encodings, initiator first, each with a u16 length prefix.
export function associatedData(initiator, responder) {
  return new Writer().var16(initiator.encode()).var16(responder.encode()).toBytes();
}

// SK = HKDF-SHA256(ikm = F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], zero salt, info) → 32 bytes.
export function deriveSharedSecret(dhOutputs) {
  return hkdfSha256(concat(F, ...dhOutputs), SALT, X3DH_INFO, KEY_SIZE);
}

// The initiator's result: secret values plus the public fields of the initial message.
export class X3DHInitiation {
  constructor(sharedSecret, associatedData, ephemeralKey, signedPrekeyId, oneTimePrekeyId) {
    Object.assign(this, {
      sharedSecret,
      associatedData,
      ephemeralKey,
      signedPrekeyId,
      oneTimePrekeyId,
    });
    Object.freeze(this);
  }

  toString() {
    return (
      `X3DHInitiation(signedPrekeyId=${this.signedPrekeyId}, ` +
      `oneTimePrekeyId=${this.oneTimePrekeyId})`
    );
  }

  toJSON() {
    return this.toString();
  }
}

// Alice's side: verify Bob's bundle, then DH1..DH4 with a fresh ephemeral key.
export function initiate(identity, bundle, ephemeralPrivate) {
  if (!bundle.verify()) throw new DecryptionError();
  const responder = bundle.identity;
  const dhOutputs = [
    x25519(identity.agreementPrivate, bundle.signedPrekey), // DH1 = DH(IK_A, SPK_B)
    x25519(ephemeralPrivate, responder.agreementKey), // DH2 = DH(EK_A, IK_B)
    x25519(ephemeralPrivate, bundle.signedPrekey), // DH3 = DH(EK_A, SPK_B)
  ];
  if (bundle.oneTimePrekeyId) {
    if (bundle.oneTimePrekey === null) throw new DecryptionError();
    dhOutputs.push(x25519(ephemeralPrivate, bundle.oneTimePrekey)); // DH4 = DH(EK_A, OPK_B)
  }
  return new X3DHInitiation(
    deriveSharedSecret(dhOutputs),
    associatedData(identity.public, responder),
    x25519PublicKey(ephemeralPrivate),
    bundle.signedPrekeyId,
    bundle.oneTimePrekeyId,
  );
}

// Bob's side: returns [SK, AD]. Does not consume the one-time prekey: the caller deletes
// it once the first message has decrypted, so a forged message cannot burn it.
export function respond(deviceKeys, initiator, ephemeralKey, signedPrekeyId, oneTimePrekeyId) {
  if (!initiator.verify()) throw new DecryptionError();
  const signedPrekey = deviceKeys.findSignedPrekey(signedPrekeyId);
  if (signedPrekey === null) throw new DecryptionError();
  const own = deviceKeys.identity;
  const dhOutputs = [
    x25519(signedPrekey.privateKey, initiator.agreementKey),
    x25519(own.agreementPrivate, ephemeralKey),
    x25519(signedPrekey.privateKey, ephemeralKey),
  ];
  if (oneTimePrekeyId) {
    const oneTimePrekey = deviceKeys.oneTimePrekeys.get(oneTimePrekeyId);
    if (!oneTimePrekey) throw new DecryptionError();
    dhOutputs.push(x25519(oneTimePrekey.privateKey, ephemeralKey));
  }
  return [deriveSharedSecret(dhOutputs), associatedData(initiator, own.public)];
}
