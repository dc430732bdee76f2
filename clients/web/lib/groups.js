/**
 * Peer-support groups (docs/groups.md): `messenger.groups`, an Emitter.
 *
 * - Each group this device is in has its own identity, a **handle** (DeviceKeys of its
 *   own; prekeys uploaded with `as`), so nothing links it to the device or to other groups.
 * - Who is in the group comes from the signed membership log, folded and checked here
 *   (../crypto/group-log.js) before anything is encrypted; the relay's `active` list only
 *   narrows it (a handle the log does not admit never gets a message).
 * - A message goes pairwise to every other admitted, routable handle in one `send`
 *   (through the outbox, split at the relay's per-event limits).
 * - Display names (`group_profile`) and the group's name, description and rules
 *   (`group_meta`) travel only inside ciphertext; the relay never sees them.
 *
 * Stored (store.js): `groups` (one document per group, below), `handles` (the handle's
 * private keys), `groupSessions`, and the messages in `messages` with the group id as
 * conversation. Document:
 *
 *   {id, handle, member, joinedSeq, records: [{body, sig}], profiles: {member: name},
 *    myName, meta: {name, description, rules} | null, active: [handle] | null,
 *    policy | null, closedAt | null, left: null | 'left' | 'removed',
 *    introduced: [handle] (sent our profile to), invalid: null | reason}
 *
 * Events: `groups` {} (the list changed), `group-message` {groupId, message, isNew},
 * `group-changed` {groupId}, `error` {code} (a log that does not verify: `group_log_invalid`).
 */
import { DeviceKeys } from "../crypto/index.js";
import {
  applyRecord,
  deviceProof,
  dumps,
  InvalidRecord,
  makeRecord,
  makeTicket,
  recordFields,
  recordFromWire,
  ticketFields,
  ticketFromWire,
} from "../crypto/group-log.js";
import { b64url, fromUtf8, randomId, unb64url, utf8 } from "./bytes.js";
import { InvalidMessage, RelayError } from "./errors.js";
import { Emitter } from "./events.js";
import {
  goneMembers,
  isGroupId,
  memberCount,
  memberViews,
  policyView,
  systemEvent,
  systemRecord,
  systemView,
} from "./group-view.js";
import { decode, encode, makeMessage, validate } from "./messages.js";
import { HIDDEN_KINDS, outgoingRecord, timerSeconds, views } from "./records.js";
import { handleStorage, SecureSessions } from "./secure.js";

export const DEFAULT_INVITE_S = 7 * 86400;
// What members write; an attachment's picture or voice note is fetched by lib/attachments.js.
const SHOWN_KINDS = new Set(["text", "nudge", "reaction", "attachment"]);
const RECEIVED_KINDS = new Set([...SHOWN_KINDS, "receipt"]);
const RACE_REASONS = new Set(["wrong_seq", "wrong_prev"]); // someone else's change came first
const MAX_TRIES = 4;

/** The ticket in a `#group=` link (or the bare base64url part, or `group=…`), or null. */
export function parseGroupLink(linkOrHash) {
  const text = String(linkOrHash ?? "").trim();
  const fragment = text.includes("#") ? text.slice(text.indexOf("#") + 1) : text;
  const encoded = fragment.includes("=") ? new URLSearchParams(fragment).get("group") : fragment;
  if (!encoded) return null;
  try {
    const ticket = ticketFromWire(JSON.parse(fromUtf8(unb64url(encoded))));
    const fields = ticketFields(ticket); // the signature; whether `by` may invite is the log's
    return { ticket: { ...ticket }, group: fields.group, expires: fields.expires };
  } catch {
    return null;
  }
}

export class Groups extends Emitter {
  #store;
  #clock;
  #request;
  #relayUrl;
  #nextOrder;
  #pump;
  #sendCase;
  #sendOwn;
  #groups = new Map(); // id → {doc, state, secure, chain}
  #handedOver = new Map(); // id → a group whose handle another device of ours made (adopted)

  /**
   * @param store      Store
   * @param clock      () → Unix seconds
   * @param request    (event, data) → reply (the Link's request)
   * @param relayUrl   for invite links
   * @param nextOrder  () → a local sort key
   * @param pump       () → start the outbox
   * @param sendCase   (conversationId, kind, fields) → a case message (for group_invite)
   * @param sendOwn    (deviceId, kind, fields) → a message to one of our own devices only
   */
  constructor({ store, clock, request, relayUrl, nextOrder, pump, sendCase, sendOwn }) {
    super();
    this.#store = store;
    this.#clock = clock;
    this.#request = request;
    this.#relayUrl = relayUrl;
    this.#nextOrder = nextOrder;
    this.#pump = pump;
    this.#sendCase = sendCase;
    this.#sendOwn = sendOwn;
  }

