// Organisation admin: reach figures for the municipality (docs/accountability.md). The
// admin keeps the fixed lists of wijken and teams, gives each worker a team, and makes the
// signed report for a month, quarter or year that has ended: the relay counts, protects
// (under 5 hidden, the rest rounded to 5) and signs; a period's first report is frozen.
// The files to download are the relay's own text: no markup is built from them here.

import { h, uid } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import { downloadLink, failureNote, table } from "../parts/desk.js";

const MEASURES = [
  "reached",
  "new",
  "checkins_answered",
  "questionnaires_signed",
  "groups_active",
  "group_members",
];

/** The fixed periods that have ended: the last 12 months, 4 quarters and 2 years. */
export function endedPeriods(now = new Date()) {
  const year = now.getFullYear();
  const month = now.getMonth(); // 0-based: the current month has not ended
  const periods = [];
  for (let back = 1; back <= 12; back += 1) {
    const date = new Date(year, month - back, 1);
    periods.push(`${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`);
  }
  let quarterYear = year;
  let quarter = Math.floor(month / 3); // the current quarter, 0-based
  for (let back = 1; back <= 4; back += 1) {
    quarter -= 1;
    if (quarter < 0) [quarter, quarterYear] = [3, quarterYear - 1];
    periods.push(`${quarterYear}-Q${quarter + 1}`);
  }
  periods.push(String(year - 1), String(year - 2));
  return periods;
}

const lines = (text) => text.split("\n").map((line) => line.trim()).filter(Boolean);

function textareaField(label, hint, value) {
  const id = uid("list");
  const input = h("textarea", { id, rows: "4", "aria-describedby": `${id}-hint` });
  input.value = value.join("\n");
  return {
    field: h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("p", { class: "hint", id: `${id}-hint` }, hint),
      input,
    ),
    input,
  };
}

function listsCard(app, lists, onSaved) {
  const areas = textareaField(t("reach_areas_label"), t("reach_list_hint"), lists.areas);
  const teams = textareaField(t("reach_teams_label"), t("reach_teams_hint"), lists.teams);
  const status = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit" }, t("reach_lists_save"));
  return h(
    "form",
    {
      class: "card",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        save.disabled = true;
        try {
          const reply = await app.messenger.request("reach_lists_set", {
            areas: lines(areas.input.value),
            teams: lines(teams.input.value),
          });
          status.replaceChildren(h("p", { class: "notice", role: "status" }, t("reach_lists_saved")));
          await onSaved(reply);
        } catch (failure) {
          status.replaceChildren(failureNote(failure, { areas: t("reach_areas_label"), teams: t("reach_teams_label") }));
        } finally {
          save.disabled = false;
        }
      },
    },
    h("h2", {}, t("reach_lists_title")),
    areas.field,
    teams.field,
    save,
    status,
  );
}

/** Each worker's team, chosen from the list (a change is saved at once). */
function teamsCard(app, lists, workers) {
  const status = h("div", { "aria-live": "polite" });
  const rows = workers.map((account) => {
    const id = uid("team");
    const name = account.display_name || account.id;
    const select = h("select", {
      id,
      onchange: async () => {
        try {
          await app.messenger.request("account_set_team", { account: account.id, team: select.value || null });
          status.replaceChildren(h("p", { class: "notice", role: "status" }, t("reach_team_saved", { name })));
        } catch (failure) {
          status.replaceChildren(failureNote(failure));
        }
      },
    });
    select.append(h("option", { value: "" }, t("reach_none")));
    for (const team of lists.teams) select.append(h("option", { value: team }, team));
    select.value = lists.account_teams?.[account.id] ?? "";
    return h("div", { class: "field" }, h("label", { for: id }, t("reach_team_of", { name })), select);
  });
  return h("section", { class: "card" }, h("h2", {}, t("reach_teams_title")), ...rows, status);
}

/** Each case's wijk, chosen from the list (workers tag their own cases the same way). */
function areasCard(app, lists, cases) {
  const status = h("div", { "aria-live": "polite" });
  const rows = cases.map(({ id: caseId }) => {
    const id = uid("area");
    const select = h("select", {
      id,
      onchange: async () => {
        try {
          await app.messenger.request("case_set_area", { case: caseId, area: select.value || null });
          status.replaceChildren(h("p", { class: "notice", role: "status" }, t("reach_area_saved", { case: caseId })));
        } catch (failure) {
          status.replaceChildren(failureNote(failure));
        }
      },
    });
    select.append(h("option", { value: "" }, t("reach_none")));
    for (const area of lists.areas) select.append(h("option", { value: area }, area));
    select.value = lists.case_areas?.[caseId] ?? "";
    return h("div", { class: "field" }, h("label", { for: id }, t("reach_area_of", { case: caseId })), select);
  });
  return h("section", { class: "card" }, h("h2", {}, t("reach_areas_title")), ...rows, status);
}

