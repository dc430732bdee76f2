// Big-endian binary reader and writer for the package's own encodings (crypto/_codec.py).
//
// Every encoding in docs/e2e.md is a concatenation of fixed-size fields, unsigned
// big-endian integers and u16-length-prefixed byte strings. The reader throws a
// caller-chosen error on truncation or trailing bytes, so a malformed envelope becomes
// DecryptionError and corrupt saved state StateError, never a RangeError.

const TWO_32 = 0x100000000;

export class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }

  raw(value) {
    this.parts.push(value);
    this.length += value.length;
    return this;
  }

  u8(value) {
    return this.raw(Uint8Array.of(value));
  }

  u16(value) {
    return this.raw(Uint8Array.of(value >>> 8, value & 0xff));
  }

  u32(value) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    return this.raw(out);
  }

  u64(value) {
    // Times are below 2^53, so a Number holds them exactly; split into two u32 halves.
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, Math.floor(value / TWO_32));
    view.setUint32(4, value % TWO_32);
    return this.raw(out);
  }

  var16(value) {
    return this.u16(value.length).raw(value);
  }

  toBytes() {
    return concat(...this.parts);
  }
}

export class Reader {
  // `makeError` returns the error to throw: () => new DecryptionError() for received data.
  constructor(data, makeError) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.offset = 0;
    this.makeError = makeError;
  }

  take(size) {
    const end = this.offset + size;
    if (size < 0 || end > this.data.length) throw this.makeError();
    const chunk = this.data.slice(this.offset, end);
    this.offset = end;
    return chunk;
  }

  u8() {
    return this.take(1)[0];
  }

  u16() {
    this.take(2);
    return this.view.getUint16(this.offset - 2);
  }

  u32() {
    this.take(4);
    return this.view.getUint32(this.offset - 4);
  }

  u64() {
    this.take(8);
    const high = this.view.getUint32(this.offset - 8);
    // Beyond 2^53 a Number loses precision; no valid state holds such a time.
    if (high >= 0x200000) throw this.makeError();
    return high * TWO_32 + this.view.getUint32(this.offset - 4);
  }

  raw(size) {
    return this.take(size);
  }

  var16() {
    return this.take(this.u16());
  }

  // Trailing bytes are an error: every encoding has exactly one valid length.
  finish() {
    if (this.offset !== this.data.length) throw this.makeError();
  }
}

export function concat(...arrays) {
  let size = 0;
  for (const array of arrays) size += array.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

// Plain (not constant-time) equality, for public values only: keys in headers, ids.
export function bytesEqual(a, b) {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function u32Bytes(value) {
  return new Writer().u32(value).toBytes();
}

export function toHex(bytes) {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError('invalid hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
