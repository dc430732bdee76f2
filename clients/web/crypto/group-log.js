// The signed membership log of a peer-support group (groups/log.py, docs/groups.md §2).
//
// Who is in a group is decided by signatures, not by the relay. Every change is a record
// signed by a group identity key (a "handle": an Ed25519 public key that exists for one
// group only); records form a hash chain. Every client folds the whole chain before it
// encrypts to anyone, so a relay that lies can withhold records but never add a listener.
//
// A record travels as the exact JSON text that was signed plus the signature:
//
//     {"body": "{\"by\":\"…\",\"group\":\"grp_…\",\"op\":\"create\",…}", "sig": "…"}
//
// Python's verdict on every record is this module's verdict (tests/vectors/group_log.json).
// The bodies are parsed with Python's json semantics, not JSON.parse's: `1.0` is a float
// (never a valid seq), `true` equals 1 (a valid `v`), NaN and Infinity are numbers.
//
// Pure: no I/O, no clock (callers pass `now` where it matters), no randomness.

import { concat } from './codec.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify, sha256 } from './primitives.js';

const ascii = (text) => new TextEncoder().encode(text);
export const RECORD_LABEL = ascii('steuntje/v1/sig/group-record\0');
export const TICKET_LABEL = ascii('steuntje/v1/sig/group-ticket\0');
export const DEVICE_PROOF_LABEL = ascii('steuntje/v1/sig/group-device\0');

export const MAX_MEMBERS = 30; // people with role "member"; facilitators come on top
export const MAX_FACILITATORS = 5;
export const MAX_HANDLES_PER_MEMBER = 5; // one per device of that person
export const MAX_BODY_CHARS = 2048;
export const MAX_MUTE_S = 30 * 86400; // a mute is "for a while", never for good
export const ROLES = Object.freeze(['facilitator', 'member']);
export const OPS = Object.freeze(['create', 'join', 'device', 'leave', 'remove', 'role', 'mute']);

// Canonical base64url only (the last character's unused bits are zero), as groups/log.py:
// one key, one spelling, so "in use" and "retired" compare keys.
const GROUP_ID = /^grp_[A-Za-z0-9_-]{21}[AQgw]$/;
const HANDLE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/; // an Ed25519 public key, base64url
const NONCE = /^[A-Za-z0-9_-]{21}[AQgw]$/; // 16 random bytes
const SIG = /^[A-Za-z0-9_-]{85}[AQgw]$/; // 64 bytes

// A record that must not be applied; `reason` is one of docs/groups.md §2.4's words.
export class InvalidRecord extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'InvalidRecord';
    this.reason = reason;
    this.code = reason;
  }
}

// -- base64url and text ------------------------------------------------------------------

export function b64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Lenient about the unused low bits of the last character, as Python's urlsafe_b64decode.
function unb64(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

// Python's str.encode(): text with a lone surrogate cannot be signed or hashed.
function encodeText(text) {
  if (!text.isWellFormed()) throw new InvalidRecord('malformed');
  return new TextEncoder().encode(text);
}

const codePoints = (text) => [...text].length; // Python's len()

// -- JSON as Python writes and reads it ----------------------------------------------------

// json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).
export function dumps(value) {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[^\x20-\x7e]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('only whole numbers are written');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(dumps).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${dumps(key)}:${dumps(value[key])}`).join(',')}}`;
  }
  if (value === true || value === false || value === null) return String(value);
  throw new TypeError('cannot write this value');
}