function resultView(reply, urls) {
  const report = JSON.parse(reply.note.split("\n")[1]);
  const show = (value) => (value === null ? t("reach_small") : String(value));
  const rows = report.rows.map((row) => {
    const kind = t(`reach_breakdown_${row.breakdown}`);
    const name = row.breakdown === "total" ? "" : row.name || t("reach_none");
    return [`${kind} ${name}`.trim(), ...MEASURES.map((m) => (m in row.values ? show(row.values[m]) : "–"))];
  });
  const file = `bereik-${reply.period}`;
  return h(
    "div",
    {},
    h(
      "p",
      { class: "notice", role: "status" },
      reply.first_release ? t("reach_made", { period: reply.period }) : t("reach_frozen", { period: reply.period }),
    ),
    h(
      "div",
      { class: "row" },
      downloadLink(reply.html, "text/html;charset=utf-8", `${file}.html`, t("reach_download_html"), urls),
      downloadLink(reply.csv, "text/csv;charset=utf-8", `${file}.csv`, t("reach_download_csv"), urls),
      downloadLink(reply.note, "text/plain;charset=utf-8", `${file}.note`, t("reach_download_note"), urls),
    ),
    table(t("reach_caption", { period: reply.period }), [t("reach_col_cell"), ...MEASURES.map((m) => t(`reach_col_${m}`))], rows),
    h("p", { class: "hint" }, t("reach_verify_hint")),
    h("p", { class: "hint key" }, reply.verifier_key),
  );
}

function reportCard(app, urls) {
  const id = uid("period");
  const select = h("select", { id, "aria-describedby": `${id}-hint` });
  for (const period of endedPeriods()) select.append(h("option", { value: period }, period));
  const result = h("div", { "aria-live": "polite" });
  const make = h("button", { type: "submit", class: "primary" }, t("reach_make"));
  return h(
    "form",
    {
      class: "card",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        make.disabled = true;
        try {
          const reply = await app.messenger.request("reach_report", { period: select.value, lang: language() });
          result.replaceChildren(resultView(reply, urls));
        } catch (failure) {
          // A period that has not ended is the one refusal an admin can meet here: say why.
          result.replaceChildren(
            failure?.code === "period_open"
              ? h("p", { class: "error", role: "alert" }, t("reach_period_open"))
              : failureNote(failure, { period: t("reach_period_label") }),
          );
        } finally {
          make.disabled = false;
        }
      },
    },
    h("h2", {}, t("reach_report_title")),
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, t("reach_period_label")),
      h("p", { class: "hint", id: `${id}-hint` }, t("reach_period_hint")),
      select,
    ),
    make,
    result,
  );
}

export async function show(main, app) {
  await loadPart("reach");
  main.append(h("h1", {}, t("reach_title")), h("p", {}, t("reach_intro")));
  let lists;
  try {
    lists = await app.messenger.request("reach_lists", {});
  } catch (failure) {
    main.append(failureNote(failure));
    return null;
  }
  const urls = [];
  const teamsSlot = h("div", {});
  const areasSlot = h("div", {});
  // The workers' teams and the cases' wijken follow the lists: drawn again when saved.
  const drawChoices = async (current) => {
    teamsSlot.replaceChildren();
    areasSlot.replaceChildren();
    try {
      if (current.teams.length) {
        const { accounts } = await app.messenger.request("admin_accounts", {});
        const workers = accounts.filter((account) => account.role === "worker" && account.status === "active");
        if (workers.length) teamsSlot.append(teamsCard(app, current, workers));
      }
      if (current.areas.length) {
        const { cases } = await app.messenger.request("cases_all", {});
        const open = cases.filter((item) => !item.closed_at);
        if (open.length) areasSlot.append(areasCard(app, current, open));
      }
    } catch (failure) {
      teamsSlot.append(failureNote(failure));
    }
  };
  main.append(
    listsCard(app, lists, (saved) => drawChoices({ ...lists, ...saved })),
    teamsSlot,
    areasSlot,
    reportCard(app, urls),
  );
  await drawChoices(lists);
  return { destroy: () => urls.forEach((url) => URL.revokeObjectURL(url)) };
}
