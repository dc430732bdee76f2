/**
 * Signed questionnaires (docs/accountability.md): a port of the Python package
 * questionnaires/ (canonical.py, document.py, statements.py, evidence.py). The same bytes,
 * hashes, signatures and reason codes; tests/vectors/questionnaire.json pins them for both.
 * No DOM, no network; signing is handed a `sign(label, bytes)` function (the messenger's
 * `signStatement`), so this module never holds a private key.
 */
import { b64url, unb64url, utf8 } from "./bytes.js";
import { ed25519Verify, sha256 } from "../crypto/primitives.js";

export const FORMAT = "steuntje-questionnaire-1";
export const ANSWERS_FORMAT = "steuntje-questionnaire-answers-1";
export const ONBOARDING_FORMAT = "steuntje-onboarding-1";
export const BUNDLE_FORMAT = "steuntje-questionnaire-evidence-1";
export const ANSWERS_LABEL = "steuntje/v1/sig/questionnaire-answers\0";
export const ONBOARDING_LABEL = "steuntje/v1/sig/onboarding\0";
export const VOUCH_TAG = "steuntje worker device v1";
const HASH_LABEL = "steuntje-questionnaire-v1\n";
const LANGUAGES = ["en", "nl"];
const MAX_DOCUMENT_BYTES = 32000;
const LIMITS = { title: 120, intro: 1000, text: 300, option: 80 };
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const REASONS = Object.freeze([
  "malformed",
  "questionnaire_changed",
  "answers_changed",
  "replay",
  "no_onboarding",
  "onboarding_invalid",
  "other_device",
  "answers_do_not_fit",
  "no_consent",
  "worker_not_vouched",
]);

export class QuestionnaireError extends Error {
  name = "QuestionnaireError";
}

// -- canonical JSON (canonical.py) ------------------------------------------------------------

export function canonical(value, depth = 0) {
  if (depth > 8) throw new QuestionnaireError("nested too deeply");
  if (typeof value === "string") return JSON.stringify(checkString(value));
  if (Number.isInteger(value)) {
    if (Math.abs(value) > MAX_SAFE) throw new QuestionnaireError("integer too large");
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item, depth + 1)).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    const members = keys.map((key) => {
      if (!/^[\x00-\x7f]*$/.test(key)) throw new QuestionnaireError("object keys are ASCII");
      return `${JSON.stringify(checkString(key))}:${canonical(value[key], depth + 1)}`;
    });
    return `{${members.join(",")}}`;
  }
  throw new QuestionnaireError("only objects, arrays, strings and integers");
}

function checkString(text) {
  // A control character other than a newline, or a lone surrogate (Python cannot encode it).
  if (/[\x00-\x09\x0b-\x1f]/.test(text) || !text.isWellFormed()) {
    throw new QuestionnaireError("a string holds a control character or a lone surrogate");
  }
  return text;
}

/** Read canonical JSON: anything but its one spelling is refused. */
export function parseCanonical(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new QuestionnaireError("not JSON");
  }
  if (canonical(value) !== text) throw new QuestionnaireError("not the canonical spelling");
  return value;
}

const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
const length = (text) => [...text].length; // code points, as Python's len()

// -- the document (document.py) ---------------------------------------------------------------

export function questionnaireHash(document) {
  validateDocument(document);
  return hex(sha256(utf8(HASH_LABEL + canonical(document))));
}

export function parseDocument(text) {
  if (typeof text !== "string" || text.length > MAX_DOCUMENT_BYTES) {
    throw new QuestionnaireError("questionnaire too large");
  }
  const document = parseCanonical(text);
  validateDocument(document);
  return document;
}

