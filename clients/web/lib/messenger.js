/**
 * `openMessenger()`: the one object the UI talks to, and the composition root of the
 * library (README.md is its contract). It wires the relay Link, the end-to-end sessions,
 * the store and the outbox; it holds no DOM code and logs no content, keys or tokens.
 *
 * Message records (store "messages", key `${author account}|${message id}`) are stored as
 * received; receipts, reactions and check-in answers are folded into their targets when
 * read (`views`), so one transaction per envelope is enough: session state, record and
 * lastSeq together.
 */
import { randomId } from "./bytes.js";
import { ConnectionLost, InvalidMessage, RelayError, UntrustedBundle } from "./errors.js";
import { Emitter } from "./events.js";
import { looksLikeToken, parseInvite, withFingerprint } from "./invite.js";
import { decode, encode, makeMessage } from "./messages.js";
import { createLock, LockError, openLock, rewrapLock } from "./lock.js";
import { Outbox } from "./outbox.js";
import { GroupsGate, isGroupId } from "./groups-gate.js";
import { foldTargets, HIDDEN_KINDS, incomingRecord, outgoingRecord, timerSeconds, views } from "./records.js";
import { Link } from "./relay.js";
import { SecureSessions } from "./secure.js";
import { Store } from "./store.js";

const SWEEP_INTERVAL_MS = 60_000;
// What signStatement may sign (lib/questionnaires.js ANSWERS_LABEL, ONBOARDING_LABEL).
const STATEMENT_LABELS = new Set(["steuntje/v1/sig/questionnaire-answers\0", "steuntje/v1/sig/onboarding\0"]);
const CONVERSATION_COALESCE_MS = 50;
const EARLY_DELIVERED_MAX = 1000; // `delivered` ids not (yet) matched to a message of ours
const systemClock = () => Math.floor(Date.now() / 1000);
const identityOf = (reply) => ({
  accountId: reply.account,
  deviceId: reply.device,
  role: reply.role,
  org: reply.org,
});
const inviteOf = (reply, deviceId) => ({
  link: withFingerprint(reply.link, deviceId),
  token: reply.token,
  expiresAt: reply.expires_at,
});

export async function openMessenger({ relayUrl, storeName = "steuntje", clock = systemClock } = {}) {
  const store = await Store.open(storeName);
  // Ask the browser not to evict this origin's storage under pressure: the device's keys
  // are there. Best effort; an installed app usually gets it.
  globalThis.navigator?.storage?.persist?.().catch(() => {});
  const messenger = new Messenger({ relayUrl: relayUrl ?? globalThis.location?.origin, store, clock });
  await messenger.load();
  return messenger;
}

export class Messenger extends Emitter {
  me = null;
  dropped = 0; // envelopes that did not decrypt or validate: counted, never shown or logged
  #store;
  #clock;
  #secure = null;
  #link;
  #outbox;
  #lastSeq = 0;
  #relayId = null;
  #cases = [];
  #settings = {};
  #order = 0;
  #sweepTimer = null;
  #publishing = null;
  #provisioning = Promise.resolve(); // one provisioning of our other devices at a time
  #closed = false;
  #lock = null; // the wrapped data key (meta "lock") when a PIN is set
  #holding = false; // this tab holds the device's Web Lock
  #stale = false; // another tab may have used the device since we last read the store
  #releaseDevice = null;
  #channel = null;
  #conversationTimer = null;
  #sentEnvelopes = new Map(); // envelope id -> message record key, for `delivered`
  #deliveredEarly = new Set();
  #statusChain = Promise.resolve();