// A float as Python's json.loads makes it (from "1.0", "1e3", NaN, Infinity); whole
// numbers without a fraction or exponent are plain JS numbers (Python ints).
class PyFloat {
  constructor(value) {
    this.value = value;
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

// json.loads: objects become null-prototype objects (last duplicate key wins), so no key
// (not even "__proto__") is special. Throws SyntaxError on anything Python refuses.
export function loads(text) {
  let at = 0;
  const fail = () => {
    throw new SyntaxError('not JSON');
  };
  const skip = () => {
    while (WHITESPACE.has(text[at])) at += 1;
  };
  const literal = (word, value) => {
    if (text.startsWith(word, at)) {
      at += word.length;
      return value;
    }
    return fail();
  };
  const string = () => {
    at += 1; // the opening quote
    let out = '';
    for (;;) {
      const char = text[at];
      if (char === undefined || char < ' ') fail(); // strict: no raw control characters
      at += 1;
      if (char === '"') return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escape = text[at];
      at += 1;
      if (escape === 'u') {
        const hex = text.slice(at, at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
        out += String.fromCharCode(parseInt(hex, 16)); // pairs join up as in Python
        at += 4;
      } else if (Object.hasOwn(ESCAPES, escape)) {
        out += ESCAPES[escape];
      } else {
        fail();
      }
    }
  };
  const value = () => {
    skip();
    const char = text[at];
    if (char === '"') return string();
    if (char === '{') {
      at += 1;
      const object = Object.create(null);
      skip();
      if (text[at] === '}') {
        at += 1;
        return object;
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail();
        const key = string();
        skip();
        if (text[at] !== ':') fail();
        at += 1;
        object[key] = value();
        skip();
        if (text[at] === ',') at += 1;
        else if (text[at] === '}') {
          at += 1;
          return object;
        } else fail();
      }
    }
    if (char === '[') {
      at += 1;
      const array = [];
      skip();
      if (text[at] === ']') {
        at += 1;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        if (text[at] === ',') at += 1;
        else if (text[at] === ']') {
          at += 1;
          return array;
        } else fail();
      }
    }
    if (char === 't') return literal('true', true);
    if (char === 'f') return literal('false', false);
    if (char === 'n') return literal('null', null);
    if (char === 'N') return literal('NaN', new PyFloat(NaN));
    if (char === 'I') return literal('Infinity', new PyFloat(Infinity));
    if (text.startsWith('-Infinity', at)) return literal('-Infinity', new PyFloat(-Infinity));
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match) return fail();
    at = NUMBER.lastIndex;
    const number = Number(match[0]);
    return match[1] !== undefined || match[2] !== undefined ? new PyFloat(number) : number;
  };
  const result = value();
  skip();
  if (at !== text.length) fail();
  return result;
}

const isObject = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat);
const isString = (value) => typeof value === 'string';
// Python's isinstance(value, int) and not bool, in 0 ≤ value < 2^53.
const isWhole = (value) => Number.isInteger(value) && value >= 0 && value < 2 ** 53;
// Python's `value == 1`: the int 1, the float 1.0 and True.
const isOne = (value) => value === 1 || value === true || (value instanceof PyFloat && value.value === 1);
const keysAre = (object, expected) => {
  const keys = Object.keys(object);
  return keys.length === expected.size && keys.every((key) => expected.has(key));
};

// -- records and tickets -------------------------------------------------------------------

// A wire record {body, sig} checked for shape; InvalidRecord('malformed') otherwise.
export function recordFromWire(data) {
  if (!isObject(data) || !keysAre(data, new Set(['body', 'sig']))) throw new InvalidRecord('malformed');
  const { body, sig } = data;
  if (!isString(body) || !isString(sig)) throw new InvalidRecord('malformed');
  if (codePoints(body) > MAX_BODY_CHARS || !SIG.test(sig)) throw new InvalidRecord('malformed');
  return Object.freeze({ body, sig });
}

// A wire ticket {body, by, sig} checked for shape; InvalidRecord('ticket_invalid') otherwise.
export function ticketFromWire(data) {
  if (!isObject(data) || !keysAre(data, new Set(['body', 'by', 'sig']))) {
    throw new InvalidRecord('ticket_invalid');
  }
  const { body, by, sig } = data;
  if (![body, by, sig].every(isString)) throw new InvalidRecord('ticket_invalid');
  if (codePoints(body) > 256 || !HANDLE.test(by) || !SIG.test(sig)) {
    throw new InvalidRecord('ticket_invalid');
  }
  return Object.freeze({ body, by, sig });
}

// The ticket's {v, group, nonce, expires}, once its signature checks out.
export function ticketFields(ticket) {
  let message;
  try {
    message = concat(TICKET_LABEL, encodeText(ticket.body));
  } catch {
    throw new InvalidRecord('ticket_invalid');
  }
  if (!ed25519Verify(unb64(ticket.by), message, unb64(ticket.sig))) {
    throw new InvalidRecord('ticket_invalid');
  }
  let fields;
  try {
    fields = loads(ticket.body);
  } catch {
    throw new InvalidRecord('ticket_invalid');
  }
  if (
    !isObject(fields) ||
    !keysAre(fields, new Set(['v', 'group', 'nonce', 'expires'])) ||
    !isOne(fields.v) ||
    !isString(fields.group) ||
    !GROUP_ID.test(fields.group) ||
    !isString(fields.nonce) ||
    !NONCE.test(fields.nonce) ||
    !isWhole(fields.expires)
  ) {
    throw new InvalidRecord('ticket_invalid');
  }
  return { v: 1, group: fields.group, nonce: fields.nonce, expires: fields.expires };
}

// What the next record's `prev` must be: SHA-256 of the signed body text.
export function recordHash(record) {
  return b64(sha256(encodeText(record.body)));
}

// Sign `fields` (`by` is filled in from the key, `v` added) as a record {body, sig}.
export function makeRecord(signingSeed, fields) {
  const by = b64(ed25519PublicKey(signingSeed));
  const body = dumps({ v: 1, ...fields, by });
  return Object.freeze({ body, sig: b64(ed25519Sign(signingSeed, concat(RECORD_LABEL, encodeText(body)))) });
}

export function makeTicket(signingSeed, group, nonce, expires) {
  const body = dumps({ v: 1, group, nonce, expires });
  const sig = ed25519Sign(signingSeed, concat(TICKET_LABEL, encodeText(body)));
  return Object.freeze({ body, by: b64(ed25519PublicKey(signingSeed)), sig: b64(sig) });
}

// The new device's own signature over a `device` record: it holds the key it adds.
export function deviceProof(newHandleSeed, record) {
  return b64(ed25519Sign(newHandleSeed, concat(DEVICE_PROOF_LABEL, encodeText(record.body))));
}

export function verifyDeviceProof(record, handle, proof) {
  if (!isString(proof) || !SIG.test(proof) || !isString(handle) || !HANDLE.test(handle)) return false;
  try {
    return ed25519Verify(unb64(handle), concat(DEVICE_PROOF_LABEL, encodeText(record.body)), unb64(proof));
  } catch {
    return false;
  }
}

// -- the state -----------------------------------------------------------------------------

// The group as the log so far says it is. Members: Map id → {id, role, handles,
// mutedUntil, joinedSeq}; usedTickets: nonces joined with; retired: handles that left.
export class GroupState {
  constructor(group, seq, head, members, usedTickets, retired) {
    this.group = group;
    this.seq = seq;
    this.head = head;
    this.members = members;
    this.usedTickets = usedTickets;
    this.retired = retired;
    Object.freeze(this);
  }

