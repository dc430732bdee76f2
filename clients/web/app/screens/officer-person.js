// Privacy officer: "who did what with this person's data, when and why" (issue 19). One
// search by the person's account number (the worker's app hands it over), a case number or
// a device key: the relay's audit_query `subject` finds every entry about the person, as
// actor and as object, across their devices and cases, including searches for them. Each
// entry in plain words beside its code, in Amsterdam time. The search itself is recorded
// (with the reason chosen here) before the relay answers.

import { fill, h } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import { amsterdamDay, formatAmsterdam } from "../parts/amsterdam.js";
import { checkShown } from "../parts/audit-badge.js";
import {
  actorCell,
  eventCell,
  failureNote,
  inputField,
  objectsCell,
  reasonField,
  reasonLabel,
  table,
} from "../parts/desk.js";

const PAGE_SIZE = 500; // the relay's most per query
// What the relay accepts as `subject`: an account or case number, a device key, or the short
// code the worker's hand-off shows (8 or more characters of the account number after acc_;
// the relay resolves it to the one account it begins, or says none or several do).
const REFERENCE =
  /^(?:(?:acc|case)_[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43}|(?:acc_)?[A-Za-z0-9_-]{8,22})$/;

export async function show(main, app) {
  await loadPart("officer-desk");
  const fromLink = decodeURIComponent(location.hash.split("/")[2] || "");
  const reference = inputField(
    t("person_reference_label"),
    { type: "text", name: "subject", required: true, autocomplete: "off", spellcheck: "false" },
    t("person_reference_hint"),
  );
  reference.input.value = REFERENCE.test(fromLink) ? fromLink : "";
  const from = inputField(t("person_from_label"), { type: "date", name: "from" });
  const to = inputField(t("person_to_label"), { type: "date", name: "to" });
  const reason = reasonField("data_subject_request", undefined, t("person_reason_label"));
  const results = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, t("person_search"));
  const shown = [];
  const mine = new Set(); // the person's own pseudonyms (account, devices, cases)
  const staff = new Map(); // staff pseudonym → the name the admin gave them (issue 19 item 7)
  let resolved = null; // the account number a short code named

  async function load(filters, after) {
    button.disabled = true;
    try {
      const reply = await app.messenger.request("audit_query", {
        ...filters,
        after,
        limit: PAGE_SIZE,
      });
      shown.push(...(reply.entries || []));
      for (const name of reply.pseudonyms || []) mine.add(name);
      if (reply.subject && reply.subject !== filters.subject) resolved = reply.subject;
      for (const [pseudonym, who] of Object.entries(reply.staff || {})) staff.set(pseudonym, who.name);
      draw(filters, reply.next);
    } catch (failure) {
      fill(results, failureNote(failure, { subject: t("person_reference_label") }));
    } finally {
      button.disabled = false;
    }
  }

  function draw(filters, next) {
    if (shown.length === 0) {
      fill(results, h("p", { class: "notice", role: "status" }, t("person_none")));
      return;
    }
    // Every entry shown, checked against the pinned key (a filtered list: gaps are normal).
    const proof = h("div", { class: "audit-check" });
    checkShown(proof, app, { entries: shown });
    const more =
      next === null || next === undefined
        ? null
        : h("button", { type: "button", onclick: () => load(filters, next) }, t("person_more"));
    fill(
      results,
      h(
        "p",
        { class: "results-summary", tabindex: "-1" },
        t("person_found", { count: shown.length }),
      ),
      resolved
        ? h(
            "p",
            { class: "hint" },
            `${t("person_resolved")} `,
            h("code", { class: "account-number" }, resolved),
          )
        : null,
      proof,
      table(
        t("person_caption"),
        [
          t("person_col_time"),
          t("person_col_what"),
          t("person_col_who"),
          t("person_col_about"),
          t("person_col_why"),
          t("person_col_outcome"),
        ],
        shown.map((entry) => cells(entry, mine, staff)),
      ),
      more,
    );
  }

  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "person-search-title",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const subject = reference.input.value.replace(/\s+/g, ""); // "AbCdE fGhIj" as read out
        if (!REFERENCE.test(subject)) {
          reference.input.setAttribute("aria-invalid", "true");
          fill(results, h("p", { class: "error", role: "alert" }, t("person_invalid")));
          reference.input.focus();
          return;
        }
        reference.input.removeAttribute("aria-invalid");
        const filters = { subject, reason: reason.select.value };
        const first = amsterdamDay(from.input.value);
        const last = amsterdamDay(to.input.value);
        if (first) filters.since = first[0];
        if (last) filters.until = last[1];
        shown.length = 0;
        mine.clear();
        staff.clear();
        resolved = null;
        fill(results, h("p", { class: "hint" }, t("desk_loading")));
        load(filters, -1).then(() => results.querySelector(".results-summary")?.focus());
      },
    },
    h("h2", { id: "person-search-title" }, t("person_search")),
    reference.field,
    h("div", { class: "desk-grid" }, from.field, to.field),
    h("p", { class: "hint" }, t("person_days_hint")),
    reason.field,
    button,
  );
  main.append(
    h("h1", {}, t("person_title")),
    h("p", {}, t("person_intro")),
    form,
    results,
  );
  return null;
}

/** One timeline row; `mine` marks the person's own pseudonyms as "deze persoon", `staff`
 * puts a staff member's name beside their pseudonym. */
function cells(entry, mine, staff) {
  if (entry.removed) return ["—", t("officer_entry_removed"), "—", "—", "—", "—"];
  const named = (pseudonym) => (staff.has(pseudonym) ? ` ${staff.get(pseudonym)}` : "");
  const theirs = (pseudonym) =>
    (mine.has(pseudonym) ? ` (${t("person_this_person")})` : "") + named(pseudonym);
  return [
    formatAmsterdam(entry.time),
    eventCell(entry),
    actorCell(entry.actor, theirs),
    objectsCell(entry.objects, theirs),
    entry.reason ? reasonLabel(entry.reason) : t("person_no_reason"),
    t(`outcome_${entry.outcome}`),
  ];
}