export function validateDocument(document) {
  keys(document, ["format", "id", "version", "title", "intro", "items"], "questionnaire");
  if (document.format !== FORMAT) throw new QuestionnaireError("questionnaire: unknown format");
  if (!matches(/^[a-z0-9][a-z0-9-]{0,63}$/, document.id) || !matches(/^[A-Za-z0-9.-]{1,20}$/, document.version)) {
    throw new QuestionnaireError("questionnaire: id or version has the wrong form");
  }
  texts(document.title, "title", LIMITS.title, true);
  texts(document.intro, "intro", LIMITS.intro, false);
  const items = document.items;
  if (!Array.isArray(items) || items.length < 1 || items.length > 40) {
    throw new QuestionnaireError("questionnaire: 1..40 items");
  }
  const seen = new Set();
  items.forEach((item, index) => {
    const where = `item ${index + 1}`;
    if (item?.answer === "choice") {
      keys(item, ["id", "answer", "text", "options"], where);
      if (!Array.isArray(item.options) || item.options.length < 2 || item.options.length > 7) {
        throw new QuestionnaireError(`${where}: 2..7 options`);
      }
      item.options.forEach((option, n) => texts(option, `${where} option ${n + 1}`, LIMITS.option, true));
    } else if (item?.answer === "text") {
      keys(item, ["id", "answer", "text", "max"], where);
      if (!Number.isInteger(item.max) || item.max < 1 || item.max > 1000) {
        throw new QuestionnaireError(`${where}: max is 1..1000`);
      }
    } else {
      throw new QuestionnaireError(`${where}: answer is 'choice' or 'text'`);
    }
    if (!matches(/^[a-z0-9][a-z0-9_]{0,31}$/, item.id)) throw new QuestionnaireError(`${where}: id has the wrong form`);
    texts(item.text, `${where} text`, LIMITS.text, true);
    if (seen.has(item.id)) throw new QuestionnaireError(`${where}: id used twice`);
    seen.add(item.id);
  });
  if (utf8(canonical(document)).length > MAX_DOCUMENT_BYTES) throw new QuestionnaireError("questionnaire too large");
}

function keys(value, expected, where) {
  const ok =
    value &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === expected.length &&
    expected.every((key) => Object.hasOwn(value, key));
  if (!ok) throw new QuestionnaireError(`${where}: expected exactly the keys ${expected.join(", ")}`);
}

function texts(value, where, limit, required) {
  keys(value, LANGUAGES, where);
  for (const language of LANGUAGES) {
    const text = value[language];
    if (typeof text !== "string" || length(text) > limit || (required && !text.trim())) {
      throw new QuestionnaireError(`${where} (${language}): 1..${limit} characters`);
    }
  }
}

const matches = (pattern, value) => typeof value === "string" && pattern.test(value);

/** The text of a document field in the reader's language ("nl" unless "en"). */
export const inLanguage = (texts, language) => (language === "en" ? texts.en : texts.nl);

// -- statements (statements.py) ---------------------------------------------------------------

const HASH = /^[0-9a-f]{64}$/;
const MESSAGE_ID = /^[A-Za-z0-9_-]{16,43}$/;
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;
const ACCOUNT_ID = /^acc_[A-Za-z0-9_-]{22}$/;
const ORG_ID = /^org_[A-Za-z0-9_-]{22}$/;

export function answersStatement(document, messageId, answers, device, share, signedAt) {
  const statement = {
    format: ANSWERS_FORMAT,
    questionnaire: questionnaireHash(document),
    message: messageId,
    answers,
    device,
    share,
    signed_at: signedAt,
  };
  checkAnswersStatement(statement);
  checkFits(statement, document);
  return statement;
}

export function checkAnswersStatement(statement) {
  keys(statement, ["format", "questionnaire", "message", "answers", "device", "share", "signed_at"], "statement");
  if (statement.format !== ANSWERS_FORMAT) throw new QuestionnaireError("unknown answers format");
  form(HASH, statement.questionnaire, "questionnaire hash");
  form(MESSAGE_ID, statement.message, "message id");
  form(DEVICE_ID, statement.device, "device id");
  if (!["funder", "worker"].includes(statement.share)) throw new QuestionnaireError("share is 'funder' or 'worker'");
  time(statement.signed_at);
  if (!Array.isArray(statement.answers)) throw new QuestionnaireError("answers is a list");
  for (const answer of statement.answers) {
    const good =
      answer &&
      typeof answer === "object" &&
      !Array.isArray(answer) &&
      Object.keys(answer).length === 2 &&
      typeof answer.item === "string" &&
      ((Object.hasOwn(answer, "choice") && Number.isInteger(answer.choice)) ||
        (Object.hasOwn(answer, "text") && typeof answer.text === "string"));
    if (!good) throw new QuestionnaireError("an answer is {item, choice} or {item, text}");
  }
}

export function checkFits(statement, document) {
  const items = document.items;
  const answers = statement.answers;
  if (answers.length !== items.length || answers.some((answer, i) => answer.item !== items[i].id)) {
    throw new QuestionnaireError("the answers do not follow the questionnaire's items");
  }
  items.forEach((item, i) => {
    const answer = answers[i];
    if (item.answer === "choice") {
      if (!(answer.choice >= 1 && answer.choice <= item.options.length)) {
        throw new QuestionnaireError(`answer to ${item.id} is not one of its options`);
      }
    } else if (typeof answer.text !== "string" || length(answer.text) > item.max) {
      throw new QuestionnaireError(`answer to ${item.id} is not a text within its limit`);
    }
  });
}

