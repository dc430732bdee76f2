// Privacy officer and admin: the retention table for the record of processing activities
// (GDPR Art. 30), for the policy in force — the rows `steuntje retention report` prints,
// from policy_get — and a page to download for the register. Where the figures come from
// is said: the organisation's own policy (its version) or Steuntje's defaults. The rows come
// in the app's language (policy_get `lang`: the relay words them, one source for the figures).

import { h } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import { downloadLink, failureNote, stamp, table } from "../parts/desk.js";

const COLUMNS = [
  "data",
  "kept_for",
  "why",
  "legal_basis",
  "deleted_by",
  "worst_case_delay",
  "status",
];

export async function show(main, app) {
  await loadPart("officer-desk");
  main.append(h("h1", {}, t("art30_title")));
  let reply;
  try {
    reply = await app.messenger.request("policy_get", { lang: language() === "en" ? "en" : "nl" });
  } catch (failure) {
    main.append(failureNote(failure));
    return null;
  }
  const urls = [];
  const source = reply.version
    ? t("art30_source_policy", { version: reply.version })
    : t("art30_source_defaults");
  const headers = COLUMNS.map((column) => t(`art30_col_${column}`));
  main.append(
    h("p", {}, t("art30_intro")),
    h("p", { class: "notice", role: "status" }, source),
    h(
      "div",
      { class: "row" },
      downloadLink(
        registerPage(reply.report, headers, source),
        "text/html;charset=utf-8",
        `steuntje-verwerkingsregister-${stamp()}.html`,
        t("art30_download"),
        urls,
      ),
    ),
    table(
      t("art30_caption"),
      headers,
      reply.report.map((row) => COLUMNS.map((column) => row[column])),
    ),
  );
  return { destroy: () => urls.forEach((url) => URL.revokeObjectURL(url)) };
}

/** A standalone page of the table, built with DOM text nodes (never markup from data). */
function registerPage(rows, headers, source) {
  const page = document.implementation.createHTMLDocument(t("art30_title"));
  page.documentElement.lang = language();
  const meta = page.createElement("meta");
  meta.setAttribute("charset", "utf-8");
  page.head.prepend(meta);
  const add = (parent, tag, text, attributes = {}) => {
    const node = page.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    parent.append(node);
    return node;
  };
  const main = add(page.body, "main");
  add(main, "h1", t("art30_title"));
  add(main, "p", source);
  add(main, "p", t("art30_intro"));
  const tableNode = add(main, "table");
  add(tableNode, "caption", t("art30_caption"));
  const head = add(add(tableNode, "thead"), "tr");
  for (const text of headers) add(head, "th", text, { scope: "col" });
  const body = add(tableNode, "tbody");
  for (const row of rows) {
    const line = add(body, "tr");
    for (const column of COLUMNS) add(line, "td", row[column]);
  }
  // The serializer, not an HTML sink: the document holds only text nodes we made.
  return new XMLSerializer().serializeToString(page);
}
