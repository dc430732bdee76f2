// A check-in to one caregiver or a selection at once. Each one is its own message,
// encrypted separately for that caregiver's devices (the lib's send per conversation).

import { CHECKIN_SCALE } from "../content.js";
import { h, uid } from "../dom.js";
import { t, tn } from "../i18n.js";

export async function show(main, app, where) {
  const m = app.messenger;
  const chosen = new Set((where.to || "").split(",").filter(Boolean).map(decodeURIComponent));
  const conversations = (await m.conversations()).filter((item) => item.role === "caregiver");
  const result = h("div", { role: "status" });
  main.append(h("h1", {}, t("checkin_title")), h("p", {}, t("checkin_intro")));
  if (conversations.length === 0) {
    main.append(
      h("p", { class: "notice" }, t("caseload_empty")),
      h("a", { href: "#/", class: "button" }, t("back_caseload")),
    );
    return null;
  }
  const boxes = [];
  const people = h("fieldset", {}, h("legend", {}, t("checkin_who")));
  for (const conversation of conversations) {
    const id = uid("who");
    const checked = chosen.has(conversation.id);
    const box = h("input", { type: "checkbox", id, value: conversation.id, checked });
    boxes.push(box);
    people.append(h("label", { class: "check", for: id }, box, await app.nameOf(conversation)));
  }
  const questionId = uid("question");
  const question = h("input", {
    id: questionId,
    type: "text",
    maxlength: "300",
    value: t("checkin_default_question"),
  });
  const submit = h("button", { type: "submit", class: "primary big" }, t("checkin_send"));
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const targets = boxes.filter((box) => box.checked).map((box) => box.value);
        result.replaceChildren();
        if (targets.length === 0) {
          result.append(h("p", { class: "error" }, t("checkin_pick_someone")));
          boxes[0].focus();
          return;
        }
        submit.disabled = true;
        const text = question.value.trim() || t("checkin_default_question");
        for (const target of targets) {
          await m.send(target, "checkin", { question: text, scale: CHECKIN_SCALE });
        }
        submit.disabled = false;
        result.append(
          h("p", { class: "notice" }, tn("checkin_sent_to", targets.length)),
          h("a", { href: "#/", class: "button" }, t("back_caseload")),
        );
      },
    },
    people,
    h("div", { class: "field" }, h("label", { for: questionId }, t("checkin_question_label")), question),
    submit,
  );
  main.append(form, result);
  return null;
}
