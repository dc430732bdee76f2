// "Download mijn gegevens": what the relay keeps (its `account_export`) and what this device
// keeps (the messages it holds, with time and direction), as JSON and as a readable page in
// the app's language. The page is built as DOM in a document of its own (textContent only,
// never HTML from data) and serialised; nothing of it is shown inside the app.

import { h } from "../dom.js";
import { has, language, t } from "../i18n.js";
import { summary } from "./messages.js";

const STYLE =
  "body{font-family:system-ui,sans-serif;font-size:1.125rem;line-height:1.5;max-width:48rem;" +
  "margin:2rem auto;padding:0 1rem;color:#1a1a1a}h1,h2,h3{line-height:1.25}" +
  "table{border-collapse:collapse}td,th{border:1px solid #767676;padding:.25rem .5rem;" +
  "text-align:left;vertical-align:top}.time{white-space:nowrap}" +
  ".wide{overflow-x:auto;margin-bottom:1rem}.wide:focus{outline:3px solid #0b5563}";

const locale = () => (language() === "nl" ? "nl-NL" : "en-GB");

/** "7 dec 2026 21:03" in the current language; "—" for nothing. */
export function when(unixSeconds) {
  if (!unixSeconds) return "—";
  return new Date(unixSeconds * 1000).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
}

/** A message as the export keeps it: time, direction, who, what kind, the words shown. */
function exported(message, fromName) {
  return {
    id: message.id,
    sentAt: message.sentAt,
    receivedAt: message.receivedAt,
    direction: message.outgoing ? "sent" : "received",
    from: fromName,
    kind: message.kind,
    fields: message.fields ?? {},
    shown: summary(message) ?? "",
  };
}

/** What this device holds: every conversation and group with its messages. */
export async function deviceData(app, relayExport) {
  const m = app.messenger;
  const conversations = [];
  for (const conversation of await m.conversations()) {
    const name = await app.nameOf(conversation);
    const list = await m.messages(conversation.id);
    conversations.push({
      id: conversation.id,
      role: conversation.role,
      name,
      messages: list.map((message) => exported(message, message.outgoing ? null : name)),
    });
  }
  // The group code is only loaded when the relay says this person is in a group.
  const groups = [];
  if ((relayExport?.groups ?? []).length) {
    for (const group of await m.groups.list()) {
      const list = (await m.groups.messages(group.id)).filter((message) => message.kind !== "system");
      groups.push({
        id: group.id,
        name: group.name,
        messages: list.map((message) => exported(message, message.outgoing ? null : message.fromName)),
      });
    }
  }
  return { me: m.me, names: Object.fromEntries(conversations.map((c) => [c.id, c.name])), conversations, groups };
}

/** A table that scrolls sideways inside its own box on a narrow screen (a data table may,
 * WCAG 1.4.10), named and reachable by keyboard. */
const table = (label, ...rows) =>
  h("div", { class: "wide", role: "region", tabindex: "0", "aria-label": label }, h("table", {}, ...rows));
const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, String(value)));
const headRow = (...labels) => h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label)));
const wordOr = (key, fallback) => (has(key) ? t(key) : fallback);

function messagesTable(label, messages) {
  if (!messages.length) return h("p", {}, t("export_page_no_messages"));
  return table(
    label,
    headRow(t("export_page_col_time"), t("export_page_col_direction"), t("export_page_col_from"), t("export_page_col_kind"), t("export_page_col_content")),
    messages.map((message) =>
      h(
        "tr",
        {},
        h("td", { class: "time" }, when(message.sentAt)),
        h("td", {}, t(message.direction === "sent" ? "export_page_sent" : "export_page_received")),
        h("td", {}, message.from ?? t("export_page_you")),
        h("td", {}, wordOr(`export_kind_${message.kind}`, message.kind)),
        h("td", {}, message.shown),
      ),
    ),
  );
}

