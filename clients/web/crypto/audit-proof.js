// Checking the audit log in the browser (issue 19 item 3; docs/audit.md §3, §5–§7): the
// officer's screen trusts the organisation's log key it pinned when the officer joined, not
// the relay at this moment. Pure: no DOM, no network, no storage, no clock.
//
// * canonicalEntry: the bytes docs/audit.md §3 hashes, from the entry as shown (so the leaf
//   hash is computed here, from what the screen displays, never taken from the relay);
// * leafHash / nodeHash: RFC 6962 §2.1; inclusion and consistency checks with the
//   bit-walking algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 (as audit/verify.py);
// * openCheckpoint: a C2SP signed note (c2sp.org/signed-note, tlog-checkpoint) with the
//   strict Ed25519 rules of primitives.js (libsodium's, as audit/note_verify.py applies);
// * verifyShown: one screen's entries against audit_proof's reply and the kept checkpoint;
// * verifyBundle: an export bundle (JSON Lines, §7), for the offline verify page.
//
// Every failure is an AuditProofError with a `kind` the badge turns into plain words:
// changed (an entry's bytes differ from the signed tree; `index` names it), missing (an
// entry is absent; `index`), other_key (no signature by the pinned key), bad_signature (a
// signature by the pinned key that fails), rollback (the log no longer extends the
// checkpoint this device kept), malformed (anything that is not what the formats say).

import { sha256 } from '../vendor/noble-2.4.0.js';
import { bytesEqual, concat, fromHex, toHex } from './codec.js';
import { ed25519Verify } from './primitives.js';

export const ENTRY_PREFIX = new TextEncoder().encode('steuntje-audit-entry-v1\n');
export const EMPTY_ROOT = sha256(new Uint8Array(0));
const BUNDLE_FORMAT = 'steuntje-audit-bundle/v1';
const ED25519_TYPE = 0x01;
const MAX_SIGNATURES = 64;
const SIZE = /^(0|[1-9][0-9]{0,15})$/; // a tree size JavaScript holds exactly
// Strings in an entry: printable ASCII without '"' or '\', so JSON needs no escapes (§3).
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export class AuditProofError extends Error {
  constructor(kind, message, index = null) {
    super(message);
    this.name = 'AuditProofError';
    this.kind = kind;
    this.index = index;
  }
}

function fail(kind, message, index = null) {
  throw new AuditProofError(kind, message, index);
}

// -- base64, strict: one spelling per value ------------------------------------------------

export function fromBase64(text, what = 'base64') {
  let binary;
  try {
    binary = typeof text === 'string' ? atob(text) : null;
  } catch {
    binary = null;
  }
  if (binary === null) fail('malformed', `${what}: not base64`);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) fail('malformed', `${what}: not canonical base64`);
  return bytes;
}

export function toBase64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// -- the canonical entry (§3) ----------------------------------------------------------------

function canonicalValue(value) {
  if (typeof value === 'string') {
    if (!PLAIN.test(value)) throw new TypeError('a string outside printable ASCII');
    return `"${value}"`;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError('not a whole number');
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Sorted by code point: every key is ASCII, so the default sort is that order.
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${canonicalValue(key)}:${canonicalValue(value[key])}`).join(',')}}`;
  }
  throw new TypeError('no booleans, null or other values in an entry');
}

/** The bytes that are hashed for an entry as audit_query returns it (its `index` aside). */
export function canonicalEntry(entry) {
  const { index, ...fields } = entry;
  return concat(ENTRY_PREFIX, new TextEncoder().encode(canonicalValue(fields)));
}

// -- RFC 6962 hashes and proofs --------------------------------------------------------------

