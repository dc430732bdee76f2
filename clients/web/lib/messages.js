/**
 * What travels inside the ciphertext: the message kinds of docs/messages.md, version 1,
 * as compact UTF-8 JSON. A port of clients/python/steuntje_client/messages.py: the same keys
 * in the same order, so both produce and accept the same bytes. No I/O.
 *
 *   v 1 · k kind · id message id · t sent at (Unix s) · c conversation (the other account)
 *   plus the kind's own fields (FIELDS).
 *
 * Unknown keys are ignored; a plaintext that does not validate raises InvalidMessage, and
 * the receiver drops it (counted, never shown or logged).
 */
import { fromUtf8, randomId, utf8 } from "./bytes.js";
import { InvalidMessage } from "./errors.js";

export const VERSION = 1;
export const MAX_TEXT = 4000;
export const MAX_DISPLAY_NAME = 40; // group_profile.name (docs/groups.md §4)
export const MAX_GROUP_NAME = 80; // group_meta.name, group_invite.name

const isString = (value) => typeof value === "string";
const isInteger = (value) => Number.isInteger(value);
const isStringList = (value) => Array.isArray(value) && value.every(isString);

/** kind -> {field: check}. Every field listed is required. */
export const FIELDS = Object.freeze({
  text: { text: isString },
  nudge: { emoji: isString, template: isString },
  checkin: { question: isString, scale: isInteger },
  checkin_answer: { checkin: isString, answer: isInteger },
  call_me: {},
  // The worker's answer to call_me (issue 14 item 6): "done" = called, "retry" = not reached.
  callback: { status: isString },
  receipt: { of: isStringList },
  reaction: { of: isString, emoji: isString },
  // Groups (docs/groups.md §4): only members ever see these, never the relay.
  group_profile: { name: isString }, // the sender's display name in this group
  group_meta: { name: isString, description: isString, rules: isString }, // from a facilitator
  group_invite: { link: isString, name: isString }, // sent in a case: the #group= link
  // To one of the person's own devices only: a handle made for it in a group (its private
  // keys, base64url) and what the sender knows of the group (JSON: names, meta, member).
  group_handle: { group: isString, keys: isString, doc: isString },
});
export const KINDS = Object.freeze(Object.keys(FIELDS));
export const CALLBACK_STATUSES = Object.freeze(["done", "retry"]);

export const newMessageId = () => randomId(16);

/** Throws InvalidMessage unless `fields` are exactly what `kind` needs (extra keys ignored). */
export function validate(kind, fields) {
  if (!Object.hasOwn(FIELDS, kind)) throw new InvalidMessage("unknown kind");
  if (!fields || typeof fields !== "object") throw new InvalidMessage("fields must be an object");
  for (const [name, check] of Object.entries(FIELDS[kind])) {
    if (!check(fields[name])) throw new InvalidMessage(`${kind}.${name} has the wrong type`);
  }
  // Code points, as Python's len() counts them.
  if (kind === "text" && length(fields.text) > MAX_TEXT) throw new InvalidMessage("text too long");
  if (kind === "checkin" && !(fields.scale >= 2 && fields.scale <= 10)) {
    throw new InvalidMessage("checkin.scale must be 2..10");
  }
  if (kind === "checkin_answer" && !(fields.answer >= 1 && fields.answer <= 10)) {
    throw new InvalidMessage("checkin_answer.answer must be 1..10");
  }
  if (kind === "callback" && !CALLBACK_STATUSES.includes(fields.status)) {
    throw new InvalidMessage("callback.status must be done or retry");
  }
  if (kind === "group_profile" && !between(length(fields.name.trim()), 1, MAX_DISPLAY_NAME)) {
    throw new InvalidMessage("group_profile.name must be 1..40 characters");
  }
  if ((kind === "group_meta" || kind === "group_invite") && !between(length(fields.name), 1, MAX_GROUP_NAME)) {
    throw new InvalidMessage(`${kind}.name must be 1..80 characters`);
  }
  if (kind === "group_meta" && Math.max(length(fields.description), length(fields.rules)) > MAX_TEXT) {
    throw new InvalidMessage("group_meta.description and rules are at most 4,000 characters");
  }
  if (kind === "group_invite" && !fields.link.includes("#group=")) {
    throw new InvalidMessage("group_invite.link must be a #group= link");
  }
}

const length = (text) => [...text].length; // code points, as Python's len()
const between = (value, low, high) => value >= low && value <= high;

/** Only the kind's own fields, in FIELDS order (what is sent and stored). */
export function pick(kind, fields) {
  const out = {};
  for (const name of Object.keys(FIELDS[kind])) out[name] = fields[name];
  return out;
}

/** A message object {kind, fields, conversation, sentAt, id}; `id` is made when missing. */
export function makeMessage(kind, fields, conversation, sentAt, id = newMessageId()) {
  validate(kind, fields ?? {});
  return { kind, fields: pick(kind, fields ?? {}), conversation, sentAt, id };
}

export function encode(message) {
  validate(message.kind, message.fields);
  const document = {
    v: VERSION,
    k: message.kind,
    id: message.id,
    t: message.sentAt,
    c: message.conversation,
    ...pick(message.kind, message.fields),
  };
  return utf8(JSON.stringify(document));
}

export function decode(plaintext) {
  let document;
  try {
    document = JSON.parse(fromUtf8(plaintext));
  } catch {
    throw new InvalidMessage("not JSON");
  }
  if (!document || typeof document !== "object" || Array.isArray(document) || document.v !== VERSION) {
    throw new InvalidMessage("unknown version");
  }
  const kind = document.k;
  if (!isString(kind) || !Object.hasOwn(FIELDS, kind)) throw new InvalidMessage("unknown kind");
  const fields = pick(kind, document);
  validate(kind, fields);
  if (!isString(document.id) || !isInteger(document.t) || !isString(document.c)) {
    throw new InvalidMessage("missing id, time or conversation");
  }
  return { kind, fields, conversation: document.c, sentAt: document.t, id: document.id };
}
