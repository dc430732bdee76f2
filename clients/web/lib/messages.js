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
import { b64url, fromUtf8, randomId, unb64url, utf8 } from "./bytes.js";
import { InvalidMessage } from "./errors.js";

export const VERSION = 1;
export const MAX_TEXT = 4000;
export const MAX_DISPLAY_NAME = 40; // group_profile.name (docs/groups.md §4)
export const MAX_GROUP_NAME = 80; // group_meta.name, group_invite.name
export const MAX_CONTACT_NAME = 80; // contact_name.name (what setName keeps)
export const MAX_QUESTIONNAIRE = 32000; // questionnaire.doc, questionnaire_answer.statement

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
  // To one's own other devices only: the name this person gave a contact (issue 19 item
  // 11), so a worker's second phone knows the caregivers too; "" forgets the name.
  contact_name: { account: isString, name: isString },
  // A picture, voice note, video or PDF (docs/e2e.md §15): where the encrypted blob is on
  // the relay, its key and commitment (base64url), the blob's SHA-256 (hex) and length,
  // the file's length and media type.
  attachment: {
    blob: isString,
    key: isString,
    commit: isString,
    sha256: isString,
    size: isInteger,
    plain_size: isInteger,
    type: isString,
  },
  // Signed questionnaires (docs/accountability.md): the document as canonical JSON, and the
  // caregiver's signed answers (lib/questionnaires.js), the signature base64url.
  questionnaire: { doc: isString },
  questionnaire_answer: { statement: isString, signature: isString },
});
export const KINDS = Object.freeze(Object.keys(FIELDS));
/** kind -> {field: check}: validated when present, never required. */
export const OPTIONAL = Object.freeze({
  attachment: {
    name: isString,
    preview: isString,
    width: isInteger,
    height: isInteger,
    duration_ms: isInteger,
  },
});

export const ATTACHMENT_TYPES = Object.freeze([
  "image/jpeg", "image/webp", "image/png",
  "audio/ogg", "audio/webm", "audio/mp4",
  "video/mp4", "video/webm",
  "application/pdf",
]);
export const MAX_ATTACHMENT_SIZE = 25 * 1024 * 1024; // plaintext bytes (the relay's default limit)
export const MAX_ATTACHMENT_NAME = 120;
const MAX_PREVIEW = 4096; // bytes of the decoded preview picture
const MAX_DIMENSION = 16384;
const MAX_DURATION_MS = 24 * 3600000;
// crypto/attachment.py's ciphertext_size, inlined so this first-load module does not pull
// in the attachment crypto: a 32-byte commitment, then 16 tag bytes per 64 KiB chunk (≥ 1).
const attachmentBlobSize = (plain) => 32 + plain + Math.max(1, Math.ceil(plain / 65536)) * 16;
// Control characters, and the bidirectional overrides that make "gpj.exe" read "exe.jpg".
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
export const CALLBACK_STATUSES = Object.freeze(["done", "retry"]);

export const newMessageId = () => randomId(16);

