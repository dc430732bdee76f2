// A questionnaire, or signed answers to one, as it shows in a conversation (parts/messages.js
// draws a placeholder with the one-line summary and hands it here; this module and its words
// load only when a conversation holds one). Everything from a message goes in as text.

import { h } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import { inLanguage, openAnswers, parseDocument } from "../../lib/questionnaires.js";

/** Fill `slot` for `message`; `messages` maps ids to the conversation's other messages. */
export async function fill(slot, message, { conversationId, messages, otherName }) {
  await loadPart("questionnaire");
  slot.replaceChildren(...content(message, conversationId, messages, otherName));
}

function content(message, conversationId, messages, otherName) {
  const route = `#/questionnaire/${encodeURIComponent(conversationId)}/${encodeURIComponent(message.id)}`;
  if (message.kind === "questionnaire") {
    const document = documentOf(message);
    if (!document) return [h("p", { class: "body" }, t("q_card_bad"))];
    const title = inLanguage(document.title, language());
    if (message.outgoing) return [h("p", { class: "body" }, t("q_card_sent", { title }))];
    const done = [...messages.values()].some((other) => answers(other, message.id));
    return [
      h("p", { class: "body" }, t("q_card_received", { title })),
      done
        ? h("p", { class: "notice" }, t("q_card_done"))
        : h("a", { class: "button primary big", href: route }, t("q_card_fill")),
    ];
  }
  if (message.outgoing) return [h("p", { class: "body" }, t("q_card_answer_out"))];
  return [
    h("p", { class: "body" }, t("q_card_answer_in", { name: otherName })),
    h("a", { class: "button", href: route }, t("q_card_answer_open")),
  ];
}

/** Whether `record` is one's own signed answer to the questionnaire message `id`. */
function answers(record, id) {
  if (record.kind !== "questionnaire_answer" || !record.outgoing) return false;
  try {
    return openAnswers(record.fields).message === id;
  } catch {
    return false;
  }
}

function documentOf(message) {
  try {
    return parseDocument(message.fields.doc);
  } catch {
    return null;
  }
}