export function leafHash(bytes) {
  return sha256(concat(Uint8Array.of(0), bytes));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** MTH of a list of leaf hashes (RFC 6962 §2.1), without recursion. */
export function rootOf(leaves) {
  return rootsAt(leaves, [leaves.length]).get(leaves.length);
}

/** The roots of the first `size` leaves for each of `sizes`, in one pass over the leaves:
 * a bundle has a checkpoint a minute, and a root per checkpoint from scratch would not do. */
export function rootsAt(leaves, sizes) {
  const wanted = new Set(sizes);
  const roots = new Map();
  if (wanted.has(0)) roots.set(0, EMPTY_ROOT);
  // Perfect subtrees left to right, merged as binary addition carries (as the relay appends).
  const stack = [];
  leaves.forEach((leaf, i) => {
    let hash = leaf;
    for (let n = i; n % 2 === 1; n = Math.floor(n / 2)) hash = nodeHash(stack.pop(), hash);
    stack.push(hash);
    if (wanted.has(i + 1)) {
      let root = stack[stack.length - 1];
      for (let k = stack.length - 2; k >= 0; k--) root = nodeHash(stack[k], root);
      roots.set(i + 1, root);
    }
  });
  return roots;
}

function requireHashes(proof) {
  if (!Array.isArray(proof) || proof.some((h) => !(h instanceof Uint8Array) || h.length !== 32)) {
    fail('malformed', 'a proof is a list of 32-byte hashes');
  }
}

/** The root an audit path leads to from leaf `index` of a tree of `size` (RFC 9162). */
export function rootFromInclusion(leaf, index, size, proof) {
  requireHashes(proof);
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
    fail('malformed', `leaf ${index} is not in a tree of ${size}`);
  }
  let fn = index;
  let sn = size - 1;
  let result = leaf;
  for (const sibling of proof) {
    if (sn === 0) fail('changed', 'the audit path is too long', index);
    if (fn % 2 === 1 || fn === sn) {
      result = nodeHash(sibling, result);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      result = nodeHash(result, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail('changed', 'the audit path is too short', index);
  return result;
}

export function verifyInclusion(leaf, index, size, proof, root) {
  if (!bytesEqual(rootFromInclusion(leaf, index, size, proof), root)) {
    fail('changed', `entry ${index} is not the one the signed tree holds`, index);
  }
}

/** Raise unless the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162). */
export function verifyConsistency(size1, size2, proof, root1, root2) {
  requireHashes(proof);
  if (!(size1 >= 0 && size1 <= size2)) fail('rollback', 'the log is smaller than before');
  if (size1 === size2) {
    if (proof.length || !bytesEqual(root1, root2)) fail('rollback', 'another tree of the same size');
    return;
  }
  if (size1 === 0) fail('malformed', 'a consistency proof from the empty tree proves nothing');
  if (proof.length === 0) fail('rollback', 'the consistency proof is empty');
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let older = path[0];
  let newer = path[0];
  for (const node of path.slice(1)) {
    if (sn === 0) fail('rollback', 'the consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      older = nodeHash(node, older);
      newer = nodeHash(node, newer);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      newer = nodeHash(newer, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail('rollback', 'the consistency proof is too short');
  if (!bytesEqual(older, root1) || !bytesEqual(newer, root2)) {
    fail('rollback', `the log of size ${size2} does not extend the one of size ${size1}`);
  }
}

// -- verifier keys and checkpoints (C2SP) ----------------------------------------------------

function validName(name) {
  return typeof name === 'string' && name.length > 0 && !/[+\s]/.test(name);
}

function keyId(name, material) {
  return sha256(concat(new TextEncoder().encode(`${name}\n`), material)).subarray(0, 4);
}

/** `<name>+<8 hex>+<base64(0x01 || key)>`, with the key ID checked. */
export function parseVerifierKey(text) {
  // Split at the first two '+' only: base64 has '+' in it too.
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  const parts =
    first > 0 && second > first
      ? [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)]
      : [];
  if (parts.length !== 3 || !validName(parts[0]) || !/^[0-9a-f]{8}$/.test(parts[1])) {
    fail('malformed', 'verifier key: expected <name>+<8 hex digits>+<base64 key>');
  }
  const material = fromBase64(parts[2], 'verifier key');
  if (material.length !== 33 || material[0] !== ED25519_TYPE) {
    fail('malformed', 'verifier key: not an Ed25519 log key');
  }
  if (toHex(keyId(parts[0], material)) !== parts[1]) {
    fail('malformed', 'verifier key: the key ID does not match the name and key');
  }
  return { name: parts[0], keyId: fromHex(parts[1]), publicKey: material.subarray(1), text: parts.join('+') };
}

/** A short form to show and compare by eye: the key ID and the start of the key. */
export function keyFingerprint(key) {
  return `${toHex(key.keyId)} ${toBase64(key.publicKey).slice(0, 12)}`;
}

/** Verify a checkpoint note with the pinned key; returns {origin, size, root, note}. */
export function openCheckpoint(note, key) {
  if (typeof note !== 'string' || !note.endsWith('\n')) fail('malformed', 'checkpoint: no note');
  if (/[\x00-\x09\x0b-\x1f]/.test(note)) fail('malformed', 'checkpoint: a control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) fail('malformed', 'checkpoint: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) fail('malformed', 'checkpoint: too many signatures');
  let trusted = null;
  for (const line of lines) {
    const parts = line.split(' ');
    if (parts.length !== 3 || parts[0] !== '\u2014' || !validName(parts[1])) {
      fail('malformed', 'checkpoint: a signature line is not "— <name> <base64>"');
    }
    const blob = fromBase64(parts[2], 'signature');
    if (blob.length < 5) fail('malformed', 'checkpoint: a signature line is too short');
    if (parts[1] === key.name && bytesEqual(blob.subarray(0, 4), key.keyId)) {
      if (trusted) fail('bad_signature', 'checkpoint: two signatures by the log key');
      trusted = blob.subarray(4);
    }
  }
  // A signature by any other key is ignored (cosignatures); none by ours is not enough.
  if (!trusted) fail('other_key', 'checkpoint: not signed with the pinned key');
  if (!ed25519Verify(key.publicKey, new TextEncoder().encode(text), trusted)) {
    fail('bad_signature', 'checkpoint: the signature does not verify');
  }
  const body = text.split('\n').slice(0, -1);
  if (body.length < 3 || body.some((line) => line === '')) {
    fail('malformed', 'checkpoint: origin, size and root lines, none empty');
  }
  if (body[0] !== key.name) fail('other_key', 'checkpoint: the origin is not the log key name');
  if (!SIZE.test(body[1])) fail('malformed', 'checkpoint: the size is not a plain decimal');
  const root = fromBase64(body[2], 'checkpoint root');
  if (root.length !== 32) fail('malformed', 'checkpoint: the root is not 32 bytes');
  return { origin: body[0], size: Number(body[1]), root, note };
}

// -- one screen's entries --------------------------------------------------------------------

/**
 * Check what a screen shows: `entries` from audit_query, `reply` from audit_proof (asked
 * with their indices and the kept checkpoint's size), `kept` the checkpoint this device
 * verified before ({size, root} or null). `contiguous`: the entries are an unfiltered page
 * starting after `after`, so a gap in the indices is an entry that is missing.
 * Returns the checkpoint to keep; raises AuditProofError.
 */
export function verifyShown({ entries, reply, key, kept = null, contiguous = false, after = -1 }) {
  if (!reply || typeof reply.checkpoint !== 'string') {
    fail('malformed', 'the relay gave no signed checkpoint');
  }
  const checkpoint = openCheckpoint(reply.checkpoint, key);
  if (kept) {
    if (kept.size > checkpoint.size) fail('rollback', 'the log is smaller than this device saw');
    const proof = kept.size === checkpoint.size ? [] : hashes(reply.consistency);
    verifyConsistency(kept.size, checkpoint.size, proof, kept.root, checkpoint.root);
  }
  let expected = after + 1;
  for (const entry of entries) {
    if (contiguous && entry.index !== expected) {
      fail('missing', `entry ${expected} is missing`, expected);
    }
    expected = entry.index + 1;
    if (entry.removed) continue; // past the log's retention: only its leaf hash is left
    if (entry.index >= checkpoint.size) continue; // newer than the newest signature
    let leaf;
    try {
      leaf = leafHash(canonicalEntry(entry));
    } catch {
      fail('changed', `entry ${entry.index} is not a valid entry`, entry.index);
    }
    const path = reply.proofs?.[String(entry.index)];
    if (!path) fail('missing', `no proof for entry ${entry.index}`, entry.index);
    verifyInclusion(leaf, entry.index, checkpoint.size, hashes(path), checkpoint.root);
  }
  return checkpoint;
}

function hashes(list) {
  if (!Array.isArray(list)) fail('rollback', 'no consistency proof from the kept checkpoint');
  try {
    return list.map((hex) => fromHex(hex));
  } catch {
    return fail('malformed', 'a proof hash is not hex');
  }
}

// -- an export bundle (§7) -------------------------------------------------------------------

// Python's json.dumps(sort_keys=True, separators=(",", ":")), ensure_ascii: one spelling.
function canonicalLine(value) {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => (c === '\u007f' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    );
  }
  if (Array.isArray(value)) return `[${value.map(canonicalLine).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${canonicalLine(k)}:${canonicalLine(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Verify a bundle's text with the trusted key; `kept` is a checkpoint note kept from before
 * (or null). Returns {entries, removed, latest}; raises AuditProofError naming the first
 * problem, with the entry's index where there is one.
 */
export function verifyBundle(text, key, kept = null) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else fail('malformed', 'the file does not end in a newline');
  const rows = lines.map((line, i) => {
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      row = null;
    }
    if (!row || typeof row !== 'object' || canonicalLine(row) !== line) {
      fail('malformed', `line ${i + 1} is not a bundle line`);
    }
    return row;
  });
  const header = rows[0];
  if (!header || header.type !== 'header' || header.format !== BUNDLE_FORMAT) {
    fail('malformed', 'line 1 is not a bundle header');
  }
  if (header.verifier_key !== key.text) fail('other_key', 'the bundle names another log key');
  const leaves = [];
  let removed = 0;
  let latest = null;
  let link = null; // the consistency line just read
  let roots = null; // the roots at every checkpoint's size, once the entries are read
  const sizes = rows
    .filter((row) => row.type === 'checkpoint' && typeof row.note === 'string')
    .map((row) => Number(row.note.split('\n')[1]));
  if (kept) sizes.push(Number(String(kept).split('\n')[1]));
  for (const row of rows.slice(1)) {
    if (row.type !== 'entry' && roots === null) roots = rootsAt(leaves, sizes);
    if (row.type === 'entry') {
      if (latest || link) fail('malformed', 'an entry after the checkpoints');
      if (row.index !== leaves.length) {
        fail('missing', `entry ${leaves.length} is missing or out of place`, leaves.length);
      }
      const leaf = fromBase64(row.leaf_hash, 'leaf hash');
      if (row.removed === true) {
        removed += 1;
      } else if (!bytesEqual(leafHash(fromBase64(row.body, 'entry')), leaf)) {
        fail('changed', `entry ${row.index} was changed`, row.index);
      }
      leaves.push(leaf);
    } else if (row.type === 'consistency') {
      link = row;
    } else if (row.type === 'checkpoint') {
      const checkpoint = openCheckpoint(row.note, key);
      if (checkpoint.size > leaves.length) fail('missing', 'a checkpoint covers missing entries');
      if (latest && checkpoint.size <= latest.size) fail('rollback', 'checkpoints do not grow');
      if (latest && latest.size > 0) {
        if (!link || link.from !== latest.size || link.to !== checkpoint.size) {
          fail('rollback', 'a consistency proof between checkpoints is missing');
        }
        const proof = link.proof.map((h) => fromBase64(h, 'proof'));
        verifyConsistency(latest.size, checkpoint.size, proof, latest.root, checkpoint.root);
      }
      if (!bytesEqual(roots.get(checkpoint.size), checkpoint.root)) {
        fail('changed', `the entries up to ${checkpoint.size} are not the signed ones`);
      }
      latest = checkpoint;
      link = null;
    } else {
      fail('malformed', 'a line of an unknown kind');
    }
  }
  if (leaves.length > 0 && (!latest || latest.size !== leaves.length)) {
    fail('unsigned', 'entries after the last signed checkpoint');
  }
  if (kept) {
    const before = openCheckpoint(kept, key);
    if (!latest || before.size > latest.size) fail('rollback', 'the log is smaller than the kept one');
    const root = roots?.get(before.size) ?? rootOf(leaves.slice(0, before.size));
    if (!bytesEqual(root, before.root)) {
      fail('rollback', 'the log does not extend the kept checkpoint');
    }
  }
  return { entries: leaves.length, removed, latest };
}
