// Strings live in i18n/<lang>.js; this module picks the language and fills in {names}.
// Dutch is the default; the choice is kept on this device only.

const LANGUAGES = ["nl", "en"];
const STORAGE_KEY = "steuntje.language";
let strings = {};
let current = "nl";

export function languages() {
  return LANGUAGES.slice();
}

export function language() {
  return current;
}

function saved() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(value) ? value : "nl";
  } catch {
    return "nl";
  }
}

// Parts loaded on top of the main table (i18n/<part>/<lang>.js): the screens only some
// people open (the peer-support groups), so everyone else does not download their strings.
const parts = new Set();

async function partStrings(part, code) {
  return (await import(`../i18n/${part}/${code}.js`)).default;
}

/** Load the saved (or given) language's strings and set <html lang>. */
export async function loadLanguage(lang = saved()) {
  const code = LANGUAGES.includes(lang) ? lang : "nl";
  const module = await import(`../i18n/${code}.js`);
  const extra = await Promise.all([...parts].map((part) => partStrings(part, code)));
  strings = Object.assign({}, module.default, ...extra);
  current = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Private mode without storage: the choice lasts until the page closes.
  }
  return code;
}

/** Add a part's strings (e.g. "groups") before showing a screen that needs them; kept
 * across a change of language. */
export async function loadPart(part) {
  if (parts.has(part)) return;
  const extra = await partStrings(part, current);
  strings = { ...strings, ...extra };
  parts.add(part);
}

/** Whether the current language has this string (template ids from newer apps may not). */
export function has(key) {
  return Object.hasOwn(strings, key);
}

// Role words that stand in for a name nobody gave ("Je ondersteuner") start with a capital,
// as a heading or at the start of a sentence; inside a sentence they take their inline form
// ("Berichten van je ondersteuner"). Real names are never changed.
const INLINE_FORMS = { your_worker: "your_worker_inline", unnamed_caregiver: "unnamed_caregiver_inline" };
const SENTENCE_START = /(^|[.!?:]\s*)$/;

function inlineForm(value, before) {
  if (SENTENCE_START.test(before)) return value;
  for (const [key, inline] of Object.entries(INLINE_FORMS)) {
    if (value === strings[key] && strings[inline] !== undefined) return strings[inline];
  }
  return value;
}

/** t("key", {name: "Ans"}) → the string in the current language with {name} filled in. */
export function t(key, params = {}) {
  const template = strings[key];
  if (template === undefined) {
    console.warn(`missing string: ${key}`);
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (_, name, offset) =>
    params[name] === undefined ? `{${name}}` : inlineForm(String(params[name]), template.slice(0, offset)),
  );
}

/** A number with the right plural: t("x_one") or t("x_other"). */
export function tn(key, count, params = {}) {
  return t(count === 1 ? `${key}_one` : `${key}_other`, { count, ...params });
}

/** "10:42", "gisteren 10:42", "3 mrt 10:42" in the current language. */
export function formatTime(unixSeconds, now = Date.now() / 1000) {
  const date = new Date(unixSeconds * 1000);
  const locale = current === "nl" ? "nl-NL" : "en-GB";
  const time = date.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  const today = new Date(now * 1000);
  const yesterday = new Date((now - 86400) * 1000);
  if (date.toDateString() === today.toDateString()) return time;
  if (date.toDateString() === yesterday.toDateString()) return `${t("yesterday")} ${time}`;
  const day = date.toLocaleDateString(locale, { day: "numeric", month: "short" });
  return `${day} ${time}`;
}

/** "vandaag", "gisteren", "3 dagen geleden" for the caseload. */
export function formatAgo(unixSeconds, now = Date.now() / 1000) {
  if (!unixSeconds) return t("never");
  const days = Math.floor((now - unixSeconds) / 86400);
  if (days <= 0) return t("today");
  if (days === 1) return t("yesterday");
  return tn("days_ago", days);
}
