// #/questionnaire/<conversation>/<message>: a questionnaire to fill in (caregiver), or signed
// answers to look at and export as evidence (worker, parts/questionnaire-export.js).
//
// Filling in: the introduction, then one question per screen with large answer buttons and
// "Terug", then a summary with "Wijzig" per answer, the consent box and one button that
// signs: "Ik heb dit zelf ingevuld en onderteken het". The device's identity key signs the
// answers, the questionnaire's exact version (hash), this message's id and the time
// (lib/questionnaires.js); the signed answers travel end to end like any message.

import { h, uid } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import {
  ANSWERS_LABEL,
  answersStatement,
  inLanguage,
  parseDocument,
  signStatement,
} from "../../lib/questionnaires.js";

export async function show(main, app, where) {
  await loadPart("questionnaire");
  const m = app.messenger;
  const record = (await m.messages(where.id)).find((message) => message.id === where.message);
  const conversation = (await m.conversations()).find((item) => item.id === where.id);
  const back = h("a", { href: `#/chat/${encodeURIComponent(where.id)}`, class: "button" }, t("q_back_chat"));
  if (record?.kind === "questionnaire_answer" && !record.outgoing && conversation) {
    const { showAnswers } = await import("../parts/questionnaire-export.js");
    return showAnswers(main, app, conversation, record, back);
  }
  let document = null;
  try {
    if (record?.kind === "questionnaire" && !record.outgoing) document = parseDocument(record.fields.doc);
  } catch {
    document = null;
  }
  if (!document || app.me.role !== "caregiver") {
    main.append(h("h1", {}, t("q_card_bad")), h("p", {}, t("q_not_found")), back);
    return null;
  }
  return fillIn(main, app, where.id, record.id, document, back);
}

function fillIn(main, app, conversationId, messageId, document, back) {
  const lang = language();
  const items = document.items;
  const answers = items.map((item) => (item.answer === "choice" ? null : ""));
  const screen = h("div", {});
  main.append(screen);
  let step = -1; // -1 the introduction, 0..n-1 a question, n the summary
  let editing = false; // a "Wijzig" from the summary: after the answer, back to the summary
  draw();
  return null;

  function draw() {
    screen.replaceChildren(...(step < 0 ? intro() : step < items.length ? question(step) : summary()));
    screen.querySelector("h1")?.focus({ preventScroll: true });
    window.scrollTo({ top: 0, behavior: "instant" });
  }

  function go(next) {
    step = next;
    draw();
  }

  function heading(text) {
    return h("h1", { tabindex: "-1" }, text);
  }

  function intro() {
    return [
      heading(inLanguage(document.title, lang)),
      inLanguage(document.intro, lang) ? h("p", {}, inLanguage(document.intro, lang)) : null,
      h("button", { type: "button", class: "primary big", onclick: () => go(0) }, t("q_start")),
    ];
  }

  function question(index) {
    const item = items[index];
    const progress = h("p", { class: "hint" }, t("q_progress", { number: index + 1, total: items.length }));
    const backButton = h("button", { type: "button", onclick: () => go(index - 1) }, t("q_back"));
    if (item.answer === "choice") {
      const title = heading(inLanguage(item.text, lang));
      title.id = uid("question");
      const options = item.options.map((option, optionIndex) =>
        h(
          "button",
          {
            type: "button",
            class: ["big", "answer", answers[index] === optionIndex + 1 && "chosen"],
            "aria-pressed": answers[index] === optionIndex + 1 ? "true" : "false",
            onclick: () => {
              answers[index] = optionIndex + 1;
              go(editing ? items.length : index + 1);
            },
          },
          inLanguage(option, lang),
        ),
      );
      return [
        progress,
        title,
        h("div", { class: "answers", role: "group", "aria-labelledby": title.id }, options),
        backButton,
      ];
    }
    const fieldId = uid("answer");
    const area = h("textarea", { id: fieldId, maxlength: String(item.max), rows: "4" });
    area.value = answers[index];
    return [
      progress,
      heading(inLanguage(item.text, lang)),
      h("div", { class: "field" }, h("label", { for: fieldId }, t("q_text_label")), area),
      h(
        "button",
        {
          type: "button",
          class: "primary big",
          onclick: () => {
            answers[index] = [...area.value].slice(0, item.max).join("");
            go(editing ? items.length : index + 1);
          },
        },
        t("q_next"),
      ),
      backButton,
    ];
  }

  function summary() {
    editing = false;
    const missing = answers.findIndex((answer) => answer === null);
    if (missing >= 0) {
      step = missing; // a question skipped with "Terug" and never answered
      return question(missing);
    }
    const list = h("dl", { class: "questionnaire-summary" });
    items.forEach((item, index) => {
      const question = inLanguage(item.text, lang);
      list.append(
        h("dt", {}, question),
        h(
          "dd",
          {},
          h("span", {}, shownAnswer(item, answers[index], lang)),
          " ",
          h(
            "button",
            {
              type: "button",
              "aria-label": t("q_change_label", { question }),
              onclick: () => {
                editing = true;
                go(index);
              },
            },
            t("q_change"),
          ),
        ),
      );
    });
    const consentId = uid("consent");
    const consent = h("input", { type: "checkbox", id: consentId, "aria-describedby": `${consentId}-hint` });
    const status = h("p", { role: "status" });
    const sign = h(
      "button",
      {
        type: "button",
        class: "primary big",
        onclick: async () => {
          sign.disabled = true;
          status.textContent = t("q_signing");
          await signAndSend(consent.checked);
          screen.replaceChildren(
            heading(t("q_signed_title")),
            h("p", { class: "notice" }, t("q_signed_body")),
            back,
          );
          screen.querySelector("h1").focus();
        },
      },
      t("q_sign"),
    );
    return [
      heading(t("q_summary_title")),
      h("p", {}, t("q_summary_intro")),
      list,
      h(
        "div",
        { class: "field" },
        h("label", { class: "check", for: consentId }, consent, t("q_consent")),
        h("p", { class: "hint", id: `${consentId}-hint` }, t("q_consent_hint")),
      ),
      sign,
      status,
      h("button", { type: "button", onclick: () => go(items.length - 1) }, t("q_back")),
    ];
  }

  async function signAndSend(shareWithFunder) {
    const m = app.messenger;
    const given = items.map((item, index) =>
      item.answer === "choice" ? { item: item.id, choice: answers[index] } : { item: item.id, text: answers[index] },
    );
    const now = Math.floor(Date.now() / 1000);
    const statement = answersStatement(document, messageId, given, m.deviceId, shareWithFunder ? "funder" : "worker", now);
    const signed = await signStatement((label, bytes) => m.signStatement(label, bytes), ANSWERS_LABEL, statement);
    await m.send(conversationId, "questionnaire_answer", signed);
  }
}

/** An answer as words: the chosen option's text, or what was typed ("(leeg)" for nothing). */
export function shownAnswer(item, answer, lang) {
  if (item.answer === "choice") return inLanguage(item.options[answer - 1], lang);
  return answer || t("q_empty_answer");
}
