/**
 * The outbox: messages written while offline (or not yet sent) are kept in IndexedDB and
 * sent when the connection is up, in the order written, exactly once.
 *
 * An entry is encrypted once, for every device of the other account and this account's
 * other devices, and its envelopes (ids, recipients, ciphertexts) are stored together with
 * the sessions that made them, before anything is sent. After a lost reply the very same
 * envelopes go out again with the same ids, which the relay stores at most once
 * (PROTOCOL §4.3). Entries go one at a time, each after the previous one was committed,
 * so the relay stores them in order.
 *
 *   entry: {seq, key (message record key), conversationId, plaintext, blobs?, envelopes: null |
 *           [{id, to, peer (a device of the other account?), body,
 *             result: null | "accepted" | error code}]}
 *
 * A group entry (groups.js) also has `group` (and optionally `to`: only these handles); it
 * is encrypted with this device's handle in that group for every other handle the verified
 * log admits and the relay routes to (`groupPlan`), and goes in the same one `send`.
 */
import { randomId } from "./bytes.js";
import { ConnectionLost, RelayError, UntrustedBundle } from "./errors.js";
import { MAX_BYTES_PER_EVENT, MAX_ENVELOPES_PER_EVENT } from "./relay.js";

/** Per-envelope refusals after which that envelope is given up (the device is gone). */
const GIVE_UP = new Set([
  "unknown_device",
  "not_permitted",
  "envelope_too_large",
  "not_a_member", // the handle left the group meanwhile
  "group_closed",
  "case_closed", // closed after it was encrypted: the chat says when and by whom (issue 19)
  "muted", // a facilitator muted the sender: the message is not sent later either
  "id_reused", // the relay holds another envelope under this id: resending cannot help
  "unknown_blob", // an attachment's blob is gone (or never was ours): resending cannot help
  "blob_incomplete",
]);
/** Refusals of a whole message: it cannot be sent to that account (or group) at all. */
const MESSAGE_FAILS = new Set([
  "unknown_account",
  "not_permitted",
  "not_a_member",
  "group_closed",
  "case_closed",
  "muted",
]);
/** Refusals of a whole `send` that pass: the same envelopes go again later. */
const RETRY_CODES = new Set(["rate_limited", "unavailable", "internal_error", "too_many_attempts"]);
const RETRY_LATER_MS = 5000;

export class Outbox {
  #pumping = false;
  #again = false;
  #timer = null;

  /**
   * @param store     Store
   * @param secure    () → SecureSessions
   * @param request   (event, data) → reply (the Link's request)
   * @param me        () → {accountId, deviceId}
   * @param online    () → whether the link is up
   * @param settle    async (entry, status, errorCode): delete the entry, store and announce
   *                  the message's new status ('sent' or 'failed')
   * @param groupPlan async (entry) → {secure, targets: [[handle, peer]]} for a group entry
   */
  constructor({ store, secure, request, me, online, settle, groupPlan = null }) {
    this.groupPlan = groupPlan;
    this.store = store;
    this.secure = secure;
    this.request = request;
    this.me = me;
    this.online = online;
    this.settle = settle;
  }

  /** Send what is waiting; safe to call at any time, runs one pump at a time. */
  async pump() {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        for (const entry of await this.store.getAll("outbox")) {
          if (!this.online()) return;
          if (!(await this.#deliver(entry))) return; // retry later; keep the order
        }
      } while (this.#again && this.online());
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
    } finally {
      this.#pumping = false;
    }
  }

  #retryLater(ms) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.pump(), ms);
  }

