// Shared by the officer's and the admin's screens (desk work on a laptop): the closed list of
// reason codes, relay refusals in plain words (with the field a `malformed` names), dates,
// tables that scroll on their own at 320 px, and downloads made from a Blob, never HTML.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { language, t } from "../i18n.js";
import { changeLines } from "./changes.js";

export { confirmInline } from "./confirm.js"; // the desk screens import it from here

/** docs/audit.md §2: the reasons the relay accepts, in the order a person looks for them. */
export const REASONS = [
  "routine_review",
  "data_subject_request",
  "client_request",
  "legal_obligation",
  "court_order",
  "incident_investigation",
  "security_incident",
  "suspected_misuse",
  "account_compromised",
  "consent_withdrawn",
  "staff_change",
  "left_organisation",
  "care_handover",
  "retention_policy",
  "policy_update",
  "not_given",
];

/** docs/audit.md §1: every event code of the audit log. */
export const EVENTS = [
  "account.registered",
  "account.status_changed",
  "device.registered",
  "device.revoked",
  "account.display_name_set",
  "device.label_set",
  "invite.created",
  "invite.redeemed",
  "recovery.created",
  "recovery.approved",
  "recovery.redeemed",
  "recovery.voided",
  "recovery.expired",
  "auth.failed_summary",
  "case.created",
  "case.member_added",
  "case.handed_over",
  "case.closed",
  "case.reopened",
  "group.created",
  "group.member_joined",
  "group.device_added",
  "group.member_left",
  "group.member_removed",
  "group.role_changed",
  "group.member_muted",
  "group.closed",
  "group.removed",
  "account.flagged_inactive",
  "audit.queried",
  "audit.exported",
  "reach.reported",
  "purge.ran",
  "export.made",
  "erasure.done",
  "legal_hold.placed",
  "legal_hold.lifted",
  "policy.changed",
];

/** The translated words for an event code ("invite.created" → key event_invite_created). */
export function eventLabel(code) {
  return t(`event_${code.replace(".", "_")}`);
}

/**
 * The timeline cells both officer screens share (issue 19 items 2 and 7): what happened
 * (words, code, and before → after for a change), who did it and what it was about.
 * `said(pseudonym)` adds words after a pseudonym: a staff member's name, "deze persoon".
 */
export function eventCell(entry) {
  return h(
    "span",
    {},
    eventLabel(entry.event),
    h("br"),
    h("code", { class: "event-code" }, entry.event),
    changeLines(entry).map((line) => h("span", { class: "change" }, h("br"), line)),
  );
}

export function actorCell(actor = {}, said = () => "") {
  return h(
    "span",
    {},
    roleLabel(actor.role || "system"),
    actor.pseudonym ? said(actor.pseudonym) : null,
    actor.pseudonym ? h("br") : null,
    actor.pseudonym ? h("code", { class: "pseudonym" }, actor.pseudonym) : null,
  );
}

export function objectsCell(objects = [], said = () => "") {
  return h(
    "ul",
    { class: "plain" },
    objects.map((object) =>
      h(
        "li",
        {},
        `${t(`object_${object.type}`)}${said(object.pseudonym)}: `,
        h("code", { class: "pseudonym" }, object.pseudonym),
      ),
    ),
  );
}

/** `said` for a reply's `staff` map (pseudonym → {name}): " Anja de Vries" or "". */
export function staffNames(reply) {
  const staff = new Map(Object.entries(reply.staff || {}).map(([ps, who]) => [ps, who.name]));
  return (pseudonym) => (staff.has(pseudonym) ? ` ${staff.get(pseudonym)}` : "");
}

export function reasonLabel(code) {
  return t(`reason_${code}`);
}

export function roleLabel(role) {
  return t(`role_${role}`);
}

/** A labelled select of the allowed reasons; `only` narrows the list. */
export function reasonField(
  chosen = "routine_review",
  only = REASONS,
  label = t("desk_reason_label"),
) {
  const id = uid("reason");
  const select = h(
    "select",
    { id, name: "reason", required: true },
    only.map((code) => h("option", { value: code, selected: code === chosen }, reasonLabel(code))),
  );
  const field = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("p", { class: "hint", id: `${id}-hint` }, t("desk_reason_hint")),
    select,
  );
  select.setAttribute("aria-describedby", `${id}-hint`);
  return { field, select };
}

/**
 * What a refusal means for the person. `malformed` names the field in `details.field`;
 * `allowed(field)` may say what that field accepts ("Kies hoogstens 90 dagen."), so the
 * person learns what to change, not only that something is wrong.
 */
