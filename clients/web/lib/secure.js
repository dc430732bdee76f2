/**
 * End-to-end sessions for one device: a port of clients/python/steuntje_client/secure.py
 * and session_store.py, without the network (the caller passes `request`, the Link's
 * request function) and without storage (it returns the store operations to persist, so the
 * caller writes them together with what it did with the plaintext).
 *
 * - Prekeys: the signed part (bundle bytes 0..229) and one-time prekeys up to
 *   ONE_TIME_PREKEYS; a one-time prekey id is never uploaded twice.
 * - Sessions: per peer device one current and MAX_ARCHIVED archived (docs/e2e.md §7.4).
 * - A bundle whose Ed25519 key is not the device asked for is refused (UntrustedBundle), and
 *   so is a first message signed by a device other than the one the relay says sent it.
 */
import {
  DecryptionError,
  DeviceKeys,
  PrekeyBundle,
  Session,
  acceptSession,
  formatSafetyNumber,
  safetyNumber,
  startSession,
} from "../crypto/index.js";
import { b64url } from "./bytes.js";
import { UntrustedBundle } from "./errors.js";

export const ONE_TIME_PREKEYS = 100;
export const MAX_ARCHIVED = 5;
export const SIGNED_PART_SIZE = 229; // docs/e2e.md §2.5
const TYPE_INITIAL = 0x01; // envelope byte 1 (docs/e2e.md §6)
const UPLOAD_CHUNK = 100;

export { DecryptionError };

const oneTimeEntries = (keys) => [...keys.oneTimePrekeys.entries()]; // a Map: id → OneTimePrekey

/** Where a device's own keys, sessions and upload mark are stored (store operations). */
export const DEVICE_STORAGE = Object.freeze({
  keys: (bytes) => ["put", "meta", bytes, "keys"],
  session: (peer, records) => ["put", "sessions", records, peer],
  uploaded: (upto) => ["put", "meta", upto, "uploadedUpto"],
});

/** The same for a group handle (docs/groups.md §1): its own stores, keyed by the handle. */
export const handleStorage = (handle) =>
  Object.freeze({
    keys: (bytes) => ["put", "handles", bytes, handle],
    session: (peer, records) => ["put", "groupSessions", records, `${handle}|${peer}`],
    uploaded: (upto) => ["put", "handles", upto, `${handle}#uploaded`],
  });

export class SecureSessions {
  /**
   * @param keys          DeviceKeys
   * @param sessions      Map device id → [Session] (current first)
   * @param uploadedUpto  one-time prekey ids up to this were uploaded once
   * @param now           () → Unix seconds
   * @param as            null for the device itself, or the group handle these keys are
   *                      (prekeys are then uploaded and counted with `as`)
   * @param storage       DEVICE_STORAGE or handleStorage(handle)
   */
  constructor({ keys, sessions = new Map(), uploadedUpto = 0, now, as = null, storage = DEVICE_STORAGE }) {
    this.keys = keys;
    this.as = as;
    this.storage = storage;
    this.sessions = sessions;
    this.uploadedUpto = uploadedUpto;
    this.now = now;
    this.deviceId = b64url(keys.identity.public.signingKey);
    this.starting = new Map(); // device id → promise of a session start in progress
    // Devices a repair (docs/e2e.md §7.4 rule 6) was started with and that nothing has
    // decrypted from since: the rest of a dead chain in flight starts no second one.
    this.repairing = new Set();
  }

  static generate(now) {
    return DeviceKeys.generate(now, undefined, 0);
  }

  /** Restore from stored bytes: keys and [[device, [session bytes]]]. */
  static restore({ keyBytes, sessionEntries, uploadedUpto, now, as = null, storage = DEVICE_STORAGE }) {
    const sessions = new Map();
    for (const [device, records] of sessionEntries) {
      sessions.set(device, records.map((bytes) => Session.fromBytes(bytes)));
    }
    const keys = DeviceKeys.fromBytes(keyBytes);
    return new SecureSessions({ keys, sessions, uploadedUpto, now, as, storage });
  }

  /** For the relay's challenge: sign relay id ‖ nonce with the identity key. */
  signChallenge(challenge) {
    return this.keys.signAuthChallenge(challenge);
  }

  // -- persistence: store operations for the caller's transaction ----------------------

  keysOp() {
    return this.storage.keys(this.keys.toBytes());
  }

  sessionOp(deviceId) {
    const record = this.sessions.get(deviceId) ?? [];
    return this.storage.session(deviceId, record.map((session) => session.toBytes()));
  }

  // -- prekeys --------------------------------------------------------------------------

  /**
   * Upload the signed part and one-time prekeys so that the relay holds ONE_TIME_PREKEYS.
   * `persist(ops)` must store the new private keys before they are uploaded.
   */
  async publishPrekeys(request, persist) {
    const as = this.as ? { as: this.as } : {};
    const relayHas = (await request("prekeys_status", as)).one_time;
    const now = this.now();
    if (this.keys.needsRotation(now)) this.keys.rotateSignedPrekey(now);
    let fresh = oneTimeEntries(this.keys)
      .filter(([id]) => id > this.uploadedUpto)
      .map(([id, key]) => [id, key.publicKey]);
    const missing = ONE_TIME_PREKEYS - relayHas - fresh.length;
    if (missing > 0) fresh = fresh.concat(this.keys.addOneTimePrekeys(missing));
    await persist([this.keysOp()]);
    const signed = this.keys.bundle().toBytes().slice(0, SIGNED_PART_SIZE);
    let count = relayHas;
    for (let start = 0; start < Math.max(fresh.length, 1); start += UPLOAD_CHUNK) {
      const chunk = fresh.slice(start, start + UPLOAD_CHUNK);
      const keysBytes = new Uint8Array(chunk.length * 32);
      chunk.forEach(([, key], index) => keysBytes.set(key, index * 32));
      const reply = await request("prekeys_upload", {
        ...as,
        signed,
        one_time_ids: chunk.map(([id]) => id),
        one_time_keys: keysBytes,
      });
      count = reply.one_time;
    }
    if (fresh.length) {
      this.uploadedUpto = Math.max(this.uploadedUpto, ...fresh.map(([id]) => id));
      await persist([this.storage.uploaded(this.uploadedUpto)]);
    }
    return count;
  }