  owner(handle) {
    for (const member of this.members.values()) if (member.handles.includes(handle)) return member;
    return null;
  }

  handles() {
    return [...this.members.values()].flatMap((member) => member.handles);
  }

  count(role) {
    let count = 0;
    for (const member of this.members.values()) if (member.role === role) count += 1;
    return count;
  }
}

const member = (id, role, handles, mutedUntil = 0, joinedSeq = 0) =>
  Object.freeze({ id, role, handles: Object.freeze([...handles]), mutedUntil, joinedSeq });

const OP_FIELDS = {
  create: [],
  join: ['ticket'],
  device: ['member', 'handle'],
  leave: ['member'],
  remove: ['member'],
  role: ['member', 'role'],
  mute: ['member', 'until'],
};
const COMMON = ['v', 'group', 'seq', 'prev', 'op', 'by'];

function parse(record) {
  let fields;
  try {
    fields = loads(record.body);
  } catch {
    throw new InvalidRecord('malformed');
  }
  if (!isObject(fields) || !isOne(fields.v) || !OPS.includes(fields.op)) {
    throw new InvalidRecord('malformed');
  }
  if (!keysAre(fields, new Set([...COMMON, ...OP_FIELDS[fields.op]]))) throw new InvalidRecord('malformed');
  const { by } = fields;
  if (!isString(by) || !HANDLE.test(by)) throw new InvalidRecord('malformed');
  if (!isString(fields.group) || !GROUP_ID.test(fields.group)) throw new InvalidRecord('malformed');
  if (!isWhole(fields.seq) || fields.seq < 1 || !isString(fields.prev)) throw new InvalidRecord('malformed');
  for (const name of ['member', 'handle']) {
    if (name in fields && !(isString(fields[name]) && HANDLE.test(fields[name]))) {
      throw new InvalidRecord('malformed');
    }
  }
  if ('role' in fields && !ROLES.includes(fields.role)) throw new InvalidRecord('malformed');
  if ('until' in fields && !isWhole(fields.until)) throw new InvalidRecord('malformed');
  if (!ed25519Verify(unb64(by), concat(RECORD_LABEL, encodeText(record.body)), unb64(record.sig))) {
    throw new InvalidRecord('bad_signature');
  }
  return fields;
}

/**
 * The state after `record`, or InvalidRecord. `now` (the relay passes it when it appends)
 * also checks that a join's ticket has not expired and that a mute does not run longer
 * than MAX_MUTE_S; clients replaying the log pass null.
 */
export function applyRecord(state, record, now = null) {
  const fields = parse(record);
  const { op, by, seq } = fields;
  if (state === null) {
    if (op !== 'create' || seq !== 1 || fields.prev !== '') throw new InvalidRecord('wrong_seq');
    const creator = member(by, 'facilitator', [by], 0, 1);
    return new GroupState(fields.group, 1, recordHash(record), new Map([[by, creator]]), new Set(), new Set());
  }
  if (fields.group !== state.group) throw new InvalidRecord('wrong_group');
  if (seq !== state.seq + 1) throw new InvalidRecord('wrong_seq');
  if (fields.prev !== state.head) throw new InvalidRecord('wrong_prev');
  const members = new Map(state.members);
  const signer = state.owner(by);
  let used = state.usedTickets;
  let retired = state.retired;

  if (op === 'create') throw new InvalidRecord('wrong_seq');
  if (op === 'join') {
    const ticket = ticketFromWire(fields.ticket);
    const ticketData = ticketFields(ticket);
    const issuer = state.owner(ticket.by);
    if (ticketData.group !== state.group || issuer === null || issuer.role !== 'facilitator') {
      throw new InvalidRecord('ticket_invalid');
    }
    if (used.has(ticketData.nonce)) throw new InvalidRecord('ticket_used');
    if (now !== null && ticketData.expires < now) throw new InvalidRecord('ticket_expired');
    if (signer !== null || retired.has(by)) throw new InvalidRecord('handle_in_use');
    if (state.count('member') >= MAX_MEMBERS) throw new InvalidRecord('group_full');
    members.set(by, member(by, 'member', [by], 0, seq));
    used = new Set([...used, ticketData.nonce]);
  } else {
    const target = members.get(fields.member) ?? null;
    if (signer === null || target === null) throw new InvalidRecord('unknown_member');
    if (op === 'device') {
      if (signer.id !== target.id) throw new InvalidRecord('not_own_member');
      const { handle } = fields;
      if (state.owner(handle) !== null || retired.has(handle)) throw new InvalidRecord('handle_in_use');
      if (target.handles.length >= MAX_HANDLES_PER_MEMBER) throw new InvalidRecord('too_many_devices');
      members.set(target.id, { ...target, handles: Object.freeze([...target.handles, handle]) });
    } else if (op === 'leave') {
      if (signer.id !== target.id) throw new InvalidRecord('not_own_member');
      keepAFacilitator(state, target);
      members.delete(target.id);
      retired = new Set([...retired, ...target.handles]);
    } else {
      // remove, role, mute: the facilitator's tools
      if (signer.role !== 'facilitator') throw new InvalidRecord('not_facilitator');
      if (op === 'remove') {
        if (target.id === signer.id) throw new InvalidRecord('not_own_member'); // leaving is its own record
        keepAFacilitator(state, target);
        members.delete(target.id);
        retired = new Set([...retired, ...target.handles]);
      } else if (op === 'role') {
        if (fields.role === target.role) throw new InvalidRecord('no_change');
        if (fields.role === 'facilitator' && state.count('facilitator') >= MAX_FACILITATORS) {
          throw new InvalidRecord('group_full');
        }
        if (fields.role === 'member') keepAFacilitator(state, target);
        members.set(target.id, Object.freeze({ ...target, role: fields.role }));
      } else {
        if (target.role === 'facilitator') throw new InvalidRecord('not_permitted');
        const { until } = fields;
        if (now !== null && until > now + MAX_MUTE_S) throw new InvalidRecord('mute_too_long');
        members.set(target.id, Object.freeze({ ...target, mutedUntil: until }));
      }
    }
  }
  return new GroupState(state.group, seq, recordHash(record), members, used, retired);
}

function keepAFacilitator(state, leaving) {
  if (leaving.role === 'facilitator' && state.count('facilitator') === 1) {
    throw new InvalidRecord('last_facilitator');
  }
}

// Check a whole log from its first record; InvalidRecord at the first bad one.
export function fold(records, group = null) {
  let state = null;
  for (const record of records) state = applyRecord(state, record);
  if (state === null || (group !== null && state.group !== group)) throw new InvalidRecord('wrong_group');
  return state;
}

// What a record says, once applyRecord accepted it (for showing it: op, by, member, …).
export function recordFields(record) {
  const fields = loads(record.body);
  return { ...fields, v: 1 };
}