export function failureText(failure, labels = {}, allowed = () => null) {
  if (isOffline(failure)) return t("desk_offline");
  const code = failure?.code;
  const known = [
    "not_permitted",
    "unknown_case",
    "unknown_account",
    "ambiguous_reference", // a short code that begins more than one account
    "unknown_hold",
    "unknown_device",
    "last_admin",
    "payload_too_large",
  ];
  if (known.includes(code)) return t(`desk_error_${code}`);
  if (code === "malformed") {
    const field = failure.details?.field;
    if (!field) return t("desk_error_malformed");
    const choice = allowed(field);
    const named = labels[field] ?? field;
    return choice ? t("desk_error_field_allowed", { field: named, allowed: choice }) : t("desk_error_field", { field: named });
  }
  return t("desk_error_other");
}

/** An alert paragraph for a failure (the relay's English message only as detail). */
export function failureNote(failure, labels = {}, allowed = undefined) {
  return h("p", { class: "error", role: "alert" }, failureText(failure, labels, allowed));
}

function locale() {
  return language() === "nl" ? "nl-NL" : "en-GB";
}

/** "21 sep 2026" */
export function formatDate(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  return new Date(unixSeconds * 1000).toLocaleDateString(locale(), {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** "21 sep 2026 14:05 UTC": audit times are the relay's UTC clock. */
export function formatDateTime(unixSeconds) {
  const date = new Date(unixSeconds * 1000);
  const time = date.toLocaleTimeString(locale(), {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  });
  return `${formatDate(unixSeconds)} ${time} UTC`;
}

/** A date input's value ("2026-09-21") as Unix seconds at the start (or end) of that UTC day. */
export function dateToUnix(value, endOfDay = false) {
  if (!value) return null;
  const start = Date.parse(`${value}T00:00:00Z`) / 1000;
  if (Number.isNaN(start)) return null;
  return endOfDay ? start + 86400 : start;
}

/** The date-input spelling of Unix seconds (UTC). */
export function unixToDate(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * A table with a caption and column headers, inside a region that scrolls sideways on its
 * own (focusable, so keyboard users can scroll it), so the page never does at 320 px.
 */
export function table(caption, headers, rows) {
  const captionId = uid("caption");
  // The caption stays in the table for assistive technology; its visible copy sits above
  // the scrolling region, so it is never cut off at 320 px.
  return h(
    "div",
    { class: "table-block" },
    h("p", { class: "table-title", "aria-hidden": "true" }, caption),
    h(
      "div",
      { class: "table-scroll", role: "region", tabindex: "0", "aria-labelledby": captionId },
      h(
        "table",
        { class: "desk-table" },
        h("caption", { id: captionId, class: "visually-hidden" }, caption),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            headers.map((text) => h("th", { scope: "col" }, text)),
          ),
        ),
        h(
          "tbody",
          {},
          rows.map((cells) =>
            h(
              "tr",
              {},
              cells.map((cell) => h("td", {}, cell)),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * A download link for text made here: a Blob and an object URL, never HTML. The URL is
 * kept until the screen goes; `urls` collects them so the screen can revoke them.
 */
export function downloadLink(text, type, filename, label, urls) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  urls.push(url);
  return h("a", { class: "button", href: url, download: filename }, label);
}

/** A short file-name stamp: 2026-09-21. */
export function stamp() {
  return new Date().toISOString().slice(0, 10);
}

/** A labelled input in a .field, with an optional hint; returns {field, input}. */
export function inputField(label, props = {}, hint = null) {
  const id = uid("field");
  const input = h("input", { id, ...props });
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute("aria-describedby", `${id}-hint`);
  return {
    field: h("div", { class: "field" }, h("label", { for: id }, label), hintNode, input),
    input,
  };
}

/** A labelled select in a .field: options [[value, text]]. */
export function selectField(label, options, props = {}) {
  const id = uid("field");
  const select = h(
    "select",
    { id, ...props },
    options.map(([value, text]) => h("option", { value }, text)),
  );
  return { field: h("div", { class: "field" }, h("label", { for: id }, label), select), select };
}

/** Mark the input of the field a `malformed` refusal names, and move focus there. */
export function markInvalid(inputs, failure) {
  for (const input of Object.values(inputs)) input.removeAttribute("aria-invalid");
  const field = failure?.code === "malformed" ? failure.details?.field : null;
  const input = field ? inputs[field] : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}