  // -- loading -------------------------------------------------------------------------

  /** Read every group, its handle's keys and sessions, and fold its log again. */
  async load() {
    this.#groups.clear();
    const handles = new Map(await this.#store.entries("handles"));
    const sessions = await this.#store.entries("groupSessions");
    for (const [id, doc] of await this.#store.entries("groups")) {
      const keyBytes = handles.get(doc.handle);
      const prefix = `${doc.handle}|`;
      const secure = keyBytes
        ? SecureSessions.restore({
            keyBytes,
            sessionEntries: sessions
              .filter(([key]) => key.startsWith(prefix))
              .map(([key, records]) => [key.slice(prefix.length), records]),
            uploadedUpto: handles.get(`${doc.handle}#uploaded`) ?? 0,
            now: this.#clock,
            as: doc.handle,
            storage: handleStorage(doc.handle),
          })
        : null;
      const group = { doc, state: null, secure, chain: Promise.resolve() };
      try {
        for (const record of doc.records) group.state = applyRecord(group.state, recordFromWire(record));
      } catch {
        group.state = null; // refetched from the start on the next refresh
        doc.records = [];
      }
      this.#groups.set(id, group);
    }
  }

  /** True when `handle` is in one of our groups' logs (so its envelopes are ours to open). */
  knows(handle) {
    for (const group of this.#groups.values()) {
      if (!group.doc.left && group.state?.owner(handle)) return true;
    }
    return false;
  }

  #group(groupId) {
    const group = this.#groups.get(groupId);
    if (!group || group.doc.left) throw new RelayError("not_a_member", "not in this group");
    return group;
  }