  constructor({ relayUrl, store, clock }) {
    super();
    this.relayUrl = relayUrl;
    this.#store = store;
    this.#clock = clock;
    const messenger = this;
    this.#link = new Link({
      url: relayUrl,
      signer: {
        get deviceId() {
          return messenger.#secure.deviceId;
        },
        signChallenge: (challenge) => this.#secure.signChallenge(challenge),
      },
      handler: (envelopes) => this.#receiveAll(envelopes),
      lastSeq: () => this.#lastSeq,
      relayId: () => this.#relayId,
      onIdentity: (identity) => {
        this.#relayId = identity.relayId;
        this.me = identityOf(identity);
      },
    });
    this.#link.on("status", (event) => this.emit("status", event));
    this.#link.on("connected", () => this.#onConnected());
    // Another tab or window took this device over ("replaced") is not the end of it.
    this.#link.on("fatal", ({ code }) => {
      this.emit(code === "replaced" ? "replaced" : "revoked", { reason: code });
    });
    this.#link.on("case_changed", () => this.#refreshCases().catch(() => {}));
    this.#link.on("delivered", ({ ids }) => this.#onDelivered(ids).catch(() => {}));
    this.#link.on("undeliverable", ({ ids }) => this.#onUndeliverable(ids).catch(() => {}));
    this.#link.on("devices_changed", ({ account }) => this.#onDevicesChanged(account));
    this.#link.on("prekeys_low", ({ as }) => {
      if (as) this.groups.topUp(as).catch(() => {});
      else this.#publish().catch(() => {});
    });
    this.#link.on("group_changed", ({ group }) => {
      if (isGroupId(group)) this.groups.refresh(group).catch(() => {});
    });
    // Tabs of one device tell each other about new outbox entries: the tab holding the
    // device sends them.
    this.#channel = globalThis.BroadcastChannel ? new BroadcastChannel(`steuntje:${store.name}`) : null;
    if (this.#channel) this.#channel.onmessage = () => this.#pump();
    this.#outbox = new Outbox({
      store,
      secure: () => this.#secure,
      request: (event, data) => this.#link.request(event, data),
      me: () => this.me,
      online: () => this.#link.state === "online",
      settle: (entry, status, code) => this.#settle(entry, status, code),
      groupPlan: (entry) => this.groups.plan(entry),
    });
    /** Peer-support groups (groups.js, docs/groups.md). */
    this.groups = new GroupsGate(store, () => ({
      store,
      clock,
      request: (event, data) => this.#link.request(event, data),
      relayUrl,
      nextOrder: () => this.#nextOrder(),
      pump: () => {
        if (this.#holding || !this.#channel) this.#pump();
        else this.#channel.postMessage("outbox");
      },
      sendCase: (conversationId, kind, fields) => this.send(conversationId, kind, fields),
      sendOwn: (device, kind, fields) => this.#sendOwn(device, kind, fields),
    }));
    // The group events are the messenger's too, so a screen can listen in one place.
    for (const name of ["groups", "group-message", "group-changed", "error"]) {
      this.groups.on(name, (payload) => this.emit(name, payload));
    }
  }

  // -- loading -------------------------------------------------------------------------

  async load() {
    const meta = await this.#store.clearMeta();
    this.me = meta.get("me") ?? null;
    this.#relayId = meta.get("relayId") ?? null;
    this.#lastSeq = meta.get("lastSeq") ?? 0;
    this.#cases = meta.get("cases") ?? [];
    this.#settings = meta.get("settings") ?? {};
    this.#lock = meta.get("lock") ?? null;
    this.#order = Date.now();
    this.#sweepTimer = setInterval(() => this.sweep().catch(() => {}), SWEEP_INTERVAL_MS);
    if (!this.#lock) await this.#loadSecrets();
  }

  /** The private part: keys and sessions (sealed while a PIN lock is closed). */
  async #loadSecrets() {
    const keyBytes = await this.#store.get("meta", "keys");
    if (keyBytes) {
      this.#secure = SecureSessions.restore({
        keyBytes,
        sessionEntries: await this.#store.entries("sessions"),
        uploadedUpto: (await this.#store.get("meta", "uploadedUpto")) ?? 0,
        now: this.#clock,
      });
    }
    await this.groups.load();
    await this.sweep();
  }

  // -- PIN lock (lock.js) --------------------------------------------------------------

  /** True while a PIN lock is set and not opened: only `me`, `state` and `unlock` work. */
  get locked() {
    return this.#lock !== null && this.#store.sealer === null;
  }

  get hasPin() {
    return this.#lock !== null;
  }

  #requireUnlocked() {
    if (this.locked) throw new LockError("locked", "unlock with the PIN first");
  }

  async unlock(pin) {
    if (!this.#lock) throw new LockError("no_pin", "there is no PIN");
    if (!this.locked) return;
    this.#store.sealer = await openLock(this.#lock, pin);
    await this.#loadSecrets();
    this.emit("unlocked", {});
  }

  /** Close the lock: disconnect and forget the keys in memory until `unlock(pin)`. */
  lock() {
    if (!this.#lock || this.locked) return;
    this.#link.stop();
    this.#letGoOfDevice();
    this.#outbox.stop();
    this.#store.sealer = null;
    this.#secure = null;
    this.groups.unload();
    this.emit("locked", {});
  }

  /** Set a PIN (sealing everything stored), or change it (`currentPin` required). */
  async setPin(pin, currentPin = null) {
    this.#requireUnlocked();
    if (this.#lock) {
      const record = await rewrapLock(this.#lock, currentPin, pin);
      await this.#store.write([["put", "meta", record, "lock"]]);
      this.#lock = record;
      return;
    }
    const { record, sealer } = await createLock(pin);
    await this.#store.reseal(sealer, [["put", "meta", record, "lock"]]);
    this.#lock = record;
  }

  /** Remove the PIN: everything is stored in the clear again. */
  async removePin(pin) {
    this.#requireUnlocked();
    if (!this.#lock) return;
    await openLock(this.#lock, pin); // the PIN must be right
    await this.#store.reseal(null, [["delete", "meta", "lock"]]);
    this.#lock = null;
  }

  get registered() {
    return this.me !== null;
  }

  get state() {
    return this.#link.state;
  }

  get deviceId() {
    return this.#secure?.deviceId ?? null;
  }

  #nextOrder() {
    this.#order = Math.max(Date.now(), this.#order + 1);
    return this.#order;
  }

  // -- connection ----------------------------------------------------------------------

  /** `keepOld`: with a recovery link, keep the account's old devices (PROTOCOL §4.2). */
  async register(inviteLink, { keepOld = false } = {}) {
    if (this.registered) throw new RelayError("already_registered", "this browser is registered");
    const { token, fingerprint, account } = parseInvite(inviteLink);
    if (!looksLikeToken(token)) throw new RelayError("invite_invalid", "the link holds no invite");
    await this.#holdDevice();
    if (!this.#secure) {
      // Stored before the relay sees the key: a reply lost in transit leaves a device that
      // can still sign in (device_exists below).
      const keys = SecureSessions.generate(this.#clock());
      this.#secure = new SecureSessions({ keys, now: this.#clock });
      await this.#store.write([this.#secure.keysOp()]);
    }
    let identity;
    try {
      identity = await this.#link.register(token, account, keepOld);
    } catch (error) {
      if (!(error instanceof RelayError) || error.code !== "device_exists") throw error;
      await this.#link.start();
      identity = { ...(await this.#link.request("whoami", {})), relayId: this.#relayId };
    }
    this.me = identityOf(identity);
    this.#settings = { readReceipts: identity.role !== "caregiver", ...this.#settings };
    const ops = [
      ["put", "meta", this.me, "me"],
      ["put", "meta", identity.relayId, "relayId"],
      ["put", "meta", this.#settings, "settings"],
    ];
    if (fingerprint) ops.push(["put", "meta", fingerprint, "pendingPin"]);
    await this.#store.write(ops);
    await this.#publish();
    await this.#refreshCases();
    // An officer pins the organisation's audit log key now, once (issue 19): the desk later
    // checks the log with this key, never with one fetched from the relay at that moment.
    if (identity.role === "officer") await this.#pinAuditKey();
    this.#pump();
    return this.me;
  }

  async #pinAuditKey() {
    try {
      const { verifier_key: key } = await this.#link.request("audit_key", {});
      if (typeof key === "string") await this.setAuditTrust({ key, kept: null });
    } catch {
      // Not pinned: the desk says so instead of checking against a key it has not got.
    }
  }

  /** Start connecting (and keep reconnecting); resolves once online. */
  async connect() {
    if (!this.registered) throw new RelayError("not_registered", "register first");
    if (this.locked) throw new LockError("locked", "unlock with the PIN first");
    await this.#holdDevice();
    return this.#link.start();
  }

  disconnect() {
    this.#link.stop();
    this.#letGoOfDevice();
  }

  // -- one tab at a time ---------------------------------------------------------------
  //
  // Two tabs of the app share one IndexedDB database, but each keeps the sessions in
  // memory: if both used the device, their ratchets would fork. So a tab connects only
  // while it holds the Web Lock "steuntje:<store>"; a tab that connects takes the lock
  // over (steal), and the tab that had it stops and emits `replaced`. A tab that held the
  // lock before reads its state from IndexedDB again when it takes it back.

  async #holdDevice() {
    if (!globalThis.navigator?.locks) this.#holding = true; // no Web Locks: one tab assumed
    if (this.#holding) {
      if (this.#stale) await this.#reload();
      return;
    }
    await new Promise((acquired) => {
      navigator.locks
        .request(`steuntje:${this.#store.name}`, { steal: true }, () => {
          acquired();
          return new Promise((release) => {
            this.#releaseDevice = release;
          });
        })
        .catch(() => this.#deviceTaken()); // AbortError: another tab stole the lock
    });
    this.#holding = true;
    if (this.#stale) await this.#reload();
  }

  #deviceTaken() {
    if (!this.#holding) return;
    this.#holding = false;
    this.#stale = true;
    this.#link.stop();
    this.emit("replaced", { reason: "replaced" });
  }

  #letGoOfDevice() {
    if (!this.#holding) return;
    this.#holding = false;
    this.#stale = true; // another tab may use the device meanwhile
    this.#releaseDevice?.();
  }

  /** Read what another tab may have changed: sessions, keys, lastSeq, cases. */
  async #reload() {
    const meta = await this.#store.clearMeta();
    this.#lastSeq = meta.get("lastSeq") ?? 0;
    this.#cases = meta.get("cases") ?? [];
    this.#settings = meta.get("settings") ?? {};
    this.#relayId = meta.get("relayId") ?? this.#relayId;
    await this.#loadSecrets();
    this.#stale = false;
  }

  /** Reconnect at once if waiting for a retry (the UI calls this when the page is shown). */
  retryNow() {
    this.#link.retryNow();
  }

  close() {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#conversationTimer);
    this.#outbox.stop();
    this.#link.dispose();
    this.#letGoOfDevice();
    this.#channel?.close();
    this.#store.close();
  }

  request(event, data = {}) {
    return this.#link.request(event, data);
  }

  async #onConnected() {
    try {
      // Never published (a registration cut short), or the signed prekey is due (7 days).
      const secure = this.#secure;
      if (secure.uploadedUpto === 0 || secure.keys.needsRotation(this.#clock())) await this.#publish();
      await this.#refreshCases();
      await this.groups.sync();
      await this.#provisionOwnDevices();
    } catch (error) {
      if (!(error instanceof ConnectionLost)) this.emit("error", { code: error.code ?? "internal" });
    }
    this.#pump();
  }

  #pump() {
    this.#outbox.pump().catch(() => this.emit("error", { code: "outbox" }));
  }

  #publish() {
    if (!this.#publishing) {
      const persist = (ops) => this.#store.write(ops);
      this.#publishing = this.#secure
        .publishPrekeys((event, data) => this.#link.request(event, data), persist)
        .finally(() => {
          this.#publishing = null;
        });
    }
    return this.#publishing;
  }

  // -- cases, conversations, policies --------------------------------------------------

  async #refreshCases() {
    const cases = (await this.#link.request("case_list", {})).cases;
    const known = new Map(this.#cases.map((c) => [c.id, c]));
    for (const item of cases) {
      try {
        const policy = await this.#link.request("policy_get", { case: item.id });
        item.disappearingTimer = timerSeconds(policy.effective?.disappearing_timer);
      } catch (error) {
        if (error instanceof ConnectionLost) throw error;
        item.disappearingTimer = known.get(item.id)?.disappearingTimer ?? null;
      }
    }
    this.#cases = cases;
    const ops = [["put", "meta", cases, "cases"]];
    const pending = await this.#store.get("meta", "pendingPin");
    if (pending) {
      const owner = this.#accountOfDevice(pending);
      if (owner) {
        const pins = new Set((await this.#store.get("pins", owner)) ?? []);
        pins.add(pending);
        ops.push(["put", "pins", [...pins], owner], ["delete", "meta", "pendingPin"]);
      }
    }
    await this.#store.write(ops);
    this.emit("conversation", {});
    await this.sweep();
  }

  /** A message for one of this account's other devices only (no record, never shown). */
  async #sendOwn(device, kind, fields, extra = {}) {
    const message = makeMessage(kind, fields, this.me.accountId, this.#clock());
    const entry = {
      key: `${this.me.deviceId}|own|${message.id}`,
      conversationId: this.me.accountId,
      devices: [device],
      plaintext: encode(message),
      envelopes: null,
      ...extra,
    };
    await this.#store.write([["add", "outbox", entry]]);
    this.#pump();
  }

  /** Our other devices join every group this device is in (groups.js, provisionOwnDevices),
   * and learn the names this person gave contacts (once per device: meta "namesShared"). */
  #provisionOwnDevices() {
    // One at a time: `devices_changed` comes twice for a new device (linked, then its first
    // prekeys); a second run must see what the first one did, not give it a second handle.
    const run = this.#provisioning.then(() => this.#provisionNow());
    this.#provisioning = run.catch(() => {});
    return run;
  }

  async #provisionNow() {
    const { devices } = await this.#link.request("devices_list", { account: this.me.accountId });
    const others = devices.filter((device) => device !== this.me.deviceId);
    await this.groups.provisionOwnDevices(others);
    await this.#shareNames(others);
  }

  /** Names travel end to end to our other devices (issue 19 item 11): each name once to a
   * device that has not had them yet; later changes follow in setName. */
  async #shareNames(devices) {
    const shared = new Set((await this.#store.get("meta", "namesShared")) ?? []);
    const fresh = devices.filter((device) => !shared.has(device));
    if (fresh.length === 0) return;
    const names = await this.#store.entries("names");
    // Marked as shared once one of them is sent (#settleNow): a device that has no prekeys
    // yet gets them again when it has (the relay says devices_changed then).
    for (const device of fresh) {
      for (const [account, name] of names) {
        await this.#sendOwn(device, "contact_name", { account, name }, { namesFor: device });
      }
    }
  }

  async #onDevicesChanged(account) {
    if (account === this.me?.accountId) {
      this.#provisionOwnDevices().catch((error) => {
        if (!(error instanceof ConnectionLost)) this.emit("error", { code: error.code ?? "internal" });
      });
    }
    const before = new Set(this.#devicesOf(account));
    try {
      await this.#refreshCases();
    } catch {
      return;
    }
    const after = this.#devicesOf(account);
    const changed = after.length !== before.size || after.some((device) => !before.has(device));
    if (changed && account !== this.me?.accountId) this.emit("identity", { accountId: account });
  }

  #devicesOf(account) {
    const devices = new Set();
    for (const item of this.#cases) {
      for (const member of item.members) {
        if (member.account === account) member.devices.forEach((device) => devices.add(device));
      }
    }
    return [...devices];
  }

  #accountOfDevice(device) {
    for (const item of this.#cases) {
      for (const member of item.members) if (member.devices.includes(device)) return member.account;
    }
    return null;
  }

  /** The cases this account is on, as last read from the relay (on every connect and
   * every `case_changed`); `conversation` is emitted when they change. */
  async cases() {
    return structuredClone(this.#cases);
  }

  #timerOf(conversationId) {
    let timer = null;
    for (const item of this.#cases) {
      if (!item.members.some((member) => member.account === conversationId)) continue;
      const own = item.disappearingTimer;
      if (own && (timer === null || own < timer)) timer = own;
    }
    return timer;
  }

  async conversations() {
    const byAccount = new Map();
    for (const item of this.#cases) {
      for (const member of item.members) {
        if (member.account === this.me?.accountId) continue;
        const entry = byAccount.get(member.account) ?? { id: member.account, role: member.role, cases: [] };
        entry.cases.push(item.id);
        // "Laatst gebruikt": the day the caregiver last signed in (PROTOCOL §4.6).
        if (item.caregiver === member.account) entry.lastUsedDay = item.caregiver_last_active_day ?? null;
        byAccount.set(member.account, entry);
      }
    }
    const names = new Map(await this.#store.entries("names"));
    const list = [];
    for (const entry of byAccount.values()) {
      const views = await this.messages(entry.id);
      const last = views.at(-1) ?? null;
      list.push({
        ...entry,
        name: names.get(entry.id) ?? null,
        lastMessage: last,
        unread: views.filter((view) => !view.outgoing && !view.read).length,
        verified: await this.verified(entry.id),
        disappearingTimer: this.#timerOf(entry.id),
      });
    }
    return list.sort((a, b) => (b.lastMessage?.order ?? 0) - (a.lastMessage?.order ?? 0));
  }

  // -- messages ------------------------------------------------------------------------

  /** The conversation's messages, oldest first, with receipts/reactions/answers folded in. */
  async messages(conversationId) {
    this.#requireUnlocked();
    return views(await this.#store.messagesOf(conversationId), this.me?.accountId);
  }

  async send(conversationId, kind, fields = {}) {
    if (!this.registered) throw new RelayError("not_registered", "register first");
    this.#requireUnlocked();
    if (typeof conversationId !== "string" || !conversationId) throw new InvalidMessage("no conversation");
    const message = makeMessage(kind, fields, conversationId, this.#clock());
    const record = outgoingRecord(message, this.me.accountId, this.deviceId, this.#nextOrder());
    const entry = { key: record.key, conversationId, plaintext: encode(message), envelopes: null };
    if (kind === "attachment") entry.blobs = [message.fields.blob]; // PROTOCOL §4.17 step 3
    await this.#store.write([["add", "outbox", entry], ["put", "messages", record]]);
    await this.#announce(record, true);
    if (this.#holding || !this.#channel) this.#pump();
    else this.#channel.postMessage("outbox");
    // Receipts and reactions are not shown on their own, but the caller gets them too.
    const { key, ...shown } = record;
    return views([record], this.me.accountId)[0] ?? { ...shown, reactions: {}, answers: {} };
  }

  // A message's status changes one at a time: the outbox's "sent" and the relay's
  // `delivered` can arrive in either order, and each reads the record before writing it.
  #serially(work) {
    const run = this.#statusChain.then(work);
    this.#statusChain = run.catch(() => {});
    return run;
  }

  #settle(entry, status, code) {
    return this.#serially(() => this.#settleNow(entry, status, code));
  }

  async #settleNow(entry, status, code) {
    if (status === "sent") {
      // Remember which envelopes carry this message to the other person's devices, so the
      // relay's `delivered` (a device of theirs acknowledged one) can mark it "afgeleverd".
      // The acknowledgement can overtake this write: then it is waiting in #deliveredEarly.
      let early = false;
      for (const envelope of entry.envelopes ?? []) {
        if (!envelope.peer || envelope.result !== "accepted") continue;
        this.#sentEnvelopes.set(envelope.id, entry.key);
        if (this.#deliveredEarly.delete(envelope.id)) early = true;
      }
      if (early) status = "delivered";
    }
    if (entry.group) await this.groups.settled(entry);
    const record = await this.#store.get("messages", entry.key);
    const ops = [["delete", "outbox", entry.seq]];
    if (status === "sent" && entry.namesFor) {
      // Our other device has the names now (#shareNames): later changes follow in setName.
      const shared = new Set((await this.#store.get("meta", "namesShared")) ?? []);
      ops.push(["put", "meta", [...shared.add(entry.namesFor)], "namesShared"]);
    }
    if (record) {
      record.status = status;
      if (code) record.error = code;
      ops.push(["put", "messages", record]);
    }
    await this.#store.write(ops);
    if (record) await this.#announce(record, false);
  }

  /** The relay says a recipient device acknowledged these envelopes of ours. */
  #onDelivered(ids) {
    return this.#serially(() => this.#deliveredNow(ids));
  }

  async #deliveredNow(ids) {
    const keys = new Set();
    for (const id of Array.isArray(ids) ? ids : []) {
      const key = this.#sentEnvelopes.get(id);
      if (key === undefined) {
        // Before #settle mapped it, or a copy to our own other device (never mapped).
        if (this.#deliveredEarly.size > EARLY_DELIVERED_MAX) this.#deliveredEarly.clear();
        this.#deliveredEarly.add(id);
        continue;
      }
      keys.add(key);
    }
    for (const key of keys) {
      for (const [id, mapped] of this.#sentEnvelopes) if (mapped === key) this.#sentEnvelopes.delete(id);
      const record = await this.#store.get("messages", key).catch(() => null); // locked: later
      if (!record || record.status !== "sent") continue;
      record.status = "delivered";
      await this.#store.write([["put", "messages", record]]);
      await this.#announceStatus(record);
    }
  }

  /** The relay says these envelopes of ours waited for a device that a recovery revoked
   * (PROTOCOL §4.2): they will never arrive. A message none of whose copies arrived says
   * "niet aangekomen", so the sender knows to send it again; never silently lost. */
  #onUndeliverable(ids) {
    return this.#serially(async () => {
      const keys = new Set();
      for (const id of Array.isArray(ids) ? ids : []) {
        const key = this.#sentEnvelopes.get(id);
        if (key !== undefined) keys.add(key);
        this.#sentEnvelopes.delete(id);
      }
      for (const key of keys) {
        const record = await this.#store.get("messages", key).catch(() => null);
        if (!record || record.status !== "sent") continue;
        record.status = "undelivered";
        await this.#store.write([["put", "messages", record]]);
        await this.#announceStatus(record);
      }
    });
  }

  async markRead(conversationId) {
    this.#requireUnlocked();
    const records = await this.#store.messagesOf(conversationId);
    const unread = records.filter((r) => !r.outgoing && !r.read && !HIDDEN_KINDS.has(r.kind));
    if (!unread.length) return;
    await this.#store.write(unread.map((r) => ["put", "messages", { ...r, read: true }]));
    this.emit("conversation", {});
    if (this.#settings.readReceipts) {
      await this.send(conversationId, "receipt", { of: unread.map((r) => r.id) });
    }
  }

  async #receiveAll(envelopes) {
    for (const envelope of envelopes) await this.#receive(envelope);
  }

  /** One envelope: decrypt, validate, store with the session and lastSeq in one write. */
  async #receive(envelope) {
    if (!this.#secure || this.#closed) throw new ConnectionLost("not ready");
    let author = this.#accountOfDevice(envelope.from);
    if (author === null && !this.groups.knows(envelope.from)) {
      await this.#refreshCases().catch(() => {}); // a device we have not heard of yet
      author = this.#accountOfDevice(envelope.from);
      // ...or a new member's handle in one of our groups.
      if (author === null) {
        await this.groups.refreshAll().catch((error) => {
          if (error instanceof ConnectionLost) throw error; // not acknowledged: delivered again
        });
      }
    }
    const seqOp = ["put", "meta", envelope.seq, "lastSeq"];
    if (author === null && this.groups.knows(envelope.from)) {
      const commit = async (ops) => {
        await this.#store.write([...ops, seqOp]);
        this.#lastSeq = envelope.seq; // only once stored: a failed write means a redelivery
      };
      if (!(await this.groups.receive(envelope, commit))) this.dropped += 1;
      return;
    }
    // From here to the write there is no await: what the session did and what came of it
    // are stored together, or (if the page dies first) the relay delivers it again.
    let decrypted;
    try {
      decrypted = this.#secure.decrypt(envelope.from, envelope.body);
    } catch {
      // DecryptionError, or anything else a hostile envelope provokes: dropped and
      // acknowledged, never retried (a retry would stall the mailbox on it).
      this.dropped += 1;
      await this.#store.write([seqOp]);
      this.#lastSeq = envelope.seq;
      if (author !== null) this.#repair(envelope.from, author);
      return;
    }
    if (decrypted.plaintext.length === 0) {
      // A session start with no message in it: the peer repaired a broken session (§7.4
      // rule 6). Keep the session; there is nothing to show.
      await this.#store.write([...decrypted.ops, seqOp]);
      this.#lastSeq = envelope.seq;
      return;
    }
    let message = null;
    try {
      message = decode(decrypted.plaintext);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
    }
    const ownDevice = author !== null && author === this.me.accountId;
    if (message?.kind === "contact_name") {
      // A name another device of ours gave a contact: stored as if given here. From anyone
      // else it is dropped: nobody but the person names their contacts.
      const { account, name } = message.fields;
      const naming = ownDevice ? [name ? ["put", "names", name, account] : ["delete", "names", account]] : [];
      if (!ownDevice) this.dropped += 1;
      await this.#store.write([...decrypted.ops, seqOp, ...naming]);
      this.#lastSeq = envelope.seq;
      if (ownDevice) this.emit("conversation", {});
      return;
    }
    if (message?.kind === "group_handle") {
      // A handle another device of ours made for us in one of its groups: kept with the
      // envelope's acknowledgement in one write, then brought up (prekeys, the log).
      const handover = ownDevice ? await this.groups.handoverOps(message.fields) : null;
      if (handover === null) this.dropped += 1; // from someone else, or not a usable handle
      await this.#store.write([...decrypted.ops, seqOp, ...(handover?.ops ?? [])]);
      this.#lastSeq = envelope.seq;
      if (handover) this.groups.adopted(handover.groupId).catch(() => {});
      return;
    }
    if (message === null || author === null || (!ownDevice && message.conversation !== this.me.accountId)) {
      this.dropped += 1; // invalid, or from a device on none of our cases
      await this.#store.write([...decrypted.ops, seqOp]);
      this.#lastSeq = envelope.seq;
      return;
    }
    const record = incomingRecord(message, {
      author,
      device: envelope.from,
      own: ownDevice,
      order: this.#nextOrder(),
      receivedAt: this.#clock(),
    });
    // The session ops were snapshotted at decrypt time; this write keeps them with the record.
    await this.#store.write([...decrypted.ops, seqOp, ["put", "messages", record]]);
    this.#lastSeq = envelope.seq; // only once stored: a failed write means a redelivery
    await this.#announce(record, true);
  }

  /**
   * docs/e2e.md §7.4 rule 6: an envelope from `device` (of `account`) did not decrypt. If
   * that direction is dead (a chain that jumped past MAX_SKIP), only a new session repairs
   * it: start one (once until something from the device decrypts again), send its empty
   * first envelope through the outbox, and tell the screen a message was lost
   * (`unreadable`). Not awaited: the mailbox goes on meanwhile.
   */
  #repair(device, account) {
    if (this.#secure.repairing.has(device)) return; // the rest of the same break
    this.emit("unreadable", { conversationId: account, device });
    this.#secure
      .restart(device, (event, data) => this.#link.request(event, data))
      .then(async (body) => {
        if (body === null) return;
        const entry = {
          key: `${this.me.deviceId}|repair|${randomId(16)}`,
          conversationId: account,
          devices: [device],
          plaintext: new Uint8Array(0),
          envelopes: [{ id: randomId(16), to: device, peer: true, body, result: null }],
        };
        // The new session and the envelope that announces it are stored together.
        await this.#store.write([["add", "outbox", entry], this.#secure.sessionOp(device)]);
        this.#pump();
      })
      .catch((error) => {
        // Offline, no prekeys, a device gone or a lying relay: the next failure tries again.
        if (error instanceof ConnectionLost || error instanceof RelayError) return;
        if (error instanceof UntrustedBundle) return;
        this.emit("error", { code: "repair" });
      });
  }

  /** Emit `message` for a new or changed record, and for the target it folds into. */
  /**
   * Emit `message` for a new or changed record, and for the target it folds into. A plain
   * message needs no other record (nothing can fold into it before it exists... unless it
   * arrived late: then its reactions show on the next `messages()`), so a mailbox drain
   * does not read the whole conversation for every envelope.
   */
  async #announce(record, isNew) {
    if (isGroupId(record.conversationId)) return this.groups.announce(record, isNew);
    const targets = foldTargets(record);
    if (targets.length === 0) {
      const [view] = views([record], this.me?.accountId);
      if (view) this.emit("message", { message: view, isNew });
    } else {
      const all = views(await this.#store.messagesOf(record.conversationId), this.me?.accountId);
      const own = all.find((view) => view.id === record.id && view.from === record.from);
      if (own) this.emit("message", { message: own, isNew });
      for (const id of targets) {
        const view = all.find((candidate) => candidate.id === id);
        if (view) this.emit("message", { message: view, isNew: false });
      }
    }
    if (isNew) this.#conversationChanged();
  }

  /** An own message's new status, as the whole conversation shows it: a read receipt that
   * came first still makes it "read" (a lone record would say "delivered"). */
  async #announceStatus(record) {
    if (isGroupId(record.conversationId)) return this.groups.announce(record, false);
    const all = views(await this.#store.messagesOf(record.conversationId), this.me?.accountId);
    const view = all.find((candidate) => candidate.id === record.id && candidate.outgoing);
    if (view) this.emit("message", { message: view, isNew: false });
  }

  /** One `conversation` event for a burst of changes (a drained mailbox, say). */
  #conversationChanged() {
    if (this.#conversationTimer !== null) return;
    this.#conversationTimer = setTimeout(() => {
      this.#conversationTimer = null;
      this.emit("conversation", {});
    }, CONVERSATION_COALESCE_MS);
  }

  // -- disappearing messages -----------------------------------------------------------

  /** Delete local messages older than their conversation's timer; emits `removed`. */
  async sweep() {
    if (this.#closed) return; // runs while locked too: it needs no sealed field
    const now = this.#clock();
    const conversations = new Set();
    for (const item of this.#cases) for (const member of item.members) conversations.add(member.account);
    for (const conversationId of conversations) {
      const timer = this.#timerOf(conversationId);
      if (!timer) continue;
      const expired = (await this.#store.messageTimesOf(conversationId)).filter(
        (record) => record.receivedAt + timer <= now && record.status !== "queued",
      );
      if (!expired.length) continue;
      await this.#store.write(expired.map((record) => ["delete", "messages", record.key]));
      this.emit("removed", { conversationId, ids: [...new Set(expired.map((record) => record.id))] });
    }
    // Pictures and voice notes on this device go by the same timer as their messages.
    for (const conversationId of conversations) {
      const timer = this.#timerOf(conversationId);
      if (!timer) continue;
      const gone = (await this.#store.mediaTimesOf(conversationId)).filter((entry) => entry.receivedAt + timer <= now);
      if (gone.length) await this.#store.write(gone.map((entry) => ["delete", "media", entry.key]));
    }
    for (const removed of await this.groups.sweep(this.#store, now)) {
      this.emit("removed", removed);
      this.groups.emit("group-changed", { groupId: removed.conversationId });
    }
  }

  // -- attachments (lib/attachments.js) ---------------------------------------------

  /** The messenger's clock (Unix seconds): the time its records and the sweep use. */
  now() {
    return this.#clock();
  }

  /** A decrypted attachment kept on this device, by blob id (or undefined). */
  async savedMedia(blobId) {
    this.#requireUnlocked();
    return this.#store.get("media", blobId);
  }

  /** Keep a decrypted attachment {key: blob id, conversationId, receivedAt, type, bytes},
   * sealed under the PIN like messages and swept by the same disappearing timer. */
  async saveMedia(entry) {
    this.#requireUnlocked();
    await this.#store.write([["put", "media", entry]]);
  }

  // -- trust and names -----------------------------------------------------------------

  async safetyNumber(accountId) {
    this.#requireUnlocked();
    return this.#devicesOf(accountId)
      .map((device) => this.#secure.safetyNumber(device, this.me.accountId, accountId))
      .filter(Boolean);
  }

  async verified(accountId) {
    const devices = this.#devicesOf(accountId);
    if (!devices.length) return false;
    const pins = new Set((await this.#store.get("pins", accountId)) ?? []);
    return devices.every((device) => pins.has(device));
  }

  async markVerified(accountId) {
    const devices = this.#devicesOf(accountId);
    const writes = [["put", "pins", devices, accountId]];
    // A worker who compared a caregiver's safety number in person signs that these devices
    // are that caregiver's: the onboarding statement of signed questionnaires
    // (docs/accountability.md). Loaded only now: nobody else downloads the module.
    if (this.me?.role === "worker" && !this.locked && devices.length) {
      const { mergeOnboarding, onboardingStatements } = await import("./questionnaires.js");
      const sign = (label, bytes) => this.signStatement(label, bytes);
      const fresh = await onboardingStatements(this.me, this.deviceId, accountId, devices, this.#clock(), sign);
      const statements = mergeOnboarding(await this.onboardingOf(accountId), fresh);
      writes.push(["put", "meta", statements, `onboarding:${accountId}`]);
    }
    await this.#store.write(writes);
    this.emit("conversation", {});
  }

  /** The onboarding statements this (worker's) device signed for `accountId`'s devices. */
  async onboardingOf(accountId) {
    return (await this.#store.get("meta", `onboarding:${accountId}`)) ?? [];
  }

  /** Sign a questionnaire statement with this device's identity key. Only the two labels of
   * lib/questionnaires.js: nothing else can make the key sign a challenge or a prekey. */
  signStatement(label, bytes) {
    this.#requireUnlocked();
    if (!STATEMENT_LABELS.has(label)) throw new TypeError("not a statement label");
    return this.#secure.keys.identity.sign(new TextEncoder().encode(label), bytes);
  }

  async setName(accountId, name) {
    this.#requireUnlocked();
    const clean = String(name ?? "").trim().slice(0, 80);
    await this.#store.write([clean ? ["put", "names", clean, accountId] : ["delete", "names", accountId]]);
    this.emit("conversation", {});
    // Our other devices learn it too, end to end (issue 19 item 11); offline, they get it
    // with the rest when this device next provisions them.
    const others = ((await this.#store.get("meta", "namesShared")) ?? []).filter((d) => d !== this.deviceId);
    for (const device of others) await this.#sendOwn(device, "contact_name", { account: accountId, name: clean });
  }

  async name(accountId) {
    this.#requireUnlocked();
    return (await this.#store.get("names", accountId)) ?? null;
  }

  async createInvite(role = "caregiver") {
    const reply = await this.#link.request("invite_create", { role });
    return inviteOf(reply, this.deviceId);
  }

  /** A worker's one-time recovery invite (24 hours) for a caregiver on their case whose
   * phone lost its keys: the same account comes back on a new phone (PROTOCOL §4.2). */
  async createRecovery(accountId) {
    const reply = await this.#link.request("recovery_create", { account: accountId });
    // approval "pending": a colleague approves it by recoveryId first (policy recovery_issuers).
    return { ...inviteOf(reply, this.deviceId), recoveryId: reply.recovery_id, approval: reply.approval };
  }

  /** A second worker approves a colleague's pending recovery invite by its recovery id. */
  async approveRecovery(recoveryId) {
    return await this.#link.request("recovery_approve", { recovery_id: recoveryId });
  }

  async linkDevice() {
    const reply = await this.#link.request("device_link_create", {});
    return inviteOf(reply, this.deviceId);
  }

  // -- settings, privacy ---------------------------------------------------------------

  settings() {
    return { ...this.#settings };
  }

  async setSetting(key, value) {
    this.#settings = { ...this.#settings, [key]: value };
    await this.#store.write([["put", "meta", this.#settings, "settings"]]);
  }

  /** An officer's pinned audit log key and the last checkpoint this device verified,
   * {key, kept: {size, root (hex), note} | null}, sealed under the PIN like the keys. */
  async auditTrust() {
    this.#requireUnlocked();
    return (await this.#store.get("meta", "auditTrust")) ?? null;
  }

  async setAuditTrust(trust) {
    this.#requireUnlocked();
    await this.#store.write([["put", "meta", trust, "auditTrust"]]);
  }

  async exportMyData() {
    this.#requireUnlocked();
    const reply = await this.#link.request("account_export", {});
    const names = Object.fromEntries(await this.#store.entries("names"));
    const conversations = [];
    for (const item of await this.conversations()) {
      conversations.push({ id: item.id, role: item.role, messages: (await this.messages(item.id)).length });
    }
    // Attachments kept on this device are listed (what, when, how big), not their bytes.
    const attachments = (await this.#store.getAll("media")).map((entry) => ({
      blob: entry.key,
      conversation: entry.conversationId,
      receivedAt: entry.receivedAt,
      type: entry.type,
      size: entry.bytes?.length ?? 0,
    }));
    const local = { me: this.me, names, conversations, attachments };
    return { export: reply.export, html: reply.html, local };
  }

  async eraseAccount() {
    const reply = await this.#link.request("account_erase", { confirm: this.me.accountId });
    await this.wipeLocal();
    return { erased: reply.erased, pending: reply.pending };
  }

  async wipeLocal() {
    const name = this.#store.name;
    this.close();
    await Store.destroy(name);
    this.me = null;
    this.#secure = null;
  }
}

export { timerSeconds, views };
