// Encrypted attachments, the port of crypto/attachment.py byte for byte (docs/e2e.md §15).
//
// age's STREAM construction over XChaCha20-Poly1305: 64 KiB plaintext chunks, each sealed
// under payload_key = HKDF(key, "steuntje attachment v1 payload") with the nonce
// 15 zero bytes ‖ u64 counter ‖ last-chunk flag; commitment = HKDF(key, "steuntje
// attachment v1 commit") travels beside the key, so a receiver refuses a key that does not
// commit before decrypting anything. The blob starts with the commitment too, so every
// reader who accepts one blob holds the same key (§15.4). Failures throw AttachmentError
// with the same `.reason` codes as Python.
//
// Not re-exported by index.js: the caregiver's first load must not carry it; the app
// imports this module when an attachment is sent or opened.

import { equalBytes, sha256, xchacha20poly1305 } from '../vendor/noble-2.4.0.js';
import { concat, toHex } from './codec.js';
import { AttachmentError } from './errors.js';
import { defaultRandom, hkdfSha256 } from './primitives.js';

export const CHUNK_SIZE = 65536; // plaintext bytes per chunk, as age
export const TAG_SIZE = 16;
export const KEY_SIZE = 32;
export const ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const COMMITMENT_SIZE = 32;
export const HEADER_SIZE = COMMITMENT_SIZE; // the blob starts with the commitment
const PAYLOAD_LABEL = new TextEncoder().encode('steuntje attachment v1 payload');
const COMMIT_LABEL = new TextEncoder().encode('steuntje attachment v1 commit');
const NO_SALT = new Uint8Array(0);
const EMPTY = new Uint8Array(0);
// How far from its position a failed chunk's diagnosis looks for the counter it was
// sealed under (only after a failure, to name it "reordered").
const REORDER_WINDOW = 16;

export const REASONS = Object.freeze([
  'bad_key', // the key is not 32 bytes
  'key_not_committed', // the key does not match the commitment (message or blob)
  'chunk_invalid', // a chunk does not authenticate: altered, foreign, or the wrong key
  'reordered', // a chunk authenticates, but at another position
  'truncated', // the blob ends before its last chunk
  'trailing_data', // bytes follow the last chunk
  'size_mismatch', // the blob's length differs from the message's `size`
  'hash_mismatch', // the blob's SHA-256 differs from the message's `sha256`
]);

export function newKey(rng = defaultRandom) {
  const key = rng(KEY_SIZE);
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) {
    throw new TypeError('rng must return 32 bytes');
  }
  return key;
}

function checkKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) throw new AttachmentError('bad_key');
}

export function commitment(key) {
  checkKey(key);
  return hkdfSha256(key, NO_SALT, COMMIT_LABEL, COMMITMENT_SIZE);
}

// Length of the blob for `plainSize` plaintext bytes: the commitment, then one tag per
// chunk (an empty file is one empty chunk).
export function ciphertextSize(plainSize) {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) {
    throw new RangeError('plainSize must be an integer ≥ 0');
  }
  return HEADER_SIZE + plainSize + Math.max(1, Math.ceil(plainSize / CHUNK_SIZE)) * TAG_SIZE;
}

function payloadKey(key) {
  return hkdfSha256(key, NO_SALT, PAYLOAD_LABEL, KEY_SIZE);
}

function nonce(counter, last) {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(15, Math.floor(counter / 0x100000000));
  view.setUint32(19, counter >>> 0);
  out[23] = last ? 1 : 0;
  return out;
}

// The chunk's plaintext, or null when it does not authenticate at this position.
function open(key, counter, last, chunk) {
  if (chunk.length < TAG_SIZE) return null;
  try {
    return xchacha20poly1305(key, nonce(counter, last)).decrypt(chunk);
  } catch {
    return null;
  }
}

function append(buffer, data) {
  if (!(data instanceof Uint8Array)) throw new TypeError('push takes a Uint8Array');
  return buffer.length ? concat(buffer, data) : data.slice();
}

// Encrypts one attachment fed in pieces of any size. push() returns the blob's bytes
// completed so far (the first call starts with the commitment; a full 64 KiB is held back:
// only finish() knows which chunk is the last); after finish(), `sha256` (hex) and `size`
// describe the whole blob.
export class Encryptor {
  constructor(key) {
    if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) {
      throw new TypeError('an attachment key is 32 bytes');
    }
    this._key = payloadKey(key);
    this._header = commitment(key); // null once it is out
    this._buffer = EMPTY;
    this._counter = 0;
    this._hash = sha256.create();
    this._finished = false;
    this.size = 0;
    this.sha256 = null;
  }

  push(data) {
    if (this._finished) throw new Error('push after finish');
    const buffer = append(this._buffer, data);
    const out = [this._takeHeader()];
    let start = 0;
    // Strictly more than one chunk buffered: the first one is certainly not the last.
    while (buffer.length - start > CHUNK_SIZE) {
      out.push(this._seal(buffer.subarray(start, start + CHUNK_SIZE), false));
      start += CHUNK_SIZE;
    }
    this._buffer = start ? buffer.slice(start) : buffer;
    return concat(...out);
  }

  finish() {
    if (this._finished) throw new Error('finish called twice');
    this._finished = true;
    const last = concat(this._takeHeader(), this._seal(this._buffer, true));
    this._buffer = EMPTY;
    this.sha256 = toHex(this._hash.digest());
    return last;
  }

  _takeHeader() {
    const header = this._header ?? EMPTY;
    this._header = null;
    this._hash.update(header);
    this.size += header.length;
    return header;
  }

  _seal(plaintext, last) {
    const chunk = xchacha20poly1305(this._key, nonce(this._counter, last)).encrypt(plaintext);
    this._counter += 1;
    this._hash.update(chunk);
    this.size += chunk.length;
    return chunk;
  }

  toString() {
    return `Encryptor(chunks=${this._counter}, finished=${this._finished})`; // never the key
  }
}

