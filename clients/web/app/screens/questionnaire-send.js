// #/questionnaires/<ids>: one questionnaire to a selection of caregivers at once (from the
// caseload: tick people, "📋 Vragenlijst aan 2 gekozen", then the questionnaire). Each copy
// is its own message, encrypted for that caregiver's devices, as a check-in to a selection.

import { h, uid } from "../dom.js";
import { loadPart, t, tn } from "../i18n.js";
import { fillSendPanel } from "../parts/questionnaire-send.js";

export async function show(main, app, where) {
  await loadPart("questionnaire");
  const m = app.messenger;
  const chosen = new Set((where.to || "").split(",").filter(Boolean).map(decodeURIComponent));
  const conversations = (await m.conversations()).filter((item) => item.role === "caregiver");
  const result = h("div", { role: "status" });
  main.append(h("h1", {}, t("q_send_title")));
  if (conversations.length === 0) {
    main.append(h("p", { class: "notice" }, t("caseload_empty")), h("a", { href: "#/", class: "button" }, t("back_caseload")));
    return null;
  }
  const boxes = [];
  const people = h("fieldset", {}, h("legend", {}, t("q_send_who")));
  for (const conversation of conversations) {
    const id = uid("who");
    const box = h("input", { type: "checkbox", id, value: conversation.id, checked: chosen.has(conversation.id) });
    boxes.push(box);
    people.append(h("label", { class: "check", for: id }, box, await app.nameOf(conversation)));
  }
  const panel = h("div", { class: "card" });
  await fillSendPanel(panel, app, null, async (doc) => {
    const targets = boxes.filter((box) => box.checked).map((box) => box.value);
    result.replaceChildren();
    if (targets.length === 0) {
      result.append(h("p", { class: "error" }, t("q_send_pick_someone")));
      boxes[0].focus();
      return;
    }
    for (const target of targets) await m.send(target, "questionnaire", { doc });
    result.append(
      h("p", { class: "notice" }, tn("q_sent_to", targets.length)),
      h("a", { href: "#/", class: "button" }, t("back_caseload")),
    );
  });
  main.append(people, panel, result);
  return null;
}
