// The worker's questionnaire panel in a conversation: one button per questionnaire ("Stuur
// …", the second tap after "Vragenlijst"), and a way to add the organisation's own as a JSON
// file. Own questionnaires are kept in this device's settings, never on the relay.

import { h, uid } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import { canonical, inLanguage, parseCanonical, questionnaireHash, validateDocument } from "../../lib/questionnaires.js";
import { available } from "./questionnaire-examples.js";

/** Fill `panel`; `onSend(doc)` gets the document as canonical JSON. `name` is the one
 * caregiver it goes to, or null for a selection (screens/questionnaire-send.js). */
export async function fillSendPanel(panel, app, name, onSend) {
  await loadPart("questionnaire");
  const list = h("div", { class: "questionnaire-list" });
  const status = h("p", { role: "status" });
  const draw = () => {
    list.replaceChildren(
      ...available(app.messenger).map((document) =>
        h(
          "button",
          { type: "button", class: "primary", onclick: () => onSend(canonical(document)) },
          t("q_send_button", { title: inLanguage(document.title, language()) }),
        ),
      ),
    );
  };
  draw();
  const fileId = uid("own-questionnaire");
  const file = h("input", {
    id: fileId,
    type: "file",
    accept: "application/json,.json",
    onchange: async () => {
      const chosen = file.files?.[0];
      if (!chosen) return;
      status.textContent = await addOwn(app.messenger, await chosen.text());
      file.value = "";
      draw();
    },
  });
  panel.append(
    h("h2", {}, t("q_send_title")),
    name ? h("p", { class: "hint" }, t("q_send_hint", { name })) : null,
    list,
    h("div", { class: "field" }, h("label", { for: fileId }, t("q_add_own")), file),
    status,
  );
}

/** Keep an organisation's own questionnaire on this device; the words say how it went. */
async function addOwn(messenger, text) {
  let document;
  try {
    const parsed = JSON.parse(text);
    validateDocument(parsed);
    document = parseCanonical(canonical(parsed)); // keys in canonical order, as it is sent
  } catch (error) {
    return t("q_add_own_bad", { reason: error instanceof SyntaxError ? "JSON" : error.message });
  }
  const own = messenger.settings().questionnaires;
  const kept = (Array.isArray(own) ? own : []).filter(
    (other) => questionnaireHash(other) !== questionnaireHash(document),
  );
  await messenger.setSetting("questionnaires", [...kept, document]);
  return t("q_add_own_done", { title: inLanguage(document.title, language()) });
}
