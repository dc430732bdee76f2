// Pad plaintexts to a few fixed sizes so ciphertext lengths say little (crypto/padding.py).
//
// ISO/IEC 7816-4, the bytes of libsodium's sodium_pad: one 0x80 after the plaintext, then
// zeros up to the smallest bucket that holds len + 1 bytes. Nine buckets; short messages
// all fall in the first. The last is 65280 so an initial envelope stays under 64 KiB.

import { DecryptionError, PayloadTooLargeError } from './errors.js';

export const BUCKETS = Object.freeze([256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65280]);
export const MAX_PLAINTEXT_SIZE = BUCKETS[BUCKETS.length - 1] - 1; // one byte for 0x80
const BUCKET_SET = new Set(BUCKETS);

// The padded size for a plaintext of `plaintextSize` bytes.
export function bucketSize(plaintextSize) {
  for (const bucket of BUCKETS) if (plaintextSize < bucket) return bucket;
  throw new PayloadTooLargeError(`plaintext larger than ${MAX_PLAINTEXT_SIZE} bytes`);
}

// plaintext ‖ 0x80 ‖ 0x00 … up to the bucket size.
export function pad(plaintext) {
  const out = new Uint8Array(bucketSize(plaintext.length)); // zero-filled
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  return out;
}

// Inverse of pad. It runs only on authenticated plaintext, so its timing reveals nothing;
// it stays strict so that exactly one padded form is valid for each plaintext.
export function unpad(padded) {
  if (!BUCKET_SET.has(padded.length)) throw new DecryptionError();
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  if (end === 0 || padded[end - 1] !== 0x80) throw new DecryptionError();
  return padded.slice(0, end - 1);
}