export function onboardingStatement(org, account, device, workerAccount, workerDevice, at) {
  const statement = {
    format: ONBOARDING_FORMAT,
    org,
    account,
    device,
    worker_account: workerAccount,
    worker_device: workerDevice,
    how: "safety_number",
    at,
  };
  checkOnboardingStatement(statement);
  return statement;
}

export function checkOnboardingStatement(statement) {
  keys(statement, ["format", "org", "account", "device", "worker_account", "worker_device", "how", "at"], "statement");
  if (statement.format !== ONBOARDING_FORMAT) throw new QuestionnaireError("unknown onboarding format");
  form(ORG_ID, statement.org, "organisation id");
  form(ACCOUNT_ID, statement.account, "account id");
  form(ACCOUNT_ID, statement.worker_account, "worker account id");
  form(DEVICE_ID, statement.device, "device id");
  form(DEVICE_ID, statement.worker_device, "worker device id");
  if (statement.how !== "safety_number") throw new QuestionnaireError("unknown onboarding method");
  time(statement.at);
}

function form(pattern, value, what) {
  if (!matches(pattern, value)) throw new QuestionnaireError(`${what} has the wrong form`);
}

function time(value) {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 40) throw new QuestionnaireError("a time is Unix seconds");
}

/** {statement, signature}: `sign(label, bytes)` signs with this device's identity key. */
export async function signStatement(sign, label, statement) {
  const text = canonical(statement);
  return { statement: text, signature: b64url(await sign(label, utf8(text))) };
}

export function openAnswers(signed) {
  const statement = parseSigned(signed);
  checkAnswersStatement(statement);
  return statement;
}

export function openOnboarding(signed) {
  const statement = parseSigned(signed);
  checkOnboardingStatement(statement);
  return statement;
}

function parseSigned(signed) {
  if (typeof signed?.statement !== "string" || typeof signed?.signature !== "string") {
    throw new QuestionnaireError("a statement is a string of canonical JSON");
  }
  return parseCanonical(signed.statement);
}

export function verifySigned(device, label, signed) {
  try {
    const signature = strictB64url(signed.signature);
    const key = strictB64url(device);
    return ed25519Verify(key, utf8(label + signed.statement), signature);
  } catch {
    return false;
  }
}

function strictB64url(text) {
  const bytes = unb64url(text);
  if (b64url(bytes) !== text) throw new QuestionnaireError("not the canonical base64url");
  return bytes;
}

// -- the organisation's vouch (evidence.py): a C2SP signed note by the organisation key ---------