  /** Run `work` after every earlier change to this group (log applies, records we sign). */
  #serially(group, work) {
    const run = group.chain.then(work);
    group.chain = run.catch(() => {});
    return run;
  }

  #docOp(group) {
    return ["put", "groups", group.doc, group.doc.id];
  }

  #myMember(group) {
    return group.state?.members.get(group.doc.member) ?? null;
  }

  // -- the list and one group ----------------------------------------------------------

  async list() {
    const list = [];
    for (const group of this.#groups.values()) {
      if (group.doc.left) continue;
      const shown = views(await this.#store.messagesOf(group.doc.id), group.doc.member);
      const messages = shown.filter((view) => view.kind !== "system");
      const last = shown.at(-1) ?? null;
      list.push({
        id: group.doc.id,
        name: group.doc.meta?.name ?? null,
        description: group.doc.meta?.description ?? "",
        rules: group.doc.meta?.rules ?? "",
        role: this.#myMember(group)?.role ?? "member",
        memberCount: memberCount(group.state, group.doc),
        unread: messages.filter((view) => !view.outgoing && !view.read).length,
        lastMessage: last ? this.#view(group, last) : null,
        closedAt: group.doc.closedAt ?? null,
        policy: policyView(group.doc.policy),
      });
    }
    return list.sort((a, b) => (b.lastMessage?.order ?? 0) - (a.lastMessage?.order ?? 0));
  }

  async info(groupId) {
    const group = this.#groups.get(groupId);
    if (!group) throw new RelayError("not_a_member", "not in this group");
    const { doc } = group;
    return {
      id: doc.id,
      name: doc.meta?.name ?? null,
      description: doc.meta?.description ?? "",
      rules: doc.meta?.rules ?? "",
      role: this.#myMember(group)?.role ?? "member",
      me: doc.member,
      members: memberViews(group.state, doc),
      policy: policyView(doc.policy),
      closedAt: doc.closedAt ?? null,
      left: doc.left ?? null,
      seq: group.state?.seq ?? 0,
    };
  }

  /** Messages and system lines, oldest first (reactions folded in, as for cases). */
  async messages(groupId) {
    const group = this.#groups.get(groupId);
    if (!group) return [];
    return views(await this.#store.messagesOf(groupId), group.doc.member).map((view) => this.#view(group, view));
  }

  #view(group, view) {
    if (view.kind === "system") return systemView(view, group.doc.profiles);
    return { ...view, fromName: group.doc.profiles[view.from] ?? null };
  }

  async markRead(groupId) {
    const records = await this.#store.messagesOf(groupId);
    const unread = records.filter((r) => !r.outgoing && !r.read && !HIDDEN_KINDS.has(r.kind));
    if (!unread.length) return;
    await this.#store.write(unread.map((r) => ["put", "messages", { ...r, read: true }]));
    this.emit("groups", {}); // no read receipts in groups: nobody learns who read what
  }

  // -- making a group, inviting, joining -------------------------------------------------

  /** A new group with us as its facilitator; `displayName` (optional) is our name in it. */
  async create({ name, description = "", rules = "", displayName = null } = {}) {
    const meta = { name: String(name ?? "").trim(), description: String(description), rules: String(rules) };
    validate("group_meta", meta);
    const myName = displayName === null ? null : String(displayName).trim();
    if (myName !== null) validate("group_profile", { name: myName });
    const id = `grp_${randomId(16)}`;
    const group = await this.#newHandle(id);
    const record = makeRecord(group.secure.keys.identity.signingSeed, { group: id, seq: 1, prev: "", op: "create" });
    group.doc.meta = meta;
    let reply;
    try {
      reply = await this.#request("group_create", { record });
    } catch (error) {
      await this.#forget(group);
      throw error;
    }
    group.doc.member = reply.member ?? group.doc.handle;
    group.doc.joinedSeq = 1;
    if (myName) {
      group.doc.myName = myName;
      group.doc.profiles[group.doc.member] = myName;
    }
    await this.#afterEntering(group);
    return { id };
  }

  async invite(groupId, { expiresInS = DEFAULT_INVITE_S } = {}) {
    const group = this.#group(groupId);
    if (this.#myMember(group)?.role !== "facilitator") throw new RelayError("not_permitted", "facilitators invite");
    const expiresAt = this.#clock() + Math.max(60, Math.floor(expiresInS));
    const ticket = makeTicket(group.secure.keys.identity.signingSeed, groupId, randomId(16), expiresAt);
    const link = `${this.#relayUrl.replace(/\/+$/, "")}/#group=${b64url(utf8(dumps({ ...ticket })))}`;
    return { link, expiresAt };
  }

  async inviteToCase(groupId, caregiverAccountId) {
    const group = this.#group(groupId);
    const { link } = await this.invite(groupId);
    const name = group.doc.meta?.name ?? "Groep";
    await this.#sendCase(caregiverAccountId, "group_invite", { link, name });
  }

  parseLink(linkOrHash) {
    return parseGroupLink(linkOrHash);
  }

  async join(link, displayName) {
    const parsed = parseGroupLink(link);
    if (!parsed) throw new RelayError("group_record_refused", "not a group link", { reason: "ticket_invalid" });
    const name = String(displayName ?? "").trim();
    validate("group_profile", { name });
    const existing = this.#groups.get(parsed.group);
    if (existing && !existing.doc.left) throw new RelayError("already_member", "already in this group");
    const group = await this.#newHandle(parsed.group);
    let reply;
    try {
      reply = await this.#signRetrying(async () => {
        const prepared = await this.#request("group_join_prepare", { ticket: parsed.ticket });
        // The relay answers with the seq and prev the join record must carry.
        return { seq: prepared.seq, prev: prepared.prev };
      }, (at) =>
        this.#request("group_join", {
          record: makeRecord(group.secure.keys.identity.signingSeed, {
            group: parsed.group,
            seq: at.seq,
            prev: at.prev,
            op: "join",
            ticket: parsed.ticket,
          }),
        }),
      );
    } catch (error) {
      await this.#forget(group);
      throw error;
    }
    group.doc.member = reply.member ?? group.doc.handle;
    group.doc.joinedSeq = reply.seq;
    group.doc.myName = name;
    group.doc.profiles[group.doc.member] = name;
    await this.#afterEntering(group);
    // Everyone learns our name; each of them answers with theirs when they see the join.
    await this.#introduce(group, null);
    return { id: parsed.group };
  }

  // -- a person's other devices (docs/groups.md §2.5) ----------------------------------

  /**
   * Bring this person's other devices into every group this device is in: for each, a
   * handle made here, a `device` record signed by our handle with the new handle's proof,
   * then the handle's keys and what we know of the group (names, meta) to that device end
   * to end (`group_handle`). Once per device and group; when another device of ours did it
   * first, the relay answers `handle_in_use`, which counts as done.
   */
  async provisionOwnDevices(devices) {
    for (const group of [...this.#groups.values()]) {
      if (group.doc.left || group.doc.closedAt || !group.state || !group.secure) continue;
      for (const device of devices) {
        if ((group.doc.provisioned ?? []).includes(device)) continue;
        await this.#provision(group, device);
      }
    }
  }

  async #provision(group, device) {
    const keys = DeviceKeys.generate(this.#clock(), undefined, 0);
    const handle = b64url(keys.identity.public.signingKey);
    let bound = true;
    try {
      await this.#signRetrying(
        async () => {
          await this.refresh(group.doc.id);
          if (!group.state) throw new RelayError("group_log_invalid", "the group's log does not verify");
          return { seq: group.state.seq + 1, prev: group.state.head };
        },
        (at) => {
          const fields = { group: group.doc.id, ...at, op: "device", member: group.doc.member, handle };
          const record = makeRecord(group.secure.keys.identity.signingSeed, fields);
          const proof = deviceProof(keys.identity.signingSeed, record);
          return this.#request("group_change", { record, proof, device });
        },
      );
    } catch (error) {
      if (!(error instanceof RelayError && error.details?.reason === "handle_in_use")) throw error;
      bound = false; // that device has a handle in this group already
    }
    if (bound) {
      await this.refresh(group.doc.id);
      const { doc } = group;
      const known = { member: doc.member, joinedSeq: group.state?.seq ?? 0, myName: doc.myName, profiles: doc.profiles, meta: doc.meta };
      await this.#sendOwn(device, "group_handle", { group: doc.id, keys: b64url(keys.toBytes()), doc: JSON.stringify(known) });
    }
    group.doc.provisioned = [...(group.doc.provisioned ?? []), device];
    await this.#store.write([this.#docOp(group)]);
  }

  /**
   * On this device: the store operations that keep a handle another device of ours made
   * for us (a `group_handle`), or null when it is not usable (a group we are in already,
   * keys that do not parse). The group comes up with `adopted` once they are written.
   */
  handoverOps(fields) {
    if (!isGroupId(fields.group)) return null;
    const existing = this.#groups.get(fields.group);
    if (existing && !existing.doc.left) return null;
    let keys;
    let known;
    try {
      keys = DeviceKeys.fromBytes(unb64url(fields.keys));
      known = JSON.parse(fields.doc);
    } catch {
      return null;
    }
    const handle = b64url(keys.identity.public.signingKey);
    const secure = new SecureSessions({ keys, now: this.#clock, as: handle, storage: handleStorage(handle) });
    const text = (value) => (typeof value === "string" ? value : null);
    const profiles = {};
    for (const [member, name] of Object.entries(known?.profiles ?? {})) {
      if (typeof name === "string") profiles[member] = name;
    }
    const doc = {
      id: fields.group,
      handle,
      member: text(known?.member) ?? handle,
      joinedSeq: Number.isInteger(known?.joinedSeq) ? known.joinedSeq : 0,
      records: [],
      profiles,
      myName: text(known?.myName),
      meta: known?.meta && typeof known.meta === "object" ? known.meta : null,
      active: null,
      policy: null,
      closedAt: null,
      left: null,
      introduced: [],
      invalid: null,
      provisioned: [],
    };
    const group = { doc, state: null, secure, chain: Promise.resolve() };
    this.#handedOver.set(doc.id, group); // in use once written (adopted)
    return { groupId: doc.id, ops: [secure.keysOp(), this.#docOp(group)] };
  }

  /** A handed-over handle is stored: publish its prekeys, read the log, tell the screens. */
  async adopted(groupId) {
    const group = this.#handedOver.get(groupId);
    if (!group) return;
    this.#handedOver.delete(groupId);
    this.#groups.set(groupId, group);
    await this.#publish(group);
    await this.refresh(groupId);
    this.emit("groups", {});
  }

  /** Keys for a new handle, stored before the relay ever sees them. */
  async #newHandle(groupId) {
    const keys = DeviceKeys.generate(this.#clock(), undefined, 0);
    const handle = b64url(keys.identity.public.signingKey);
    const secure = new SecureSessions({ keys, now: this.#clock, as: handle, storage: handleStorage(handle) });
    const doc = {
      id: groupId,
      handle,
      member: handle,
      joinedSeq: 0,
      records: [],
      profiles: {},
      myName: null,
      meta: null,
      active: null,
      policy: null,
      closedAt: null,
      left: null,
      introduced: [],
      invalid: null,
      provisioned: [], // our other devices given a handle here (provisionOwnDevices)
    };
    await this.#store.write([secure.keysOp()]);
    return { doc, state: null, secure, chain: Promise.resolve() };
  }

  async #forget(group) {
    const ops = [["delete", "handles", group.doc.handle], ["delete", "handles", `${group.doc.handle}#uploaded`]];
    for (const [key] of await this.#store.entries("groupSessions")) {
      if (key.startsWith(`${group.doc.handle}|`)) ops.push(["delete", "groupSessions", key]);
    }
    await this.#store.write(ops);
  }

  /** Created or joined: store, publish the handle's prekeys, read the log. */
  async #afterEntering(group) {
    this.#groups.set(group.doc.id, group);
    await this.#store.write([this.#docOp(group)]);
    await this.#publish(group);
    await this.refresh(group.doc.id);
    this.emit("groups", {});
  }

  #publish(group) {
    if (!group.publishing) {
      group.publishing = group.secure
        .publishPrekeys(this.#request, (ops) => this.#store.write(ops))
        .finally(() => {
          group.publishing = null;
        });
    }
    return group.publishing;
  }

  /** The relay says a handle of ours is running out of one-time prekeys. */
  async topUp(handle) {
    for (const group of this.#groups.values()) {
      if (group.doc.handle === handle && !group.doc.left) await this.#publish(group);
    }
  }

  /**
   * Sign a record at the log's head and send it, again at the new head when someone
   * else's change came first (`wrong_seq`/`wrong_prev`). `head()` → {seq, prev}.
   */
  async #signRetrying(head, submit) {
    for (let attempt = 1; ; attempt++) {
      const at = await head();
      try {
        return await submit(at);
      } catch (error) {
        const race = error instanceof RelayError && RACE_REASONS.has(error.details?.reason);
        if (!race || attempt >= MAX_TRIES) throw error;
      }
    }
  }

  // -- changes -------------------------------------------------------------------------

  /** A record of ours (leave, remove, role, mute) at the head of the log. */
  async #change(groupId, fields, { refresh = true } = {}) {
    const group = this.#group(groupId);
    await this.#signRetrying(
      async () => {
        await this.refresh(groupId);
        if (!group.state) throw new RelayError("group_log_invalid", "the group's log does not verify");
        return { seq: group.state.seq + 1, prev: group.state.head };
      },
      (at) =>
        this.#request("group_change", {
          record: makeRecord(group.secure.keys.identity.signingSeed, { group: groupId, ...at, ...fields }),
        }),
    );
    if (refresh) await this.refresh(groupId);
  }

  async leave(groupId) {
    const group = this.#group(groupId);
    await this.#change(groupId, { op: "leave", member: group.doc.member }, { refresh: false });
    // The relay no longer shows us the log: the line is ours to write.
    await this.#serially(group, () => this.#gone(group, "left"));
  }

  /** Forget the keys in memory (the PIN lock closed). */
  unload() {
    this.#groups.clear();
  }

  async remove(groupId, memberId) {
    await this.#change(groupId, { op: "remove", member: memberId });
  }

  async mute(groupId, memberId, seconds) {
    const until = seconds > 0 ? this.#clock() + Math.floor(seconds) : 0;
    await this.#change(groupId, { op: "mute", member: memberId, until });
  }

  /** A facilitator who is a worker closes the group: nobody can send in it any more, and
   * the relay removes it once the organisation's closed-case lifetime has passed. */
  async close(groupId) {
    this.#group(groupId);
    await this.#request("group_close", { group: groupId });
    await this.refresh(groupId);
  }

  async setRole(groupId, memberId, role) {
    await this.#change(groupId, { op: "role", member: memberId, role });
  }

  async setPolicy(groupId, document) {
    this.#group(groupId);
    const reply = await this.#request("policy_set", { group: groupId, document });
    await this.refresh(groupId);
    return reply.effective;
  }

  async setProfile(groupId, name) {
    const group = this.#group(groupId);
    const clean = String(name ?? "").trim();
    validate("group_profile", { name: clean });
    group.doc.myName = clean;
    group.doc.profiles[group.doc.member] = clean;
    await this.#store.write([this.#docOp(group)]);
    await this.#queue(group, "group_profile", { name: clean }, null);
    this.emit("group-changed", { groupId });
  }

  async setMeta(groupId, { name, description = "", rules = "" } = {}) {
    const group = this.#group(groupId);
    if (this.#myMember(group)?.role !== "facilitator") throw new RelayError("not_permitted", "facilitators only");
    const meta = { name: String(name ?? "").trim(), description: String(description), rules: String(rules) };
    validate("group_meta", meta);
    group.doc.meta = meta;
    await this.#store.write([this.#docOp(group)]);
    await this.#queue(group, "group_meta", meta, null);
    this.emit("group-changed", { groupId });
    this.emit("groups", {});
  }

  // -- sending -------------------------------------------------------------------------

  async send(groupId, kind, fields = {}) {
    const group = this.#group(groupId);
    if (!SHOWN_KINDS.has(kind)) throw new InvalidMessage(`${kind} is not sent in a group`);
    if (group.doc.closedAt) throw new RelayError("group_closed", "this group is closed");
    const until = this.#myMember(group)?.mutedUntil ?? 0;
    if (until > this.#clock()) throw new RelayError("muted", "muted for a while", { until });
    const message = makeMessage(kind, fields, groupId, this.#clock());
    const record = outgoingRecord(message, group.doc.member, group.doc.handle, this.#nextOrder());
    const entry = { key: record.key, conversationId: groupId, group: groupId, plaintext: encode(message), envelopes: null };
    if (kind === "attachment") entry.blobs = [message.fields.blob]; // each envelope names it (PROTOCOL §4.17)
    await this.#store.write([["add", "outbox", entry], ["put", "messages", record]]);
    await this.announce(record, true);
    this.#pump();
    const [view] = views([record], group.doc.member);
    const { key, ...shown } = record;
    return this.#view(group, view ?? { ...shown, reactions: {}, answers: {} });
  }

  /** A message nobody sees as a message (profile, meta): to `to` handles, or everyone. */
  async #queue(group, kind, fields, to) {
    const message = makeMessage(kind, fields, group.doc.id, this.#clock());
    const entry = {
      key: `${group.doc.member}|${message.id}`, // no record: settling finds nothing to update
      conversationId: group.doc.id,
      group: group.doc.id,
      to,
      introduce: kind === "group_profile",
      plaintext: encode(message),
      envelopes: null,
    };
    await this.#store.write([["add", "outbox", entry]]);
    this.#pump();
  }

  /** Our profile (and, as a facilitator, the group's meta) to `handles` (null: everyone). */
  async #introduce(group, handles) {
    if (group.doc.myName) await this.#queue(group, "group_profile", { name: group.doc.myName }, handles);
    if (this.#myMember(group)?.role === "facilitator" && group.doc.meta) {
      await this.#queue(group, "group_meta", group.doc.meta, handles);
    }
  }

  /** For the outbox: this group's handle and every other handle to encrypt for. */
  async plan(entry) {
    const group = this.#groups.get(entry.group);
    if (!group || group.doc.left) throw new RelayError("not_a_member", "not in this group");
    if (group.doc.closedAt) throw new RelayError("group_closed", "this group is closed");
    if (!group.state || !group.secure) throw new RelayError("not_a_member", "the group's log does not verify");
    const routable = Array.isArray(group.doc.active) ? new Set(group.doc.active) : null;
    let handles = group.state.handles().filter((h) => h !== group.doc.handle && (!routable || routable.has(h)));
    if (Array.isArray(entry.to)) handles = handles.filter((h) => entry.to.includes(h));
    const targets = handles.map((h) => [h, group.state.owner(h).id !== group.doc.member]);
    return { secure: group.secure, targets };
  }

  /** The outbox settled one of our entries: remember whom our profile reached. */
  async settled(entry) {
    const group = this.#groups.get(entry.group);
    if (!group || !entry.introduce) return;
    const reached = (entry.envelopes ?? []).filter((e) => e.result === "accepted").map((e) => e.to);
    const known = new Set(group.doc.introduced);
    if (reached.every((handle) => known.has(handle))) return;
    reached.forEach((handle) => known.add(handle));
    group.doc.introduced = [...known];
    await this.#store.write([this.#docOp(group)]);
  }

  // -- receiving -----------------------------------------------------------------------

  /**
   * One envelope from a group handle. `commit(ops)` stores `ops` with the mailbox position
   * in one transaction. Resolves true when it was a valid group message, false when it was
   * dropped (and committed as handled either way).
   */
  async receive(envelope, commit) {
    for (const group of this.#groups.values()) {
      const sender = group.doc.left || !group.secure ? null : group.state?.owner(envelope.from);
      if (!sender) continue;
      let decrypted;
      try {
        decrypted = group.secure.decrypt(envelope.from, envelope.body);
      } catch {
        continue; // not for this handle (the same sender key in two groups), or garbage
      }
      return this.#received(group, sender, envelope, decrypted, commit);
    }
    await commit([]);
    return false;
  }

  async #received(group, sender, envelope, decrypted, commit) {
    let message = null;
    try {
      message = decode(decrypted.plaintext);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
    }
    const { doc } = group;
    if (message === null || message.conversation !== doc.id) {
      await commit(decrypted.ops);
      return false;
    }
    const own = sender.id === doc.member;
    if (message.kind === "group_profile") {
      doc.profiles[sender.id] = message.fields.name.trim();
      await commit([...decrypted.ops, this.#docOp(group)]);
      this.emit("group-changed", { groupId: doc.id });
      if (!own && !doc.introduced.includes(envelope.from)) await this.#introduce(group, [envelope.from]);
      return true;
    }
    if (message.kind === "group_meta") {
      if (sender.role !== "facilitator") {
        await commit(decrypted.ops);
        return false;
      }
      doc.meta = { ...message.fields };
      await commit([...decrypted.ops, this.#docOp(group)]);
      this.emit("group-changed", { groupId: doc.id });
      this.emit("groups", {});
      return true;
    }
    if (!RECEIVED_KINDS.has(message.kind)) {
      await commit(decrypted.ops);
      return false;
    }
    const record = {
      key: `${sender.id}|${message.id}`,
      id: message.id,
      conversationId: doc.id,
      order: this.#nextOrder(),
      kind: message.kind,
      fields: message.fields,
      sentAt: message.sentAt,
      receivedAt: this.#clock(),
      outgoing: own,
      from: sender.id,
      fromDevice: envelope.from,
      read: own,
      ...(own ? { status: "sent" } : {}),
    };
    await commit([...decrypted.ops, ["put", "messages", record]]);
    await this.announce(record, true);
    return true;
  }

  /** Emit `group-message` for a new or changed record, and for what it folds into. */
  async announce(record, isNew) {
    const group = this.#groups.get(record.conversationId);
    if (!group) return;
    const all = views(await this.#store.messagesOf(record.conversationId), group.doc.member);
    const targets = new Set(
      record.kind === "reaction" ? [record.fields.of] : record.kind === "receipt" ? record.fields.of : [],
    );
    for (const view of all) {
      const mine = view.id === record.id && view.from === record.from;
      if (mine || targets.has(view.id)) {
        this.emit("group-message", { groupId: record.conversationId, message: this.#view(group, view), isNew: mine && isNew });
      }
    }
    if (isNew) this.emit("groups", {});
  }

  // -- the log -------------------------------------------------------------------------

  /** On connect: what the relay says we are in; every group brought up to date. */
  async sync() {
    const listed = new Map((await this.#request("group_list", {})).groups.map((g) => [g.group, g]));
    for (const group of [...this.#groups.values()]) {
      if (group.doc.left) continue;
      const entry = listed.get(group.doc.id);
      if (entry && (entry.closed_at ?? null) !== group.doc.closedAt) {
        group.doc.closedAt = entry.closed_at ?? null;
        await this.#store.write([this.#docOp(group)]);
      }
      await this.refresh(group.doc.id);
      if (!group.doc.left && group.secure) await this.#publish(group);
    }
  }

  /** Every group again (an envelope from a handle we do not know yet: a new member). */
  async refreshAll() {
    for (const id of [...this.#groups.keys()]) await this.refresh(id);
  }

  /** Fetch the log's new records (`group_info` with `since`), check and apply them. */
  async refresh(groupId) {
    const group = this.#groups.get(groupId);
    if (!group || group.doc.left) return;
    await this.#serially(group, async () => {
      let reply;
      try {
        reply = await this.#request("group_info", { group: groupId, since: group.state?.seq ?? 0 });
      } catch (error) {
        if (error instanceof RelayError && error.code === "not_a_member") return this.#gone(group, "removed");
        throw error;
      }
      return this.#apply(group, reply);
    });
  }

  async #apply(group, reply) {
    const { doc } = group;
    const now = this.#clock();
    const ops = [];
    const lines = [];
    const newcomers = [];
    let state = group.state;
    let out = null;
    for (const wire of reply.records ?? []) {
      let record;
      try {
        record = recordFromWire(wire);
        state = applyRecord(state, record);
        if (state.group !== doc.id) throw new InvalidRecord("wrong_group");
      } catch (error) {
        if (!(error instanceof InvalidRecord)) throw error;
        doc.invalid = error.reason; // keep what verified; never encrypt to what did not
        this.emit("error", { code: "group_log_invalid" });
        break;
      }
      group.state = state;
      doc.records.push({ body: record.body, sig: record.sig });
      const fields = recordFields(record);
      if (fields.op === "join" && fields.by !== doc.handle) newcomers.push(fields.by);
      if ((fields.op === "leave" || fields.op === "remove") && fields.member === doc.member) {
        out = fields.op === "leave" ? "left" : "removed";
      }
      const line = state.seq >= doc.joinedSeq ? systemEvent(record) : null;
      if (line) {
        const system = systemRecord(doc.id, state.seq, line, this.#nextOrder(), now);
        lines.push(system);
        ops.push(["put", "messages", system]);
      }
    }
    if (Array.isArray(reply.active)) {
      // Someone the relay stopped routing to (erased, disabled, devices revoked) is gone
      // without a record in the log: a line says so ("Ria doet niet meer mee").
      const before = doc.active === null || doc.active === undefined ? null : goneMembers(state, doc.active);
      doc.active = reply.active;
      for (const member of before ? goneMembers(state, doc.active) : []) {
        if (before.has(member) || member === doc.member) continue;
        const line = { event: "gone", member, by: null };
        const system = systemRecord(doc.id, `gone-${member}-${now}`, line, this.#nextOrder(), now);
        lines.push(system);
        ops.push(["put", "messages", system]);
      }
    }
    if (reply.policy) doc.policy = reply.policy;
    if (reply.closed_at !== undefined) doc.closedAt = reply.closed_at ?? null;
    if (out) doc.left = out;
    await this.#store.write([this.#docOp(group), ...ops, await this.#timersOp()]);
    for (const line of lines) await this.announce(line, true);
    this.emit("group-changed", { groupId: doc.id });
    if (out) {
      await this.#forget(group);
      this.emit("groups", {});
      return;
    }
    const fresh = newcomers.filter((handle) => group.state.owner(handle));
    if (fresh.length) await this.#introduce(group, fresh);
  }

  /** We are not in the group any more (removed while away, or the relay forgot it). */
  async #gone(group, reason) {
    if (group.doc.left) return;
    group.doc.left = reason;
    const line = { event: reason, member: group.doc.member, by: null };
    const system = systemRecord(group.doc.id, `gone-${this.#clock()}`, line, this.#nextOrder(), this.#clock());
    await this.#store.write([this.#docOp(group), ["put", "messages", system], await this.#timersOp()]);
    await this.#forget(group);
    await this.announce(system, true);
    this.emit("group-changed", { groupId: group.doc.id });
    this.emit("groups", {});
  }

  // -- disappearing messages -----------------------------------------------------------

  /** meta "groupTimers" {group id: seconds}: readable while a PIN lock is closed. */
  async #timersOp() {
    const timers = {};
    for (const group of this.#groups.values()) {
      const seconds = group.doc.policy?.disappearing_timer_s ?? timerSeconds(group.doc.policy?.disappearing_timer);
      if (seconds) timers[group.doc.id] = seconds;
    }
    return ["put", "meta", timers, "groupTimers"];
  }

  /** Delete group messages older than the group's timer; returns [{conversationId, ids}]. */
  static async sweep(store, now) {
    const timers = (await store.get("meta", "groupTimers")) ?? {};
    const removed = [];
    for (const [groupId, timer] of Object.entries(timers)) {
      if (!isGroupId(groupId) || !timer) continue;
      // Pictures and voice notes kept on this device go by the same timer (lib/attachments.js).
      const media = (await store.mediaTimesOf(groupId)).filter((entry) => entry.receivedAt + timer <= now);
      if (media.length) await store.write(media.map((entry) => ["delete", "media", entry.key]));
      const expired = (await store.messageTimesOf(groupId)).filter(
        (record) => record.receivedAt + timer <= now && record.status !== "queued",
      );
      if (!expired.length) continue;
      await store.write(expired.map((record) => ["delete", "messages", record.key]));
      removed.push({ conversationId: groupId, ids: [...new Set(expired.map((record) => record.id))] });
    }
    return removed;
  }
}
