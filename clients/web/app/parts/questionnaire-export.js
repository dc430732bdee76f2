// Signed answers on the worker's phone: checked, shown, and exported as evidence for the
// municipality (docs/accountability.md) — a JSON bundle a machine verifies and a readable
// page to print. Only answers the caregiver agreed to share, only for a device whose safety
// number the worker compared in person (the onboarding statement); names can be replaced by
// "Deelnemer 1". The page is DOM in a document of its own, serialised; never HTML from data.

import { h, uid } from "../dom.js";
import { formatTime, language, t } from "../i18n.js";
import {
  ANSWERS_LABEL,
  BUNDLE_FORMAT,
  checkFits,
  inLanguage,
  openAnswers,
  openOnboarding,
  parseDocument,
  questionnaireHash,
  verifySigned,
} from "../../lib/questionnaires.js";
import { shownAnswer } from "../screens/questionnaire.js";

/**
 * What a received `questionnaire_answer` record proves: {statement, document, good, share,
 * onboarding} — `good` when the device that sent it signed it, for a questionnaire this
 * conversation holds, in that exact version, and the answers fit.
 */
export async function examine(m, conversationId, record) {
  let statement;
  try {
    statement = openAnswers(record.fields);
  } catch {
    return null;
  }
  const sent = (await m.messages(conversationId)).find(
    (other) => other.id === statement.message && other.kind === "questionnaire" && other.outgoing,
  );
  let document = null;
  try {
    document = sent ? parseDocument(sent.fields.doc) : null;
  } catch {
    document = null;
  }
  let good = Boolean(document) && questionnaireHash(document) === statement.questionnaire;
  good = good && statement.device === record.fromDevice && verifySigned(statement.device, ANSWERS_LABEL, record.fields);
  try {
    if (good) checkFits(statement, document);
  } catch {
    good = false;
  }
  const onboarding = (await m.onboardingOf(conversationId)).find((signed) => {
    try {
      return openOnboarding(signed).device === statement.device;
    } catch {
      return false;
    }
  });
  return { statement, document, good, share: statement.share === "funder", onboarding: onboarding ?? null };
}

/** The worker's screen for one signed answer (screens/questionnaire.js hands it over). */
export async function showAnswers(main, app, conversation, record, back) {
  const m = app.messenger;
  const name = await app.nameOf(conversation);
  const found = await examine(m, conversation.id, record);
  main.append(h("h1", {}, t("q_view_title")));
  if (!found?.document) {
    main.append(h("p", { class: "error" }, t("q_view_bad")), back);
    return null;
  }
  const { statement, document, good, share, onboarding } = found;
  const lang = language();
  main.append(
    h("h2", {}, inLanguage(document.title, lang)),
    h("p", {}, t("q_view_from", { name, time: formatTime(statement.signed_at) })),
    h("p", { class: good ? "notice" : "error" }, good ? t("q_view_ok", { name }) : t("q_view_bad")),
    answersTable(document, statement, lang),
  );
  const evidence = h("section", { "aria-labelledby": uid("export") });
  evidence.append(h("h2", { id: evidence.getAttribute("aria-labelledby") }, t("q_export_title")));
  main.append(evidence);
  if (!good) {
    main.append(back);
    return null;
  }
  if (!share) {
    evidence.append(h("p", {}, t("q_view_consent_no", { name })));
  } else if (!onboarding) {
    evidence.append(
      h("p", {}, t("q_view_no_onboarding", { name })),
      h("a", { class: "button", href: `#/safety/${encodeURIComponent(conversation.id)}` }, t("q_view_compare")),
    );
  } else {
    evidence.append(h("p", {}, t("q_view_consent_yes", { name })), ...exportControls(app, [{ ...found, record, name }]));
  }
  main.append(h("p", {}, h("a", { href: "#/evidence" }, t("q_export_period"))), back);
  return { destroy: () => revoke(evidence) };
}

/**
 * The pseudonym box and the two downloads for `found` ([{statement, document, record,
 * onboarding, name}]); the links are remade when the box changes.
 */
export function exportControls(app, found, { pseudonyms = true } = {}) {
  const boxId = uid("pseudonym");
  const box = h("input", { type: "checkbox", id: boxId, checked: pseudonyms });
  const links = h("div", { class: "quick-actions" });
  const draw = () => {
    revoke(links);
    const bundle = makeBundle(found, box.checked);
    const stamp = new Date().toISOString().slice(0, 10);
    links.replaceChildren(
      download(pageOf(bundle), "text/html", `vragenlijsten-${stamp}.html`, t("q_export_html")),
      download(`${JSON.stringify(bundle, null, 1)}\n`, "application/json", `vragenlijsten-${stamp}.json`, t("q_export_json")),
    );
  };
  box.addEventListener("change", draw);
  draw();
  return [h("label", { class: "check", for: boxId }, box, t("q_export_pseudonym")), links];
}

