/**
 * IndexedDB storage for one device: the only module that touches IndexedDB.
 *
 *   meta      key → value      keys (private keys, bytes), me, relayId, lastSeq, uploadedUpto,
 *                              settings, cases, lock (the wrapped data key, lock.js)
 *   sessions  device id → [session bytes]  current first, then archived (docs/e2e.md §7.4)
 *   messages  "author account|message id" → record; index byConversation [conversationId, order]
 *   outbox    seq (auto) → entry waiting to be sent, in order
 *   names     account id → name (never sent anywhere)
 *   pins      account id → [device ids] verified in person
 *   groups    group id → what this device knows of a group it is in (groups.js): the
 *             signed log, display names, name/description/rules, policy
 *   handles   handle → its private keys (bytes); `${handle}#uploaded` → prekey upload mark
 *   groupSessions  `${own handle}|${peer handle}` → [session bytes], as `sessions`
 *   media     blob id → a received or sent attachment, decrypted (lib/attachments.js):
 *             {key, conversationId, receivedAt, type, bytes}; index byConversation
 *
 * Group messages live in `messages` like case messages, with the group id as conversation.
 * `write(ops)` applies several puts, adds and deletes in one transaction, so a decrypted
 * message, the session that decrypted it and the new lastSeq are stored together or not at
 * all. Writes are queued and committed in the order they were asked for.
 *
 * With a PIN lock (lock.js) the private values are sealed transparently: meta "keys",
 * sessions, names, outbox entries, and everything in a message record but its key,
 * conversation, order, arrival time and status (which the index and the disappearing-message
 * sweep need while locked). Reads open them again.
 */
import { LockError } from "./lock.js";

const SEALED_META = new Set(["keys", "auditTrust"]); // auditTrust: an officer's pinned log key
const VERSION = 3; // 2: groups, handles, groupSessions; 3: media

const done = (request) =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const isBox = (value) => value !== null && typeof value === "object" && value.box instanceof Uint8Array;

export class Store {
  #db;
  #queue = Promise.resolve();
  sealer = null; // a lock.js Sealer while a PIN lock is set and open

  constructor(db, name) {
    this.#db = db;
    this.name = name;
  }

