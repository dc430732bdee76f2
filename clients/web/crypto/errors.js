// The exceptions of the crypto port: one hierarchy with a single root, as crypto/errors.py.
//
//   CryptoError                  root: `catch (e) { if (e instanceof CryptoError) … }`
//   ├── DecryptionError          anything received (envelope, prekey bundle) was rejected
//   ├── StateError               a serialised session or key store cannot be read back
//   ├── PayloadTooLargeError     a plaintext does not fit in the largest padding bucket
//   └── AttachmentError          an attachment was refused; `.reason` names the check
//
// DecryptionError is deliberately opaque: a bad tag, a replay, a malformed header, a bad
// signature and a low-order key all throw the same class with the same message and no
// cause, so a peer probing a client learns nothing from which check failed.

export class CryptoError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

export class DecryptionError extends CryptoError {
  constructor() {
    // One fixed message: callers must not be able to tell failures apart.
    super('message could not be decrypted');
  }
}

export class StateError extends CryptoError {}

export class PayloadTooLargeError extends CryptoError {}

// Named reasons (attachment.js REASONS, as Python's crypto.attachment): an attachment is
// decrypted once and locally, so naming the failed check gives nobody an oracle.
export class AttachmentError extends CryptoError {
  constructor(reason) {
    super(`attachment refused: ${reason}`);
    this.reason = reason;
  }
}