  stop() {
    clearTimeout(this.#timer);
  }

  /** True when the entry is done (sent or failed for good), false to try again later. */
  async #deliver(entry) {
    if (!entry.envelopes) {
      const encrypted = await this.#encrypt(entry);
      if (encrypted === null) return true;
    }
    const waiting = entry.envelopes.filter((envelope) => envelope.result === null);
    for (const chunk of chunks(waiting)) {
      let reply;
      try {
        reply = await this.request("send", {
          // An attachment's envelopes name its blob, so the relay lets their devices fetch it.
          envelopes: chunk.map(({ id, to, body }) => ({
            id,
            to,
            size: body.length,
            ...(entry.blobs ? { blobs: entry.blobs } : {}),
          })),
          bodies: joinBodies(chunk),
        });
      } catch (error) {
        if (!(error instanceof RelayError)) throw error;
        if (RETRY_CODES.has(error.code)) {
          this.#retryLater(Number(error.details.retry_after_ms) || RETRY_LATER_MS);
          return false;
        }
        await this.settle(entry, "failed", error.code); // malformed, payload_too_large: a bug
        return true;
      }
      const rejected = new Map((reply.rejected ?? []).map((r) => [r.id, r.code]));
      let later = false;
      for (const envelope of chunk) {
        const code = rejected.get(envelope.id);
        if (code === undefined) envelope.result = "accepted";
        else if (GIVE_UP.has(code)) envelope.result = code;
        else later = true; // mailbox_full: the same id again later
      }
      await this.store.write([["put", "outbox", entry]]);
      if (later) {
        this.#retryLater(RETRY_LATER_MS);
        return false;
      }
    }
    // Sent means the other person's devices have it; copies to our own devices do not count.
    const forPeer = entry.envelopes.filter((envelope) => envelope.peer);
    const accepted = forPeer.some((envelope) => envelope.result === "accepted");
    const code = accepted ? null : (forPeer[0]?.result ?? "unknown_device");
    await this.settle(entry, accepted ? "sent" : "failed", code);
    return true;
  }

  /** Encrypt for every target device and store the envelopes with the sessions; null
   * when the message was settled as failed instead. */
  async #encrypt(entry) {
    let plan;
    try {
      plan = entry.group ? await this.groupPlan(entry) : await this.#devicePlan(entry);
    } catch (error) {
      if (error instanceof RelayError && MESSAGE_FAILS.has(error.code)) {
        await this.settle(entry, "failed", error.code);
        return null;
      }
      throw error;
    }
    const { secure, targets } = plan;
    const envelopes = [];
    for (const [device, peer] of targets) {
      try {
        const body = await secure.encryptFor(device, entry.plaintext, this.request);
        envelopes.push({ id: randomId(16), to: device, peer, body, result: null });
      } catch (error) {
        // A device without prekeys, gone, or with a bundle that is not its own: skip it.
        if (error instanceof UntrustedBundle) continue;
        if (error instanceof RelayError && error.code !== "too_many_attempts") continue;
        throw error;
      }
    }
    if (!envelopes.some((envelope) => envelope.peer)) {
      // Alone in a group: written, and nobody else to send it to.
      if (entry.group && !targets.some(([, peer]) => peer)) await this.settle(entry, "sent", null);
      else await this.settle(entry, "failed", "unknown_device");
      return null;
    }
    entry.envelopes = envelopes;
    // The sessions' new state and the envelopes they made are stored together.
    const sessionOps = envelopes.map(({ to }) => secure.sessionOp(to));
    await this.store.write([["put", "outbox", entry], ...sessionOps, secure.keysOp()]);
    return entry;
  }

  /** A case message: every device of the other account, and this account's other devices. */
  async #devicePlan(entry) {
    // A message for named devices of our own (a group handle handed over): those only.
    if (Array.isArray(entry.devices)) return { secure: this.secure(), targets: entry.devices.map((d) => [d, true]) };
    const me = this.me();
    const peer = (await this.request("devices_list", { account: entry.conversationId })).devices;
    let targets = peer.map((device) => [device, true]);
    if (entry.conversationId !== me.accountId) {
      const own = (await this.request("devices_list", { account: me.accountId })).devices;
      targets = targets.concat(own.filter((device) => device !== me.deviceId).map((d) => [d, false]));
    }
    return { secure: this.secure(), targets };
  }
}

function* chunks(envelopes) {
  let chunk = [];
  let size = 0;
  for (const envelope of envelopes) {
    const full =
      chunk.length === MAX_ENVELOPES_PER_EVENT || size + envelope.body.length > MAX_BYTES_PER_EVENT;
    if (chunk.length && full) {
      yield chunk;
      chunk = [];
      size = 0;
    }
    chunk.push(envelope);
    size += envelope.body.length;
  }
  if (chunk.length) yield chunk;
}

function joinBodies(envelopes) {
  const out = new Uint8Array(envelopes.reduce((sum, envelope) => sum + envelope.body.length, 0));
  let offset = 0;
  for (const { body } of envelopes) {
    out.set(body, offset);
    offset += body.length;
  }
  return out;
}
