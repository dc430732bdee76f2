// A closed case explains itself (issue 19 item 9): "Dit dossier is gesloten op 7 december
// 2026 door Anja (mantelzorgondersteuner)" above the conversation, instead of a message that
// only says "niet verstuurd". The relay's case list says when and by whom (a staff role and
// the name the admin gave them; PROTOCOL.md §4.3); it follows `conversation` events, so a
// case closed or reopened while the chat is open shows at once.

import { h } from "../dom.js";
import { language, t } from "../i18n.js";

/** The date a case was closed, in words: "7 december 2026". */
export function closedDate(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleDateString(language() === "nl" ? "nl-NL" : "en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "Europe/Amsterdam",
  });
}

/** The closed case this conversation runs through, or null while one of them is open. */
export function closedCaseWith(cases, conversationId) {
  const shared = cases.filter((item) => item.members.some((m) => m.account === conversationId));
  if (shared.length === 0 || shared.some((item) => !item.closed_at)) return null;
  return shared.reduce((latest, item) => (item.closed_at > latest.closed_at ? item : latest));
}

/** "door Anja (mantelzorgondersteuner)", "door een beheerder", or "" when unknown. */
function closer(item) {
  const role = item.closed_by_role ? t(`role_${item.closed_by_role}`).toLowerCase() : null;
  if (item.closed_by_name && role) return t("case_closed_by_named", { name: item.closed_by_name, role });
  if (role) return t("case_closed_by_role", { role });
  return "";
}

/** The sentence for one closed case. */
export function closedText(item) {
  return t("case_closed_note", { date: closedDate(item.closed_at), by: closer(item) }).replace(/\s+\./, ".");
}

/** A status line that says so while the conversation's case is closed. */
export function closedNote(m, conversationId) {
  const node = h("p", { class: "notice case-closed", role: "status", hidden: true });
  async function draw() {
    const item = closedCaseWith(await m.cases(), conversationId);
    node.hidden = !item;
    node.textContent = item ? closedText(item) : "";
  }
  draw();
  const off = m.on("conversation", () => {
    if (!node.isConnected) return off(); // the screen is gone
    return draw();
  });
  return node;
}
