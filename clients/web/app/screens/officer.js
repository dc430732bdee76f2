// Privacy officer: the audit log. Search it (period, kind of event, always with a reason,
// which the relay records before it answers) and export it as a bundle to verify offline.
// Entries carry pseudonyms only: the relay never has names.

import { fill, h } from "../dom.js";
import { loadPart, t, tn } from "../i18n.js";
import { amsterdamDay, formatAmsterdam } from "../parts/amsterdam.js";
import { checkShown, failedBadge } from "../parts/audit-badge.js";
import {
  EVENTS,
  actorCell,
  downloadLink,
  eventCell,
  eventLabel,
  failureNote,
  inputField,
  objectsCell,
  reasonField,
  reasonLabel,
  selectField,
  stamp,
  staffNames,
  table,
} from "../parts/desk.js";

const PAGE_SIZE = 50;

export async function show(main, app) {
  const urls = [];
  await loadPart("audit-proof");
  await loadPart("officer-desk"); // the words for before → after values
  main.append(
    h("h1", {}, t("officer_audit_title")),
    h("p", {}, t("officer_audit_intro")),
    // An export checked in the browser, also offline (served by the service worker).
    h("p", {}, h("a", { href: "/app/verify.html" }, t("verify_title"))),
    querySection(app),
    exportSection(app, urls),
  );
  return { destroy: () => urls.forEach((url) => URL.revokeObjectURL(url)) };
}

function querySection(app) {
  const since = inputField(t("officer_since_label"), { type: "date", name: "since" });
  const until = inputField(t("officer_until_label"), { type: "date", name: "until" });
  const event = selectField(t("officer_event_label"), [
    ["", t("officer_event_all")],
    ...EVENTS.map((code) => [code, `${eventLabel(code)} (${code})`]),
  ]);
  const reason = reasonField("routine_review", undefined, t("officer_search_reason"));
  const results = h("div", { "aria-live": "polite" });
  const search = h("button", { type: "submit", class: "primary" }, t("officer_search"));
  let filters = null; // the last search, for its further pages
  const pages = []; // `after` of each page shown so far, for "back"

  async function load(after, paging = false) {
    search.disabled = true;
    fill(results, h("p", { class: "hint" }, t("desk_loading")));
    try {
      const reply = await app.messenger.request("audit_query", {
        ...filters,
        after,
        limit: PAGE_SIZE,
      });
      drawPage(reply, after);
      // Paging removes the button that had focus: keep keyboard users at the results.
      if (paging) results.querySelector(".results-summary")?.focus();
    } catch (failure) {
      fill(results, failureNote(failure));
    } finally {
      search.disabled = false;
    }
  }

  function drawPage(reply, after) {
    const entries = reply.entries || [];
    if (entries.length === 0) {
      fill(results, h("p", { class: "notice", role: "status" }, t("officer_no_entries")));
      return;
    }
    const first = entries[0].index;
    const last = entries[entries.length - 1].index;
    // Checked against the pinned key; without filters a page has no gaps, so a gap is an
    // entry that is missing (the relay's filters leave some out on purpose).
    const proof = h("div", { class: "audit-check" });
    const unfiltered = filters.since === undefined && filters.until === undefined && !filters.event;
    checkShown(proof, app, { entries, contiguous: unfiltered, after });
    const nav = h("div", { class: "row pager" });
    if (pages.length > 0) {
      nav.append(
        h(
          "button",
          {
            type: "button",
            onclick: () => load(pages.pop(), true),
          },
          t("officer_previous_page"),
        ),
      );
    }
    if (reply.next !== null && reply.next !== undefined) {
      nav.append(
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              pages.push(after);
              load(reply.next, true);
            },
          },
          t("officer_next_page"),
        ),
      );
    }
    fill(
      results,
      h(
        "p",
        { class: "results-summary", tabindex: "-1" },
        tn("officer_showing", entries.length, { first, last }),
      ),
      proof,
      table(
        t("officer_table_caption"),
        [
          t("officer_col_index"),
          t("officer_col_time"),
          t("officer_col_event"),
          t("officer_col_outcome"),
          t("officer_col_actor"),
          t("officer_col_objects"),
          t("officer_col_reason"),
        ],
        entries.map((entry) => entryCells(entry, staffNames(reply))),
      ),
      nav,
    );
  }

  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "audit-search-title",
      onsubmit: (submitEvent) => {
        submitEvent.preventDefault();
        filters = { reason: reason.select.value };
        // Days as the officer means them: midnight to midnight in Amsterdam.
        const from = amsterdamDay(since.input.value);
        const to = amsterdamDay(until.input.value);
        if (from !== null) filters.since = from[0];
        if (to !== null) filters.until = to[1];
        if (event.select.value) filters.event = event.select.value;
        pages.length = 0;
        load(-1);
      },
    },
    h("h2", { id: "audit-search-title" }, t("officer_search_title")),
    h("div", { class: "desk-grid" }, since.field, until.field),
    event.field,
    reason.field,
    search,
  );
  return h("section", {}, form, results);
}