  // -- sessions -------------------------------------------------------------------------

  current(deviceId) {
    return this.sessions.get(deviceId)?.[0] ?? null;
  }

  promote(deviceId, session) {
    const rest = (this.sessions.get(deviceId) ?? []).filter((s) => s !== session);
    this.sessions.set(deviceId, [session, ...rest].slice(0, MAX_ARCHIVED + 1));
  }

  forget(deviceId) {
    this.sessions.delete(deviceId);
  }

  /**
   * Encrypt `plaintext` for one device, starting a session from a fetched bundle when there
   * is none. Returns the envelope bytes; the session for `deviceId` has changed (persist it
   * with sessionOp before or together with sending the envelope).
   */
  async encryptFor(deviceId, plaintext, request) {
    const session = this.current(deviceId);
    if (session) return session.encrypt(plaintext, this.now());
    // Two sends to a new device must not start two sessions.
    while (this.starting.has(deviceId)) await this.starting.get(deviceId).catch(() => {});
    const again = this.current(deviceId);
    if (again) return again.encrypt(plaintext, this.now());
    const started = (async () => {
      const bundle = await this.#fetchBundle(deviceId, request);
      const [fresh, envelope] = startSession(this.keys, bundle, this.now(), undefined, plaintext);
      this.promote(deviceId, fresh);
      return envelope;
    })();
    this.starting.set(deviceId, started);
    try {
      return await started;
    } finally {
      this.starting.delete(deviceId);
    }
  }

  async #fetchBundle(deviceId, request) {
    const reply = await request("prekeys_fetch", { device: deviceId });
    const bundle = PrekeyBundle.fromBytes(new Uint8Array(reply.bundle));
    if (b64url(bundle.identity.signingKey) !== deviceId) throw new UntrustedBundle();
    return bundle;
  }

  /**
   * docs/e2e.md §7.4 rule 6: something from `deviceId` did not decrypt, perhaps a chain that
   * jumped past MAX_SKIP, which no later message can repair. Start a new session whose first
   * envelope carries no message; the peer makes it current, and the next message in either
   * direction decrypts. Returns that envelope (persist sessionOp(deviceId) with it), or null
   * when a repair with this device is already under way. Decides synchronously, so a caller
   * that does not await still starts one repair per break.
   */
  restart(deviceId, request) {
    if (this.repairing.has(deviceId)) return Promise.resolve(null);
    this.repairing.add(deviceId);
    return (async () => {
      try {
        const bundle = await this.#fetchBundle(deviceId, request);
        const [fresh, envelope] = startSession(this.keys, bundle, this.now(), undefined, new Uint8Array(0));
        this.promote(deviceId, fresh);
        return envelope;
      } catch (error) {
        this.repairing.delete(deviceId); // no prekeys, gone, a lying relay: the next failure tries again
        throw error;
      }
    })();
  }

  /**
   * docs/e2e.md §7.4: route to the right session, or accept a new one. Synchronous: the
   * state changes in memory and the caller persists `ops` with the plaintext's effects.
   * Throws DecryptionError for anything that does not decrypt (replay, forgery, garbage).
   */
  decrypt(sender, body) {
    const now = this.now();
    const candidates = this.sessions.get(sender) ?? [];
    if (body.length > 1 && body[1] === TYPE_INITIAL) {
      const matching = candidates.find((session) => session.matches(body));
      if (matching) {
        const plaintext = matching.decrypt(body, now);
        this.promote(sender, matching);
        this.repairing.delete(sender);
        return { plaintext, ops: [this.sessionOp(sender)] };
      }
      const [session, plaintext] = acceptSession(this.keys, body, now);
      if (b64url(session.peerIdentity.signingKey) !== sender) throw new DecryptionError();
      this.promote(sender, session);
      this.repairing.delete(sender);
      // Its one-time prekey is now gone for good: the keys are persisted with the session.
      return { plaintext, ops: [this.sessionOp(sender), this.keysOp()], newSession: true };
    }
    for (const session of candidates) {
      let plaintext;
      try {
        plaintext = session.decrypt(body, now);
      } catch (error) {
        if (error instanceof DecryptionError) continue;
        throw error;
      }
      this.promote(sender, session);
      this.repairing.delete(sender);
      return { plaintext, ops: [this.sessionOp(sender)] };
    }
    throw new DecryptionError();
  }

  /** The 60-digit number for this device pair (docs/e2e.md §9), or null without a session. */
  safetyNumber(deviceId, ownAccount, peerAccount) {
    const session = this.current(deviceId);
    if (!session) return null;
    const encoder = new TextEncoder();
    const number = safetyNumber(
      this.keys.identity.public.encode(),
      encoder.encode(ownAccount),
      session.peerIdentity.encode(),
      encoder.encode(peerAccount),
    );
    return { device: deviceId, number, formatted: formatSafetyNumber(number) };
  }
}