/** The bundle (questionnaires/evidence.py's format); entries in the order given. */
export function makeBundle(found, pseudonyms) {
  const documents = new Map();
  const numbers = new Map();
  const entries = found.map((item) => {
    documents.set(item.statement.questionnaire, item.document);
    if (!numbers.has(item.record.conversationId)) numbers.set(item.record.conversationId, numbers.size + 1);
    return {
      participant: pseudonyms ? t("q_participant", { number: numbers.get(item.record.conversationId) }) : item.name,
      message: item.statement.message,
      answers: { statement: item.record.fields.statement, signature: item.record.fields.signature },
      onboarding: item.onboarding,
    };
  });
  return {
    format: BUNDLE_FORMAT,
    made_at: Math.floor(Date.now() / 1000),
    questionnaires: [...documents.values()],
    entries,
    vouches: [],
  };
}

function answersTable(document, statement, lang) {
  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("q_question")), h("th", { scope: "col" }, t("q_answer")))),
  );
  const body = h("tbody", {});
  document.items.forEach((item, index) => {
    const answer = statement.answers[index];
    body.append(
      h("tr", {}, h("td", {}, inLanguage(item.text, lang)), h("td", {}, shownAnswer(item, answer.choice ?? answer.text, lang))),
    );
  });
  table.append(body);
  return h("div", { class: "wide", tabindex: "0", role: "region", "aria-label": t("q_answer") }, table);
}

const PAGE_STYLE =
  "body{font-family:system-ui,sans-serif;font-size:1.125rem;line-height:1.5;max-width:48rem;" +
  "margin:2rem auto;padding:0 1rem;color:#1a1a1a}table{border-collapse:collapse;margin-bottom:1rem}" +
  "td,th{border:1px solid #767676;padding:.25rem .5rem;text-align:left;vertical-align:top}" +
  "section{break-inside:avoid;margin-bottom:2rem}";

/** A readable, printable page of the bundle, in the app's language. */
export function pageOf(bundle) {
  const lang = language();
  const page = document.implementation.createHTMLDocument(t("q_page_title"));
  page.documentElement.lang = lang;
  const add = (parent, tag, text, attributes = {}) => {
    const node = page.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    parent.append(node);
    return node;
  };
  add(page.head, "meta", null, { charset: "utf-8" });
  const main = add(page.body, "main");
  add(main, "h1", t("q_page_title"));
  add(main, "p", t("q_page_intro"));
  const documents = new Map(bundle.questionnaires.map((doc) => [questionnaireHash(doc), doc]));
  for (const entry of bundle.entries) {
    const statement = openAnswers(entry.answers);
    const doc = documents.get(statement.questionnaire);
    const section = add(main, "section");
    add(section, "h2", `${entry.participant} · ${inLanguage(doc.title, lang)}`);
    add(section, "p", t("q_page_signed", { time: formatTime(statement.signed_at), key: statement.device.slice(0, 8) }));
    const table = add(section, "table");
    const head = add(add(table, "thead"), "tr");
    add(head, "th", t("q_question"), { scope: "col" });
    add(head, "th", t("q_answer"), { scope: "col" });
    const body = add(table, "tbody");
    doc.items.forEach((item, index) => {
      const answer = statement.answers[index];
      const row = add(body, "tr");
      add(row, "td", inLanguage(item.text, lang));
      add(row, "td", shownAnswer(item, answer.choice ?? answer.text, lang));
    });
  }
  // The serializer, not an HTML sink: the document holds only text nodes we made. The style
  // goes in as text: a <style> element made here would fall under the app's CSP
  // (style-src 'self'), which refuses it. PAGE_STYLE is a constant, never data.
  const text = new XMLSerializer().serializeToString(page);
  return text.replace("</head>", `<style>${PAGE_STYLE}</style></head>`);
}

function download(text, type, filename, label) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  return h("a", { class: "button", href: url, download: filename, dataset: { url } }, label);
}

function revoke(node) {
  for (const link of node.querySelectorAll("a[data-url]")) URL.revokeObjectURL(link.dataset.url);
}