/** One log row; `said` puts a staff member's name beside their pseudonym. */
function entryCells(entry, said) {
  if (entry.removed) {
    return [String(entry.index), "—", t("officer_entry_removed"), "—", "—", "—", "—"];
  }
  return [
    String(entry.index),
    formatAmsterdam(entry.time), // Amsterdam time with its offset; the bundle keeps UTC
    eventCell(entry), // with before → after for a change
    t(`outcome_${entry.outcome}`),
    actorCell(entry.actor, said),
    objectsCell(entry.objects, said),
    entry.reason ? reasonLabel(entry.reason) : "—",
  ];
}

function exportSection(app, urls) {
  const reason = reasonField("routine_review", undefined, t("officer_export_reason"));
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, t("officer_export_button"));
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "audit-export-title",
      onsubmit: async (submitEvent) => {
        submitEvent.preventDefault();
        button.disabled = true;
        fill(result, h("p", { class: "hint" }, t("desk_loading")));
        try {
          const reply = await app.messenger.request("audit_export", {
            reason: reason.select.value,
          });
          // The key to check it with is the one pinned when the officer joined, not the one
          // in this reply: a relay signing with another key must not vouch for itself.
          const pinned = (await app.messenger.auditTrust())?.key ?? null;
          drawExport(result, reply, urls, pinned);
        } catch (failure) {
          fill(result, failureNote(failure));
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", { id: "audit-export-title" }, t("officer_export_title")),
    h("p", {}, t("officer_export_intro")),
    reason.field,
    button,
  );
  return h("section", {}, form, result);
}

function drawExport(result, reply, urls, pinned) {
  const key = pinned ?? reply.verifier_key;
  const otherKey = pinned !== null && pinned !== reply.verifier_key;
  const day = stamp();
  const bundleName = `steuntje-audit-${day}.jsonl`;
  fill(
    result,
    h(
      "section",
      { class: "card", "aria-labelledby": "export-ready" },
      h("h2", { id: "export-ready", tabindex: "-1" }, t("officer_export_ready")),
      h(
        "div",
        { class: "row" },
        downloadLink(
          reply.bundle,
          "application/jsonl",
          bundleName,
          t("officer_download_bundle"),
          urls,
        ),
        downloadLink(
          reply.csv, // ';', UTF-8 with BOM, Dutch headers: Excel opens it as it is
          "text/csv;charset=utf-8",
          `steuntje-audit-${day}.csv`,
          t("officer_download_csv"),
          urls,
        ),
      ),
      h("p", { class: "hint" }, t("officer_csv_hint")),
      h("h3", {}, t("officer_key_title")),
      h("p", {}, t("officer_key_intro")),
      otherKey ? failedBadge({ kind: "other_key" }) : null,
      h("p", {}, h("code", { class: "verifier-key", id: "verifier-key" }, key)),
      h("h3", {}, t("officer_verify_title")),
      h("p", {}, t("officer_verify_intro")),
      h(
        "pre",
        { class: "command" },
        h(
          "code",
          {},
          `steuntje audit verify ${bundleName} --key '${key}' --kept kept-checkpoint.txt`,
        ),
      ),
      h("p", {}, t("officer_verify_kept")),
    ),
  );
  result.querySelector("h2").focus();
}