export function parseVerifierKey(text) {
  // Two separators: base64 may hold a "+" itself (Python's split("+", 2)).
  const first = typeof text === "string" ? text.indexOf("+") : -1;
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  const parts = second < 0 ? [] : [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (parts.length !== 3 || !/^[0-9a-f]{8}$/.test(parts[1])) {
    throw new QuestionnaireError("verifier key: expected <name>+<8 hex digits>+<base64 key>");
  }
  const material = fromBase64(parts[2]);
  if (material.length !== 33 || material[0] !== 0x01) throw new QuestionnaireError("verifier key: not an Ed25519 key");
  const digest = sha256(concatBytes(utf8(`${parts[0]}\n`), material));
  if (hex(digest.slice(0, 4)) !== parts[1]) throw new QuestionnaireError("verifier key: the key ID does not match");
  return { name: parts[0], keyId: digest.slice(0, 4), publicKey: material.slice(1) };
}

/** (org|worker device) strings the organisation's key verifiably vouches for. */
export function vouchedDevices(notes, key) {
  const vouched = new Set();
  for (const note of Array.isArray(notes) ? notes : []) {
    if (typeof note !== "string") continue;
    const split = note.lastIndexOf("\n\n");
    if (split < 0) continue;
    const text = note.slice(0, split + 1);
    const lines = text.split("\n");
    if (lines.length !== 7 || lines[0] !== key.name || lines[1] !== VOUCH_TAG) continue;
    const signed = note
      .slice(split + 2)
      .split("\n")
      .filter(Boolean)
      .some((line) => signatureHolds(line, key, text));
    if (signed) vouched.add(`${lines[2]}|${lines[4]}`);
  }
  return vouched;
}

function signatureHolds(line, key, text) {
  const prefix = `\u2014 ${key.name} `;
  if (!line.startsWith(prefix)) return false;
  try {
    const blob = fromBase64(line.slice(prefix.length));
    if (blob.length !== 68 || hex(blob.slice(0, 4)) !== hex(key.keyId)) return false;
    return ed25519Verify(key.publicKey, utf8(text), blob.slice(4));
  } catch {
    return false;
  }
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  if (btoa(binary) !== text) throw new QuestionnaireError("not the canonical base64");
  return bytes;
}

function concatBytes(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// -- verifying a bundle (evidence.py verify_bundle) ---------------------------------------------

/** [{index, participant, reason (null = verified), answers}] — one verdict per entry. */
export function verifyBundle(bundle, orgKey) {
  const key = typeof orgKey === "string" ? parseVerifierKey(orgKey) : orgKey;
  if (!bundle || typeof bundle !== "object" || bundle.format !== BUNDLE_FORMAT) {
    throw new QuestionnaireError("not a questionnaire evidence bundle");
  }
  if (!Array.isArray(bundle.entries) || !Array.isArray(bundle.questionnaires)) {
    throw new QuestionnaireError("a bundle has lists of questionnaires and entries");
  }
  const byHash = new Map();
  for (const document of bundle.questionnaires) {
    try {
      byHash.set(questionnaireHash(document), document);
    } catch {
      // an edited document simply matches no signature
    }
  }
  const vouched = vouchedDevices(bundle.vouches, key);
  const seen = new Set();
  return bundle.entries.map((entry, index) => {
    const participant = typeof entry?.participant === "string" ? entry.participant : `#${index + 1}`;
    const { reason, statement, document } = checkEntry(entry, byHash, vouched, seen);
    return { index, participant, reason, statement, document };
  });
}

function checkEntry(entry, byHash, vouched, seen) {
  let statement;
  try {
    statement = openAnswers(entry?.answers);
  } catch {
    return { reason: "malformed" };
  }
  const document = byHash.get(statement.questionnaire);
  if (!document) return { reason: "questionnaire_changed" };
  if (!verifySigned(statement.device, ANSWERS_LABEL, entry.answers)) return { reason: "answers_changed" };
  if (statement.message !== entry.message || seen.has(statement.message)) return { reason: "replay" };
  seen.add(statement.message);
  if (!entry.onboarding || typeof entry.onboarding !== "object") return { reason: "no_onboarding" };
  let onboarding;
  try {
    onboarding = openOnboarding(entry.onboarding);
  } catch {
    return { reason: "onboarding_invalid" };
  }
  if (!verifySigned(onboarding.worker_device, ONBOARDING_LABEL, entry.onboarding)) return { reason: "onboarding_invalid" };
  if (onboarding.device !== statement.device) return { reason: "other_device" };
  try {
    checkFits(statement, document);
  } catch {
    return { reason: "answers_do_not_fit" };
  }
  if (statement.share !== "funder") return { reason: "no_consent" };
  if (!vouched.has(`${onboarding.org}|${onboarding.worker_device}`)) return { reason: "worker_not_vouched" };
  return { reason: null, statement, document };
}

/** The check tests/vectors/questionnaire.json pins (questionnaire_cases.py check_case). */
export function checkVectorCase(test) {
  const signed = { statement: test.statement, signature: test.signature };
  if (test.check === "onboarding") {
    let statement;
    try {
      statement = openOnboarding(signed);
    } catch {
      return "malformed";
    }
    return verifySigned(statement.worker_device, ONBOARDING_LABEL, signed) ? null : "onboarding_invalid";
  }
  let statement;
  try {
    statement = openAnswers(signed);
  } catch {
    return "malformed";
  }
  if (questionnaireHash(test.document) !== statement.questionnaire) return "questionnaire_changed";
  if (!verifySigned(statement.device, ANSWERS_LABEL, signed)) return "answers_changed";
  if (statement.message !== test.message) return "replay";
  try {
    checkFits(statement, test.document);
  } catch {
    return "answers_do_not_fit";
  }
  return null;
}


/** A worker's onboarding statements, one per device of `accountId` (messenger.markVerified). */
export async function onboardingStatements(me, workerDevice, accountId, devices, now, sign) {
  const signed = [];
  for (const device of devices) {
    const statement = onboardingStatement(me.org, accountId, device, me.accountId, workerDevice, now);
    signed.push(await signStatement(sign, ONBOARDING_LABEL, statement));
  }
  return signed;
}

/** `kept` statements for devices `fresh` does not cover, then `fresh`: a caregiver's old
 * phone keeps its statement, so answers it signed before a recovery stay exportable. */
export function mergeOnboarding(kept, fresh) {
  const devices = new Set(fresh.map((signed) => openOnboarding(signed).device));
  const still = kept.filter((signed) => {
    try {
      return !devices.has(openOnboarding(signed).device);
    } catch {
      return false;
    }
  });
  return [...still, ...fresh];
}