/** Throws InvalidMessage unless `fields` are exactly what `kind` needs (extra keys ignored). */
export function validate(kind, fields) {
  if (!Object.hasOwn(FIELDS, kind)) throw new InvalidMessage("unknown kind");
  if (!fields || typeof fields !== "object") throw new InvalidMessage("fields must be an object");
  for (const [name, check] of Object.entries(FIELDS[kind])) {
    if (!check(fields[name])) throw new InvalidMessage(`${kind}.${name} has the wrong type`);
  }
  for (const [name, check] of Object.entries(OPTIONAL[kind] ?? {})) {
    if (present(fields, name) && !check(fields[name])) {
      throw new InvalidMessage(`${kind}.${name} has the wrong type`);
    }
  }
  if (kind === "attachment") validateAttachment(fields);
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
  if (kind === "contact_name" && length(fields.name) > MAX_CONTACT_NAME) {
    throw new InvalidMessage("contact_name.name is at most 80 characters");
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
  if (kind === "questionnaire" && length(fields.doc) > MAX_QUESTIONNAIRE) {
    throw new InvalidMessage("questionnaire.doc is at most 32,000 characters");
  }
  if (kind === "questionnaire_answer" && length(fields.statement) > MAX_QUESTIONNAIRE) {
    throw new InvalidMessage("questionnaire_answer.statement is at most 32,000 characters");
  }
}

const length = (text) => [...text].length; // code points, as Python's len()
const between = (value, low, high) => value >= low && value <= high;
// An optional field is absent when its key is missing (or undefined, JSON's "missing").
const present = (fields, name) => Object.hasOwn(fields, name) && fields[name] !== undefined;

/** The ranges of an attachment's fields (their types are already checked), as Python's. */
function validateAttachment(fields) {
  const media = fields.type;
  if (!/^[A-Za-z0-9_-]{22}$/.test(fields.blob)) { // the relay's blob ids (PROTOCOL §4.17)
    throw new InvalidMessage("attachment.blob must be a blob id");
  }
  for (const name of ["key", "commit"]) {
    if (canonicalBase64url(fields[name], name).length !== 32) {
      throw new InvalidMessage(`attachment.${name} must be 32 bytes`);
    }
  }
  if (!/^[0-9a-f]{64}$/.test(fields.sha256)) {
    throw new InvalidMessage("attachment.sha256 must be 64 lower-case hex digits");
  }
  if (!ATTACHMENT_TYPES.includes(media)) {
    throw new InvalidMessage("attachment.type is not an allowed media type");
  }
  if (!between(fields.plain_size, 0, MAX_ATTACHMENT_SIZE)) {
    throw new InvalidMessage("attachment.plain_size must be 0..25 MiB");
  }
  if (fields.size !== attachmentBlobSize(fields.plain_size)) {
    throw new InvalidMessage("attachment.size does not match plain_size");
  }
  const fileName = fields.name;
  const nameOk = () => between(length(fileName), 1, MAX_ATTACHMENT_NAME) && !NAME_FORBIDDEN.test(fileName);
  if (present(fields, "name") && !nameOk()) {
    throw new InvalidMessage("attachment.name must be 1..120 characters, no control characters");
  }
  const visual = media.startsWith("image/") || media.startsWith("video/");
  if (present(fields, "preview")) {
    const preview = canonicalBase64url(fields.preview, "preview");
    if (!visual || !between(preview.length, 1, MAX_PREVIEW)) {
      throw new InvalidMessage("attachment.preview is a picture's or video's, ≤ 4 KB");
    }
    if (!isJpegOrWebp(preview)) {
      throw new InvalidMessage("attachment.preview must be a JPEG or WebP picture");
    }
  }
  for (const name of ["width", "height"]) {
    if (present(fields, name) && !(visual && between(fields[name], 1, MAX_DIMENSION))) {
      throw new InvalidMessage(`attachment.${name} is a picture's or video's, 1..16384`);
    }
  }
  const recording = media.startsWith("audio/") || media.startsWith("video/");
  const duration = fields.duration_ms;
  if (present(fields, "duration_ms") && !(recording && between(duration, 0, MAX_DURATION_MS))) {
    throw new InvalidMessage("attachment.duration_ms is a recording's, at most 24 hours");
  }
}

// A preview is a JPEG or a WebP picture: the receiver shows it without trusting `type`.
function isJpegOrWebp(bytes) {
  const ascii = (from, to) => String.fromCharCode(...bytes.subarray(from, to));
  const jpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  return jpeg || (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP");
}

// Base64url without padding, in its one canonical spelling (as Python checks).
function canonicalBase64url(text, name) {
  let bytes;
  try {
    bytes = unb64url(text);
  } catch {
    throw new InvalidMessage(`attachment.${name} must be base64url`);
  }
  if (b64url(bytes) !== text) throw new InvalidMessage(`attachment.${name} must be base64url`);
  return bytes;
}

/** Only the kind's own fields, in FIELDS order then OPTIONAL order (what is sent and stored). */
export function pick(kind, fields) {
  const out = {};
  for (const name of Object.keys(FIELDS[kind])) out[name] = fields[name];
  for (const name of Object.keys(OPTIONAL[kind] ?? {})) {
    if (present(fields, name)) out[name] = fields[name];
  }
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
