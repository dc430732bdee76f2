/**
 * Test harness for the library, driven by tests/web/test_lib_*.py through Playwright.
 * Several devices (messengers with their own IndexedDB) can live in one page. Every call
 * goes through `harness.call`, which turns a thrown error into {error: {name, code}} so
 * the tests can assert protocol error codes. Event logs let tests wait on conditions.
 */
import { openMessenger } from "../messenger.js";

const devices = new Map(); // name → {messenger, log, offset}

const waiters = new Set();
const wake = () => {
  for (const resolve of waiters) resolve();
  waiters.clear();
};

function record(name, messenger) {
  const log = { status: [], messages: [], removed: [], revoked: [], replaced: [], identity: [], errors: [] };
  log.conversation = 0;
  messenger.on("conversation", () => (log.conversation += 1));
  const events = ["status", "message", "removed", "revoked", "replaced", "identity", "error", "conversation"];
  for (const event of events) messenger.on(event, wake);
  messenger.on("status", ({ state }) => log.status.push(state));
  messenger.on("message", ({ message, isNew }) => log.messages.push({ ...message, isNew }));
  messenger.on("removed", (event) => log.removed.push(event));
  messenger.on("revoked", (event) => log.revoked.push(event));
  messenger.on("replaced", (event) => log.replaced.push(event));
  messenger.on("identity", (event) => log.identity.push(event));
  messenger.on("error", (event) => log.errors.push(event));
  // Groups (groups.js): their own emitter.
  log.groups = 0;
  log.groupMessages = [];
  log.groupChanged = [];
  log.groupErrors = [];
  for (const event of ["groups", "group-message", "group-changed", "error"]) messenger.groups.on(event, wake);
  messenger.groups.on("groups", () => (log.groups += 1));
  messenger.groups.on("group-message", ({ groupId, message, isNew }) =>
    log.groupMessages.push({ groupId, kind: message.kind, id: message.id, event: message.event ?? null, isNew }),
  );
  messenger.groups.on("group-changed", ({ groupId }) => log.groupChanged.push(groupId));
  messenger.groups.on("error", (event) => log.groupErrors.push(event));
  return log;
}

const plain = (value) => JSON.parse(JSON.stringify(value ?? null));

globalThis.harness = {
  async open(name, { clockOffset = 0 } = {}) {
    const device = { offset: clockOffset };
    const clock = () => Math.floor(Date.now() / 1000) + device.offset;
    device.messenger = await openMessenger({ relayUrl: location.origin, storeName: name, clock });
    device.log = record(name, device.messenger);
    devices.set(name, device);
    return { registered: device.messenger.registered, me: device.messenger.me };
  },

  /** Call a Messenger method; resolves {value} or {error: {name, code, message}}. */
  async call(name, method, ...args) {
    try {
      const messenger = devices.get(name).messenger;
      const member = messenger[method];
      const value = typeof member === "function" ? await member.apply(messenger, args) : member;
      return { value: plain(value) };
    } catch (error) {
      const { name = "Error", code = null, message = "" } = error ?? {};
      return { error: { name, code, message: String(message) } };
    }
  },

  /** Call a method of `messenger.groups`; resolves like `call`. */
  async group(name, method, ...args) {
    try {
      const groups = devices.get(name).messenger.groups;
      const value = await groups[method](...args);
      return { value: plain(value) };
    } catch (error) {
      const { name: errorName = "Error", code = null, message = "", details = null } = error ?? {};
      return { error: { name: errorName, code, message: String(message), details: plain(details) } };
    }
  },

  /** The messenger itself, for tests that evaluate their own code in the page. */
  messenger: (name) => devices.get(name).messenger,

  /** Resolves at the next event of any device, or after `ms` (a fallback, not a sleep). */
  changed(ms = 250) {
    return new Promise((resolve) => {
      waiters.add(resolve);
      setTimeout(resolve, ms);
    });
  },

  /** What a timed-out wait saw: no content, only kinds and statuses. */
  summary(name, result) {
    const kinds = (result.value || []).map?.((m) => `${m.kind}:${m.status}`) ?? [];
    return JSON.stringify({ dropped: devices.get(name).messenger.dropped, kinds, error: result.error });
  },

  on: (name, event, listener) => devices.get(name).messenger.on(event, listener),

  state: (name) => devices.get(name).messenger.state,
  me: (name) => plain(devices.get(name).messenger.me),
  log: (name) => plain(devices.get(name).log),
  dropped: (name) => devices.get(name).messenger.dropped,
  setClockOffset(name, seconds) {
    devices.get(name).offset = seconds;
  },
  close(name) {
    devices.get(name).messenger.close();
    devices.delete(name);
  },
  /** Every raw value of an object store as text, to check what is (not) stored in clear. */
  async rawText(name, storeName) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const values = await new Promise((resolve, reject) => {
      const request = db.transaction(storeName).objectStore(storeName).getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    const decoder = new TextDecoder("utf-8", { fatal: false });
    const text = (key, value) => (value instanceof Uint8Array ? decoder.decode(value) : value);
    return JSON.stringify(values, text);
  },

  /** A raw IndexedDB read, to check what is (not) stored. */
  async rawMeta(name, key) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const value = await new Promise((resolve, reject) => {
      const request = db.transaction("meta").objectStore("meta").get(key);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return value instanceof Uint8Array ? Array.from(value) : plain(value);
  },
};

document.documentElement.dataset.ready = "1";