// Decrypts one attachment fed in pieces of any size; every chunk is authenticated before
// its plaintext is released. The key must match `commitmentBytes` (from the message:
// checked here, before any data) and the blob's first 32 bytes (checked before any chunk).
// One full encrypted chunk is held back until more data or finish() shows whether it is
// the last. After the first failure every call throws again.
export class Decryptor {
  constructor(key, commitmentBytes) {
    checkKey(key);
    const expected = hkdfSha256(key, NO_SALT, COMMIT_LABEL, COMMITMENT_SIZE);
    if (
      !(commitmentBytes instanceof Uint8Array) ||
      commitmentBytes.length !== COMMITMENT_SIZE ||
      !equalBytes(expected, commitmentBytes)
    ) {
      throw new AttachmentError('key_not_committed');
    }
    this._key = payloadKey(key);
    this._commitment = expected; // null once the blob's header matched it
    this._buffer = EMPTY;
    this._counter = 0;
    this._failed = null;
    this._finished = false;
  }

  push(data) {
    this._checkUsable();
    let buffer = append(this._buffer, data);
    if (this._commitment !== null) {
      this._buffer = buffer;
      if (buffer.length < HEADER_SIZE) return EMPTY;
      if (!equalBytes(buffer.subarray(0, HEADER_SIZE), this._commitment)) {
        this._fail('key_not_committed');
      }
      this._commitment = null;
      buffer = buffer.subarray(HEADER_SIZE);
    }
    const out = [];
    let start = 0;
    // More than one encrypted chunk buffered: the first is not the last one.
    while (buffer.length - start > ENCRYPTED_CHUNK_SIZE) {
      out.push(this._decrypt(buffer.subarray(start, start + ENCRYPTED_CHUNK_SIZE), false));
      start += ENCRYPTED_CHUNK_SIZE;
    }
    this._buffer = buffer.slice(start);
    return out.length ? concat(...out) : EMPTY;
  }

  finish() {
    this._checkUsable();
    this._finished = true;
    // No whole header, or not even an empty last chunk.
    if (this._commitment !== null || this._buffer.length < TAG_SIZE) this._fail('truncated');
    return this._decrypt(this._buffer, true);
  }

  _checkUsable() {
    if (this._failed !== null) throw new AttachmentError(this._failed);
    if (this._finished) throw new Error('the decryptor has finished');
  }

  _decrypt(chunk, last) {
    const plaintext = open(this._key, this._counter, last, chunk);
    if (plaintext === null) this._fail(this._diagnose(chunk, last));
    // Only an empty file has an empty last chunk (age's rule): one encoding per file.
    if (last && plaintext.length === 0 && this._counter > 0) this._fail('chunk_invalid');
    this._counter += 1;
    return plaintext;
  }

  // Why `chunk` failed at its position; runs only once, after a failure.
  _diagnose(chunk, last) {
    if (open(this._key, this._counter, !last, chunk) !== null) {
      return last ? 'truncated' : 'trailing_data';
    }
    const low = Math.max(0, this._counter - REORDER_WINDOW);
    for (let counter = low; counter <= this._counter + REORDER_WINDOW; counter++) {
      if (counter === this._counter) continue;
      if (open(this._key, counter, false, chunk) || open(this._key, counter, true, chunk)) {
        return 'reordered';
      }
    }
    return 'chunk_invalid';
  }

  _fail(reason) {
    this._failed = reason;
    this._buffer = EMPTY;
    throw new AttachmentError(reason);
  }

  toString() {
    return `Decryptor(chunks=${this._counter}, failed=${this._failed})`; // never the key
  }
}

// The whole blob for `data` (small files and tests; stream large ones).
export function encryptBytes(key, data) {
  const encryptor = new Encryptor(key);
  return concat(encryptor.push(data), encryptor.finish());
}

// The plaintext of a whole blob, checked against the commitment and, when given, the
// message's `size` and `sha256` (hex) before anything is decrypted.
export function decryptBytes(key, commitmentBytes, blob, { sha256: hash = null, size = null } = {}) {
  const decryptor = new Decryptor(key, commitmentBytes);
  if (size !== null && size !== undefined && blob.length !== size) {
    throw new AttachmentError('size_mismatch');
  }
  if (hash !== null && hash !== undefined && toHex(sha256(blob)) !== hash.toLowerCase()) {
    throw new AttachmentError('hash_mismatch');
  }
  return concat(decryptor.push(blob), decryptor.finish());
}
