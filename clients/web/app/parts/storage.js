// Whether this phone's browser keeps Steuntje's storage (issue 20). The keys exist only here:
// a browser may clear a site's storage when the phone runs low on space, and Safari on an
// iPhone does after 7 days without a visit unless the app is on the home screen. The
// messenger asked for persistent storage when it opened (lib/messenger.js); this says
// plainly when the browser did not grant it, and what helps.

import { h } from "../dom.js";
import { loadPart, t } from "../i18n.js";

const IPHONE = /iPhone|iPad|iPod/;

/** A card for Settings, or null when the browser promised to keep the storage. */
export async function storageSection() {
  const storage = globalThis.navigator?.storage;
  let kept = false;
  try {
    kept = Boolean(await storage?.persisted?.()) || Boolean(await storage?.persist?.());
  } catch {
    kept = false; // no answer counts as no promise
  }
  if (kept) return null;
  await loadPart("recovery");
  const iphone = IPHONE.test(globalThis.navigator?.userAgent ?? "");
  return h(
    "section",
    { class: "card", "aria-labelledby": "storage-heading" },
    h("h2", { id: "storage-heading" }, t("storage_title")),
    h("p", {}, t("storage_not_kept")),
    h("p", {}, t(iphone ? "storage_iphone" : "storage_home_screen")),
    h("p", {}, t("storage_if_lost")),
  );
}
