/**
 * The relay connection (PROTOCOL.md): Socket.IO over WebSocket only. The only network code.
 *
 *   Connection  one socket's life: challenge → auth | register, request/reply, deliver + ack
 *   Link        keeps a Connection up: reconnects with backoff, owns the state machine below
 *
 * Envelopes arrive in seq order and reach the app once: the relay redelivers after a
 * reconnect, and anything at or below `lastSeq` (persisted by the app together with what it
 * did with the envelope) is dropped. Acknowledgements are cumulative, sent after the app
 * has handled (and stored) a whole `deliver`.
 */
import { io } from "../vendor/socket.io-4.8.4.esm.min.js";
import { asBytes, b64url, concat, equalBytes, unb64url } from "./bytes.js";
import { ConnectionLost, FATAL_CODES, RelayError } from "./errors.js";
import { Emitter } from "./events.js";

export const REQUEST_TIMEOUT_MS = 60_000;
export const CONNECT_TIMEOUT_MS = 10_000;
export const MAX_ENVELOPES_PER_EVENT = 256;
export const MAX_BYTES_PER_EVENT = 1024 * 1024;
const AUTH_DOMAIN = new TextEncoder().encode("steuntje/v1/sig/auth-challenge\u0000");
const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];

/** The bytes a device signs to sign in: domain ‖ relay id ‖ nonce (PROTOCOL §4.1). The
 * crypto port's `signAuthChallenge` adds the domain itself; this is for checks and tests. */
export const authMessage = (relayId, nonce) => concat([AUTH_DOMAIN, relayId, nonce]);

/** Events the relay pushes that the app cares about (deliver is handled here). */
const PUSHED = [
  "case_changed",
  "delivered",
  "devices_changed",
  "group_changed",
  "prekeys_low",
  "relay_error",
  "undeliverable",
];

