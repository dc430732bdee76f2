// "Steuntje is leeg op deze telefoon" (issue 20): a phone with no keys opened an invite link
// that was used already, most likely the caregiver's own from before their phone lost its
// storage (a new phone, a reset, cleared browsing data). Never a cryptic error: one thing to
// do, and plainly what does not come back. Loaded only when this happens.

import { h } from "../dom.js";
import { loadPart, t } from "../i18n.js";

/** The explanation as a card, with its strings loaded first. */
export async function emptyCard() {
  await loadPart("recovery");
  return h(
    "section",
    { class: "card", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title" }, t("empty_title")),
    h("p", {}, h("strong", {}, t("empty_ask"))),
    h("p", {}, t("empty_why")),
  );
}
