/**
 * `messenger.groups` before the group code is needed: the same API as groups.js, which it
 * imports only once this device is in a group (it has group documents stored) or someone
 * uses a group feature. A caregiver who is in no group never downloads the group code or
 * the membership-log port (the first-load budget, docs/performance.md).
 *
 * Async methods are passed on to the real `Groups` (loading it first); the messenger's own
 * calls that only matter for a device in a group (sync, refresh, topUp, provisioning) do
 * nothing while it is not loaded. Events of the real object are re-emitted here.
 */
import { Emitter } from "./events.js";

export const isGroupId = (id) => typeof id === "string" && /^grp_[A-Za-z0-9_-]{22}$/.test(id);

const EVENTS = ["groups", "group-message", "group-changed", "error"];
// Methods the screens and the messenger call; each loads the group code when it must.
const LOADING = [
  "list", "info", "messages", "markRead", "create", "invite", "inviteToCase", "join",
  "leave", "remove", "mute", "setRole", "setPolicy", "setProfile", "setMeta", "send",
  "close", "announce", "plan", "settled", "receive", "adopted",
]; // prettier-ignore
// Only meaningful for a device that is in a group: skipped while the code is not loaded.
const WHEN_LOADED = ["sync", "refresh", "refreshAll", "topUp", "provisionOwnDevices"];

export class GroupsGate extends Emitter {
  #deps; // () => the Groups constructor's options
  #store;
  #real = null;
  #loading = null;

  constructor(store, deps) {
    super();
    this.#store = store;
    this.#deps = deps;
  }

  /** The real `Groups`, imported, made and loaded once. */
  real() {
    if (this.#real) return Promise.resolve(this.#real);
    this.#loading ??= (async () => {
      const { Groups } = await import("./groups.js");
      const groups = new Groups(this.#deps());
      for (const name of EVENTS) groups.on(name, (payload) => this.emit(name, payload));
      await groups.load();
      this.#real = groups;
      return groups;
    })().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #inAnyGroup() {
    return (await this.#store.count("groups")) > 0;
  }

  /** At start and after unlocking: load the group code only if this device has groups. */
  async load() {
    if (this.#real) await this.#real.load();
    else if (await this.#inAnyGroup()) await this.real();
  }

  unload() {
    this.#real?.unload();
  }

  /** True when `handle` is in one of our groups' logs (false: no group code loaded). */
  knows(handle) {
    return this.#real?.knows(handle) ?? false;
  }

  /** The ticket in a group link, or null; the screens await it. */
  async parseLink(linkOrHash) {
    const { parseGroupLink } = await import("./groups.js");
    return parseGroupLink(linkOrHash);
  }

  /** Group messages past their group's timer (none to look at without groups). */
  async sweep(store, now) {
    if (!this.#real && !(await this.#inAnyGroup())) return [];
    const { Groups } = await import("./groups.js");
    return Groups.sweep(store, now);
  }

  /** A handed-over handle from another device of ours (`group_handle`): store ops, or null. */
  async handoverOps(fields) {
    if (!fields || !isGroupId(fields.group)) return null;
    return (await this.real()).handoverOps(fields);
  }

  /** The real `Groups` if it is loaded, else null (never loads it). */
  loadedOrNull() {
    return this.#real;
  }
}

for (const name of LOADING) {
  GroupsGate.prototype[name] = async function passOn(...args) {
    return (await this.real())[name](...args);
  };
}
for (const name of WHEN_LOADED) {
  GroupsGate.prototype[name] = async function ifLoaded(...args) {
    const real = this.loadedOrNull();
    return real ? real[name](...args) : undefined;
  };
}