export class Connection extends Emitter {
  #socket = null;
  #pending = new Set();
  #release;
  // Deliveries wait until the app knows who it is (`release`, after auth/register):
  // the relay may send `deliver` before the `auth` reply.
  #chain = new Promise((resolve) => {
    this.#release = resolve;
  });
  #maxSeq = 0;
  #acked = 0;
  closed = false;
  revokedReason = null;

  /**
   * @param url       the relay's origin
   * @param signer    {deviceId, signChallenge(relayId ‖ nonce) → signature bytes}
   * @param handler   async (envelopes [{seq, id, from, body}]) → void; must persist lastSeq
   * @param lastSeq   () → highest seq already handed to the app
   */
  constructor({ url, signer, handler, lastSeq }) {
    super();
    this.url = url;
    this.signer = signer;
    this.handler = handler;
    this.lastSeq = lastSeq;
  }

  /** Open the socket and ask for a challenge; refuses a relay other than `expectedRelay`. */
  async open(expectedRelay) {
    const socket = io(this.url, {
      path: "/socket.io/",
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    this.#socket = socket;
    socket.on("disconnect", () => this.#lost());
    socket.on("deliver", (data) => {
      this.#chain = this.#chain.then(() => this.#onDeliver(data)).catch(() => this.close());
    });
    socket.on("revoked", (data) => {
      this.revokedReason = String(data?.reason ?? "revoked");
    });
    for (const name of PUSHED) socket.on(name, (data) => this.emit(name, data ?? {}));
    try {
      await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", () => reject(new ConnectionLost("the relay cannot be reached")));
      });
    } catch (error) {
      this.close();
      throw error;
    }
    const reply = await this.request("challenge");
    const relayId = unb64url(reply.relay);
    if (expectedRelay && !equalBytes(relayId, expectedRelay)) {
      this.close();
      throw new RelayError("wrong_relay", "this is not the relay this device registered with");
    }
    return { relayId, nonce: unb64url(reply.nonce) };
  }

  async authenticate(expectedRelay) {
    const { relayId, nonce } = await this.open(expectedRelay);
    const signature = this.signer.signChallenge(concat([relayId, nonce]));
    return this.#signIn("auth", { device: this.signer.deviceId, signature: b64url(signature) }, relayId);
  }

  async register(token, account = null, keepOld = false) {
    const { relayId, nonce } = await this.open(null);
    const signature = this.signer.signChallenge(concat([relayId, nonce]));
    const data = { invite: token, device: this.signer.deviceId, signature: b64url(signature) };
    if (account) data.account = account; // a recovery link names its account (PROTOCOL §4.2)
    // A recovery: the caregiver's old phone still works and they keep it (PROTOCOL §4.2).
    if (account && keepOld) data.keep_devices = "all";
    return this.#signIn("register", data, relayId);
  }

  async #signIn(event, data, relayId) {
    try {
      return { ...(await this.request(event, data)), relayId };
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Start handing deliveries to the app (called once the sign-in reply is processed). */
  release() {
    this.#release();
  }

  /** One event and its reply; RelayError on `ok: false`, ConnectionLost without a reply. */
  request(event, data = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
    const socket = this.#socket;
    if (!socket || this.closed || !socket.connected) {
      return Promise.reject(new ConnectionLost(`not connected (${event})`));
    }
    return new Promise((resolve, reject) => {
      const pending = { reject };
      const timer = setTimeout(() => {
        this.#pending.delete(pending);
        reject(new ConnectionLost(`no reply to ${event}`));
      }, timeoutMs);
      pending.reject = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.#pending.add(pending);
      socket.emit(event, data, (reply) => {
        clearTimeout(timer);
        if (!this.#pending.delete(pending)) return;
        if (reply && typeof reply === "object" && reply.ok === true) resolve(reply);
        else reject(RelayError.fromReply(reply));
      });
    });
  }

  /** Send envelopes [{id, to, body}] in one `send`; resolves to the reply. */
  send(envelopes) {
    return this.request("send", {
      envelopes: envelopes.map(({ id, to, body }) => ({ id, to, size: body.length })),
      bodies: concat(envelopes.map(({ body }) => body)),
    });
  }

  async #onDeliver(data) {
    const bodies = asBytes(data.bodies);
    let offset = 0;
    const fresh = [];
    for (const item of data.envelopes) {
      const body = bodies.slice(offset, offset + item.size);
      offset += item.size;
      this.#maxSeq = Math.max(this.#maxSeq, item.seq);
      if (item.seq <= this.lastSeq()) continue; // a redelivery: the app has it already
      fresh.push({ seq: item.seq, id: item.id, from: item.from, body });
    }
    if (fresh.length) await this.handler(fresh);
    if (this.#maxSeq > this.#acked && this.#socket?.connected) {
      this.#acked = this.#maxSeq;
      this.#socket.emit("ack", { upto: this.#maxSeq });
    }
  }

  #lost() {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.#pending) pending.reject(new ConnectionLost("connection lost"));
    this.#pending.clear();
    this.emit("closed", { revoked: this.revokedReason });
  }

  close() {
    this.#socket?.disconnect();
    this.#lost();
  }
}

/**
 * Connection states as a table (STYLE rule 4): state → {happening: next state}. An event
 * not in a state's row is a bug and throws.
 */
export const TRANSITIONS = Object.freeze({
  offline: { start: "connecting", stop: "offline", fatal: "offline" },
  connecting: { authenticated: "online", lost: "connecting", stop: "offline", fatal: "offline" },
  online: { lost: "connecting", stop: "offline", fatal: "offline" },
});

/**
 * Keeps one authenticated Connection up. Emits `status` {state}, `connected` (each time it
 * becomes online), `fatal` {code} (stops: the device cannot sign in any more), and passes
 * the relay's pushed events on.
 */
export class Link extends Emitter {
  state = "offline";
  connection = null;
  #attempt = 0;
  #timer = null;
  #wanted = false;
  #options;

  /** options: {url, signer, handler, lastSeq, relayId: () → bytes|null, onIdentity(reply)} */
  constructor(options) {
    super();
    this.#options = options;
    this.onBrowserOnline = () => {
      if (this.#wanted && this.state === "connecting" && this.#timer) this.#retryNow();
    };
    this.onBrowserOffline = () => this.connection?.close();
    globalThis.addEventListener?.("online", this.onBrowserOnline);
    globalThis.addEventListener?.("offline", this.onBrowserOffline);
  }

  #move(happening) {
    const next = TRANSITIONS[this.state][happening];
    if (next === undefined) throw new Error(`no transition ${this.state} --${happening}-->`);
    const changed = next !== this.state;
    this.state = next;
    if (changed) this.emit("status", { state: next });
  }

