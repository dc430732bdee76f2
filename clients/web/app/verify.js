// The offline verify page (/app/verify.html, issue 19 item 3): an officer drops or picks an
// audit log bundle (the JSON Lines from 'Download logboek') and the browser checks it with
// the log key this device pinned when the officer joined, or a key typed in. Nothing is sent
// anywhere; the service worker keeps this page so it works with the network off.

import { parseVerifierKey, keyFingerprint, verifyBundle } from "../crypto/audit-proof.js";
import { fill, h } from "./dom.js";
import { loadLanguage, loadPart, t } from "./i18n.js";
import { failedBadge, okBadge } from "./parts/audit-badge.js";

const STORE = "steuntje"; // the app's IndexedDB (lib/store.js)

/** The app's pinned trust {key, kept}, if this device has one in the clear; never creates
 * the database (opening a name that does not exist would make an empty one). */
async function pinnedTrust() {
  try {
    const names = await indexedDB.databases();
    if (!names.some((db) => db.name === STORE)) return null;
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains("meta")) return null;
      const value = await new Promise((resolve, reject) => {
        const request = db.transaction("meta").objectStore("meta").get("auditTrust");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      // Sealed under a PIN ({box}): the key is then typed in here instead.
      return typeof value?.key === "string" ? value : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

function check(text, keyText, trust) {
  const key = parseVerifierKey(keyText);
  const report = verifyBundle(text, key);
  // The device's kept checkpoint: a bundle at least that large must extend it (an older
  // export, made before the device saw more, is judged on its own).
  const kept = trust?.kept && trust.key === key.text ? trust.kept : null;
  if (kept && report.latest && kept.size <= report.latest.size) verifyBundle(text, key, kept.note);
  return { key, report };
}

async function start() {
  await loadLanguage();
  await loadPart("audit-proof");
  document.title = `Steuntje – ${t("verify_title")}`;
  const trust = await pinnedTrust();
  const main = document.getElementById("main");
  const key = h("textarea", {
    id: "verify-key",
    rows: "2",
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": "verify-key-hint",
  });
  key.value = trust?.key ?? "";
  const file = h("input", {
    id: "verify-file",
    type: "file",
    accept: ".jsonl,application/jsonl,application/x-ndjson,text/plain",
  });
  const result = h("div", { "aria-live": "polite" });
  let dropped = null; // a file dropped on the card, used instead of the picker's

  async function run() {
    const chosen = dropped ?? file.files?.[0];
    if (!chosen) {
      fill(result, h("p", { class: "error", role: "alert" }, t("verify_no_file")));
      return;
    }
    try {
      parseVerifierKey(key.value);
    } catch {
      key.setAttribute("aria-invalid", "true");
      fill(result, h("p", { class: "error", role: "alert" }, t("verify_bad_key")));
      key.focus();
      return;
    }
    key.removeAttribute("aria-invalid");
    const text = await chosen.text();
    try {
      const { key: parsed, report } = check(text, key.value, trust);
      const count = t("verify_ok_count", { count: report.entries, removed: report.removed });
      fill(result, okBadge((report.latest?.size ?? 0) - 1, keyFingerprint(parsed), count));
    } catch (error) {
      fill(result, failedBadge(error));
    }
  }

  const card = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "verify-form-title",
      onsubmit: (event) => {
        event.preventDefault();
        run();
      },
      ondragover: (event) => event.preventDefault(),
      ondrop: (event) => {
        event.preventDefault();
        dropped = event.dataTransfer?.files?.[0] ?? null;
        if (dropped) run();
      },
    },
    h("h2", { id: "verify-form-title" }, t("verify_form_title")),
    h("label", { for: "verify-key" }, t("verify_key_label")),
    h("p", { class: "hint", id: "verify-key-hint" }, t("verify_key_hint")),
    key,
    h("label", { for: "verify-file" }, t("verify_file_label")),
    file,
    h("p", { class: "hint" }, t("verify_drop_hint")),
    h("button", { type: "submit", class: "primary" }, t("verify_button")),
  );
  file.addEventListener("change", () => {
    dropped = null;
  });
  fill(
    main,
    h("h1", {}, t("verify_title")),
    h("p", {}, t("verify_intro")),
    card,
    result,
    h("p", {}, h("a", { href: "/" }, t("verify_back"))),
  );
  keepOffline();
}

/** Register the app's service worker and hand it this page's files, so they are there
 * when the network is not (sw.js caches /app/ files cache-first). */
function keepOffline() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const urls = performance
        .getEntriesByType("resource")
        .map((entry) => entry.name)
        .filter((name) => name.startsWith(`${location.origin}/app/`));
      registration.active?.postMessage({ type: "cache", urls: [location.pathname, ...urls] });
    })
    .catch(() => {
      // No worker (a private window): the page still works while it is open.
    });
}

start();
