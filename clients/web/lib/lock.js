/**
 * The optional PIN lock: what is stored in IndexedDB, sealed under a data key that only the
 * PIN opens. No DOM, no network.
 *
 *   PIN ──PBKDF2-SHA256 (600,000 rounds, 16-byte salt)──▶ PIN key (AES-256-GCM, non-extractable)
 *   data key: 32 random bytes, stored only wrapped: AES-GCM(PIN key, iv, data key, aad "steuntje/v1/lock")
 *   a stored value: iv (12) ‖ AES-GCM(data key, iv, pack(value), aad "<store>/<key>")
 *
 * The data key is imported as a non-extractable CryptoKey and lives only in memory while
 * unlocked. The AAD binds each sealed value to its place, so values cannot be swapped.
 * A wrong PIN fails the wrap's tag (LockError "wrong_pin"). A short PIN can be guessed
 * offline by someone who copies the browser profile: the lock protects a lost phone
 * against a casual finder, not against forensics; the phone's own lock still matters.
 */
import { b64url, fromUtf8, unb64url, utf8 } from "./bytes.js";
import { LockError } from "./errors.js";

export { LockError };

export const PBKDF2_ROUNDS = 600_000;
const WRAP_AAD = utf8("steuntje/v1/lock");
const IV_SIZE = 12;

const random = (size) => crypto.getRandomValues(new Uint8Array(size));

async function pinKey(pin, salt, rounds) {
  const material = await crypto.subtle.importKey("raw", utf8(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations: rounds },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

const importDataKey = (raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);

export function checkPin(pin) {
  if (typeof pin !== "string" || pin.length < 4 || pin.length > 64) {
    throw new LockError("bad_pin", "a PIN has 4 to 64 characters");
  }
}

/** A new data key wrapped under `pin`: {record (to store in meta "lock"), sealer}. */
export async function createLock(pin, rounds = PBKDF2_ROUNDS) {
  checkPin(pin);
  const raw = random(32);
  const record = await wrap(raw, pin, rounds);
  const sealer = new Sealer(await importDataKey(raw));
  raw.fill(0);
  return { record, sealer };
}

async function wrap(raw, pin, rounds) {
  const salt = random(16);
  const iv = random(IV_SIZE);
  const key = await pinKey(pin, salt, rounds);
  const wrapped = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: WRAP_AAD }, key, raw),
  );
  return { version: 1, rounds, salt, iv, wrapped };
}

async function unwrapRaw(record, pin) {
  const key = await pinKey(pin, record.salt, record.rounds);
  try {
    const params = { name: "AES-GCM", iv: record.iv, additionalData: WRAP_AAD };
    return new Uint8Array(await crypto.subtle.decrypt(params, key, record.wrapped));
  } catch {
    throw new LockError("wrong_pin", "that PIN is not right");
  }
}

/** The sealer for a stored lock record, or LockError('wrong_pin'). */
export async function openLock(record, pin) {
  const raw = await unwrapRaw(record, pin);
  const sealer = new Sealer(await importDataKey(raw));
  raw.fill(0);
  return sealer;
}

/** The same data key under a new PIN (nothing else is re-sealed). */
export async function rewrapLock(record, oldPin, newPin, rounds = PBKDF2_ROUNDS) {
  checkPin(newPin);
  const raw = await unwrapRaw(record, oldPin);
  const fresh = await wrap(raw, newPin, rounds);
  raw.fill(0);
  return fresh;
}

export class Sealer {
  #key;

  constructor(key) {
    this.#key = key;
  }

  async seal(value, place) {
    const iv = random(IV_SIZE);
    const params = { name: "AES-GCM", iv, additionalData: utf8(place) };
    const sealed = new Uint8Array(await crypto.subtle.encrypt(params, this.#key, pack(value)));
    const box = new Uint8Array(IV_SIZE + sealed.length);
    box.set(iv);
    box.set(sealed, IV_SIZE);
    return box;
  }

  async open(box, place) {
    const params = { name: "AES-GCM", iv: box.subarray(0, IV_SIZE), additionalData: utf8(place) };
    try {
      return unpack(new Uint8Array(await crypto.subtle.decrypt(params, this.#key, box.subarray(IV_SIZE))));
    } catch {
      throw new LockError("locked", "a stored value could not be opened");
    }
  }
}

/** JSON that keeps Uint8Array values ({"$b": base64url}). */
export function pack(value) {
  return utf8(
    JSON.stringify(value, function replace(key, item) {
      const raw = this[key];
      return raw instanceof Uint8Array ? { $b: b64url(raw) } : item;
    }),
  );
}

export function unpack(bytes) {
  return JSON.parse(fromUtf8(bytes), (key, item) =>
    item && typeof item === "object" && typeof item.$b === "string" && Object.keys(item).length === 1
      ? unb64url(item.$b)
      : item,
  );
}