  #newConnection() {
    const { url, signer, handler, lastSeq } = this.#options;
    const connection = new Connection({ url, signer, handler, lastSeq });
    for (const name of PUSHED) connection.on(name, (data) => this.emit(name, data));
    return connection;
  }

  /** Register with an invite token; on success this connection is kept up like any other. */
  async register(token, account = null, keepOld = false) {
    if (this.state !== "offline") this.stop();
    this.#move("start");
    const connection = this.#newConnection();
    try {
      const identity = await connection.register(token, account, keepOld);
      this.#options.onIdentity?.(identity);
      this.#wanted = true;
      this.#adopt(connection);
      return identity;
    } catch (error) {
      this.#move("stop");
      throw error;
    }
  }

  /** Start (or keep) connecting; resolves the next time the link is online. */
  start() {
    this.#wanted = true;
    const online = this.state === "online" ? Promise.resolve() : this.#nextOnline();
    if (this.state === "offline") {
      this.#move("start");
      this.#attemptNow();
    }
    return online;
  }

  #nextOnline() {
    return new Promise((resolve) => {
      const off = this.on("connected", () => {
        off();
        resolve();
      });
    });
  }

  stop() {
    this.#wanted = false;
    clearTimeout(this.#timer);
    this.#timer = null;
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    if (this.state !== "offline") this.#move("stop");
  }

  async #attemptNow() {
    this.#timer = null;
    if (!this.#wanted) return;
    const connection = this.#newConnection();
    try {
      const identity = await connection.authenticate(this.#options.relayId());
      if (!this.#wanted) {
        connection.close();
        return;
      }
      this.#options.onIdentity?.(identity);
      this.#adopt(connection);
    } catch (error) {
      if (error instanceof RelayError && FATAL_CODES.has(error.code)) {
        this.#wanted = false;
        this.#move("fatal");
        this.emit("fatal", { code: error.code });
        return;
      }
      this.#scheduleRetry();
    }
  }

  #adopt(connection) {
    if (connection.closed) {
      // Closed between the sign-in reply and now: as if it had been lost a moment later.
      this.#move("lost");
      this.#scheduleRetry();
      return;
    }
    this.connection = connection;
    this.#attempt = 0;
    connection.on("closed", ({ revoked }) => {
      if (this.connection !== connection) return;
      this.connection = null;
      if (revoked && revoked !== "replaced") {
        this.#wanted = false;
        this.#move("fatal");
        this.emit("fatal", { code: revoked });
      } else if (revoked === "replaced") {
        // Another tab or window took over this device: do not fight it.
        this.#wanted = false;
        this.#move("stop");
        this.emit("fatal", { code: "replaced" });
      } else if (this.#wanted) {
        this.#move("lost");
        this.#scheduleRetry();
      } else if (this.state !== "offline") {
        this.#move("stop");
      }
    });
    this.#move("authenticated");
    connection.release();
    this.emit("connected", {});
  }

  #scheduleRetry() {
    if (!this.#wanted) return;
    if (this.state !== "connecting") this.#move("lost");
    const base = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
    this.#attempt += 1;
    const delay = base * (0.8 + 0.4 * Math.random());
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#attemptNow(), delay);
  }

  #retryNow() {
    clearTimeout(this.#timer);
    this.#attemptNow();
  }

  /** Reconnect at once (e.g. when the page becomes visible again). */
  retryNow() {
    if (this.#wanted && this.state === "connecting" && this.#timer) this.#retryNow();
  }

  request(event, data) {
    if (!this.connection || this.state !== "online") {
      return Promise.reject(new ConnectionLost(`offline (${event})`));
    }
    return this.connection.request(event, data);
  }

  dispose() {
    this.stop();
    globalThis.removeEventListener?.("online", this.onBrowserOnline);
    globalThis.removeEventListener?.("offline", this.onBrowserOffline);
  }
}