  static async open(name) {
    const request = indexedDB.open(name, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        db.createObjectStore("meta");
        db.createObjectStore("sessions");
        const messages = db.createObjectStore("messages", { keyPath: "key" });
        messages.createIndex("byConversation", ["conversationId", "order"]);
        db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("names");
        db.createObjectStore("pins");
      }
      if (event.oldVersion < 2) {
        db.createObjectStore("groups");
        db.createObjectStore("handles");
        db.createObjectStore("groupSessions");
      }
      if (event.oldVersion < 3) {
        const media = db.createObjectStore("media", { keyPath: "key" });
        media.createIndex("byConversation", "conversationId");
      }
    };
    const db = await done(request);
    // Another tab deleting or upgrading the database: let it, this one stops.
    db.onversionchange = () => db.close();
    return new Store(db, name);
  }

  static async destroy(name) {
    await done(indexedDB.deleteDatabase(name));
  }

  close() {
    this.#db.close();
  }

  // -- sealing ---------------------------------------------------------------------------

  #sealed(storeName, key) {
    return storeName === "meta" ? SEALED_META.has(key) : storeName !== "pins";
  }

  async #seal(storeName, value, key) {
    if (!this.sealer || !this.#sealed(storeName, key)) return value;
    if (storeName === "messages" || storeName === "media") {
      // In the clear: what the index and the disappearing-message sweep need while locked.
      const { key: recordKey, conversationId, order, receivedAt, status, ...rest } = value;
      const box = await this.sealer.seal(rest, `${storeName}/${recordKey}`);
      if (storeName === "media") return { key: recordKey, conversationId, receivedAt, box };
      return { key: recordKey, conversationId, order, receivedAt, status, box };
    }
    if (storeName === "outbox") {
      const { seq, ...rest } = value;
      const box = await this.sealer.seal(rest, "outbox");
      return seq === undefined ? { box } : { seq, box };
    }
    return { box: await this.sealer.seal(value, `${storeName}/${key}`) };
  }

  async #open(storeName, value, key) {
    if (!isBox(value)) return value;
    if (!this.sealer) throw new LockError("locked", "unlock with the PIN first");
    if (storeName === "messages" || storeName === "media") {
      const { box, ...clear } = value;
      return { ...(await this.sealer.open(box, `${storeName}/${value.key}`)), ...clear };
    }
    if (storeName === "outbox") {
      return { ...(await this.sealer.open(value.box, "outbox")), seq: value.seq };
    }
    return this.sealer.open(value.box, `${storeName}/${key}`);
  }

  // -- reads -----------------------------------------------------------------------------

  async get(storeName, key) {
    const value = await done(this.#db.transaction(storeName).objectStore(storeName).get(key));
    return this.#open(storeName, value, key);
  }

  /** How many entries an object store holds (nothing is unsealed). */
  count(storeName) {
    return done(this.#db.transaction(storeName).objectStore(storeName).count());
  }

  /** [[key, value]] of a whole object store, in key order. */
  async entries(storeName) {
    const store = this.#db.transaction(storeName).objectStore(storeName);
    const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
    return Promise.all(keys.map(async (key, i) => [key, await this.#open(storeName, values[i], key)]));
  }

  /** Meta entries that are not sealed (readable while locked), as a Map. */
  async clearMeta() {
    const store = this.#db.transaction("meta").objectStore("meta");
    const [keys, values] = await Promise.all([done(store.getAllKeys()), done(store.getAll())]);
    return new Map(keys.map((key, i) => [key, values[i]]).filter(([, value]) => !isBox(value)));
  }

  async getAll(storeName) {
    return (await this.entries(storeName)).map(([, value]) => value);
  }

  #rawMessagesOf(conversationId) {
    const range = IDBKeyRange.bound([conversationId, -Infinity], [conversationId, Infinity]);
    const index = this.#db.transaction("messages").objectStore("messages").index("byConversation");
    return done(index.getAll(range));
  }

  async messagesOf(conversationId) {
    const records = await this.#rawMessagesOf(conversationId);
    return Promise.all(records.map((record) => this.#open("messages", record, record.key)));
  }

  /** {key, id?, receivedAt, status} of a conversation's records, readable while locked. */
  async messageTimesOf(conversationId) {
    return (await this.#rawMessagesOf(conversationId)).map(({ key, receivedAt, status }) => ({
      key,
      id: key.slice(key.indexOf("|") + 1),
      receivedAt,
      status,
    }));
  }

  /** {key, receivedAt} of a conversation's stored attachments, readable while locked. */
  async mediaTimesOf(conversationId) {
    const index = this.#db.transaction("media").objectStore("media").index("byConversation");
    return (await done(index.getAll(conversationId))).map(({ key, receivedAt }) => ({ key, receivedAt }));
  }

  // -- writes ----------------------------------------------------------------------------

  /**
   * Apply `ops` atomically, after every write asked for before: ["put", store, value]
   * (stores with a key path), ["put", store, value, key], ["add", store, value],
   * ["delete", store, key]. Resolves to the keys of the "add"s once committed.
   */
  write(ops) {
    const run = this.#queue.then(() => this.#commit(ops));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #commit(ops) {
    const sealed = await Promise.all(
      ops.map(async ([action, storeName, value, key]) => {
        if (action === "delete") return [action, storeName, value];
        return [action, storeName, await this.#seal(storeName, value, key), key];
      }),
    );
    const names = [...new Set(sealed.map((op) => op[1]))];
    if (names.length === 0) return [];
    const transaction = this.#db.transaction(names, "readwrite", { durability: "strict" });
    const added = [];
    for (const [action, storeName, value, key] of sealed) {
      const store = transaction.objectStore(storeName);
      if (action === "put") {
        if (key === undefined) store.put(value);
        else store.put(value, key);
      } else if (action === "add") {
        const request = store.add(value);
        request.onsuccess = () => added.push(request.result);
      } else if (action === "delete") {
        store.delete(value);
      } else {
        transaction.abort();
        throw new TypeError(`unknown store operation ${action}`);
      }
    }
    await new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error("transaction aborted"));
    });
    return added;
  }

  /**
   * Seal every private value under `sealer` (or store it in the clear with null), with
   * `extraOps`, in one transaction, queued like any write: read with the old sealer, then
   * written with the new one.
   */
  reseal(sealer, extraOps = []) {
    const run = this.#queue.then(async () => {
      const ops = [];
      for (const [key, value] of await this.entries("meta")) {
        if (SEALED_META.has(key)) ops.push(["put", "meta", value, key]);
      }
      for (const storeName of ["sessions", "names", "groups", "handles", "groupSessions"]) {
        for (const [key, value] of await this.entries(storeName)) ops.push(["put", storeName, value, key]);
      }
      for (const record of await this.getAll("messages")) ops.push(["put", "messages", record]);
      for (const entry of await this.getAll("media")) ops.push(["put", "media", entry]);
      for (const entry of await this.getAll("outbox")) ops.push(["put", "outbox", entry]);
      const previous = this.sealer;
      this.sealer = sealer;
      try {
        return await this.#commit([...ops, ...extraOps]);
      } catch (error) {
        this.sealer = previous;
        throw error;
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}