function relaySection(exportData) {
  const account = exportData.account;
  const devices = exportData.devices ?? [];
  const cases = exportData.cases ?? [];
  const groups = exportData.groups ?? [];
  return [
    h("h2", {}, t("export_page_server_title")),
    h("p", {}, t("export_page_server_intro")),
    h("h3", {}, t("export_page_account")),
    table(
      t("export_page_account"),
      row(t("export_page_number"), account.id),
      row(t("export_page_role"), wordOr(`role_${account.role}`, account.role)),
      row(t("export_page_status"), wordOr(`account_status_${account.status}`, account.status)),
      row(t("export_page_created"), when(account.created_at)),
    ),
    h("h3", {}, t("export_page_devices", { count: devices.length })),
    h("p", {}, t("export_page_devices_intro")),
    table(
      t("export_page_devices", { count: devices.length }),
      headRow(t("export_page_key"), t("export_page_status"), t("export_page_added")),
      devices.map((device) =>
        h(
          "tr",
          {},
          h("td", {}, `${device.id.slice(0, 12)}…`),
          h("td", {}, wordOr(`export_device_${device.status}`, device.status)),
          h("td", {}, when(device.created_at)),
        ),
      ),
    ),
    h("h3", {}, t("export_page_waiting_title")),
    h("p", {}, t("export_page_waiting", { count: (exportData.envelopes_waiting_for_you ?? []).length })),
    h("p", {}, t("export_page_sent_waiting", { count: exportData.envelopes_you_sent_still_waiting ?? 0 })),
    h("h3", {}, t("export_page_cases", { count: cases.length })),
    table(
      t("export_page_cases", { count: cases.length }),
      headRow(t("export_page_case"), t("export_page_since"), t("export_page_people")),
      cases.map((item) => h("tr", {}, h("td", {}, item.id), h("td", {}, when(item.you_joined_at)), h("td", {}, String(item.members)))),
    ),
    h("h3", {}, t("export_page_groups", { count: groups.length })),
    table(
      t("export_page_groups", { count: groups.length }),
      headRow(t("export_page_group"), t("export_page_role"), t("export_page_since"), t("export_page_people")),
      groups.map((item) =>
        h(
          "tr",
          {},
          h("td", {}, item.id),
          h("td", {}, wordOr(`export_group_role_${item.role}`, item.role)),
          h("td", {}, when(item.you_joined_at)),
          h("td", {}, String(item.members)),
        ),
      ),
    ),
  ];
}

/** The log's entries about the person (the relay's `audit`): when, what, by whom, why. */
function logSection(entries) {
  const title = t("export_page_log_title", { count: entries.length });
  return [
    h("h2", {}, title),
    h("p", {}, t("export_page_log_intro")),
    table(
      title,
      headRow(t("export_page_col_time"), t("export_page_col_what"), t("export_page_col_who"), t("export_page_col_why")),
      entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", { class: "time" }, when(entry.time)),
          h("td", {}, wordOr(`event_${String(entry.event).replace(".", "_")}`, entry.event)),
          h("td", {}, entry.by_you ? t("export_page_you") : wordOr(`role_${entry.by}`, entry.by)),
          h("td", {}, entry.reason ? wordOr(`reason_${entry.reason}`, entry.reason) : "—"),
        ),
      ),
    ),
  ];
}

function deviceSection(local) {
  const parts = [h("h2", {}, t("export_page_device_title")), h("p", {}, t("export_page_device_intro"))];
  for (const conversation of local.conversations) {
    parts.push(
      h("h3", {}, t("export_page_conversation", { name: conversation.name })),
      messagesTable(t("export_page_conversation", { name: conversation.name }), conversation.messages),
    );
  }
  for (const group of local.groups) {
    parts.push(
      h("h3", {}, t("export_page_group_messages", { name: group.name || t("export_page_group_unnamed") })),
      messagesTable(t("export_page_group_messages", { name: group.name || t("export_page_group_unnamed") }), group.messages),
    );
  }
  if (!local.conversations.length && !local.groups.length) parts.push(h("p", {}, t("export_page_no_messages")));
  return parts;
}

/** The readable page: a whole HTML document as text, in the app's current language. */
export function exportPage(exportData, local, now = Date.now() / 1000) {
  const page = document.implementation.createHTMLDocument(t("export_page_title"));
  page.documentElement.lang = language();
  page.head.append(
    h("meta", { charset: "utf-8" }),
    h("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
  );
  page.body.append(
    h(
      "main",
      {},
      h("h1", {}, t("export_page_title")),
      h("p", {}, t("export_page_intro", { date: when(now) })),
      ...relaySection(exportData),
      ...logSection(exportData.audit ?? []),
      ...deviceSection(local),
      h("h2", {}, t("export_page_rights_title")),
      h("p", {}, t("export_page_rights")),
    ),
  );
  // The style goes in as text: a <style> element made here would be applied under the
  // app's CSP (style-src 'self'), which refuses it. STYLE is a constant, never data.
  const text = new XMLSerializer().serializeToString(page).replace("</head>", `<style>${STYLE}</style></head>`);
  return `<!DOCTYPE html>\n${text}`;
}
