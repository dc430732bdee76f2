// #/evidence: a worker's evidence for a period — every signed questionnaire received in it
// that the caregiver agreed to share and whose device the worker compared in person, in one
// bundle, names replaced by "Deelnemer 1", "Deelnemer 2", … (parts/questionnaire-export.js).

import { h, uid } from "../dom.js";
import { loadPart, t, tn } from "../i18n.js";
import { examine, exportControls } from "../parts/questionnaire-export.js";

export async function show(main, app) {
  await loadPart("questionnaire");
  // Dates in the phone's own time zone, as the fields are read back (Date.parse, local).
  const now = new Date();
  const pad = (number) => String(number).padStart(2, "0");
  const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const monthStart = `${today.slice(0, 8)}01`;
  const from = dateField(t("q_period_from"), monthStart);
  const to = dateField(t("q_period_to"), today);
  const result = h("div", { role: "status" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const start = Date.parse(`${from.input.value}T00:00:00`) / 1000;
        const end = Date.parse(`${to.input.value}T23:59:59`) / 1000;
        const found = await collect(app, start, end);
        result.replaceChildren(
          h("p", {}, tn("q_period_count", found.length)),
          ...(found.length ? exportControls(app, found) : []),
        );
      },
    },
    from.field,
    to.field,
    h("button", { type: "submit", class: "primary" }, t("q_period_make")),
  );
  main.append(h("h1", {}, t("q_period_title")), h("p", {}, t("q_period_intro")), form, result);
  return null;
}

function dateField(label, value) {
  const id = uid("date");
  const input = h("input", { id, type: "date", value, required: true });
  return { field: h("div", { class: "field" }, h("label", { for: id }, label), input), input };
}

/** Signed answers received between `start` and `end` (Unix s) that may be exported. */
async function collect(app, start, end) {
  const m = app.messenger;
  const found = [];
  for (const conversation of await m.conversations()) {
    if (conversation.role !== "caregiver") continue;
    const name = await app.nameOf(conversation);
    for (const record of await m.messages(conversation.id)) {
      if (record.kind !== "questionnaire_answer" || record.outgoing) continue;
      const item = await examine(m, conversation.id, record);
      const when = item?.statement.signed_at ?? -1;
      if (item?.good && item.share && item.onboarding && when >= start && when <= end) {
        found.push({ ...item, record, name });
      }
    }
  }
  return found;
}
