// Organisation admin: every case of the organisation (when it started, whether it is closed,
// how many people are on it). Closing a case starts its retention clock (PROTOCOL §4.6);
// reopening stops it. A case shows its worker(s) by the name the admin gave them (issue 19
// item 8); who a caregiver is stays on the workers' devices: the case number stands for them.
// Below, the peer-support groups (ids and sizes only: their names are end to end): an admin
// closes one nobody facilitates any more (PROTOCOL §4.15).

import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { confirmInline, failureNote, formatDate, reasonField, table } from "../parts/desk.js";

const CASE_REASONS = [
  "client_request",
  "retention_policy",
  "consent_withdrawn",
  "staff_change",
  "legal_obligation",
];

const COLUMNS = ["cases_col_created", "cases_col_status", "cases_col_members", "cases_col_action"];

export async function show(main, app) {
  const m = app.messenger;
  const list = h("div", {});
  const groupList = h("div", {});
  const status = h("div", { "aria-live": "polite" });
  const reason = reasonField("client_request", CASE_REASONS);

  async function refresh() {
    try {
      const { cases, groups } = await m.request("cases_all", {});
      drawList(cases || []);
      drawGroups(groups || []);
    } catch (failure) {
      fill(list, failureNote(failure));
    }
  }

  /** One request for a case or a group, then the list again. */
  async function change(event, data, done) {
    try {
      await m.request(event, { ...data, reason: reason.select.value });
      fill(status, h("p", { class: "notice", role: "status" }, done));
      await refresh();
    } catch (failure) {
      fill(status, failureNote(failure));
    }
  }

  /** A red button that asks once before it closes a case or a group. */
  function closeButton({ text, label, question, yes, onYes }) {
    return h(
      "button",
      {
        type: "button",
        class: "danger",
        "aria-label": label,
        onclick: (event) =>
          confirmInline(status, {
            question,
            yes,
            no: t("desk_cancel"),
            opener: event.currentTarget,
            onYes,
          }),
      },
      text,
    );
  }

  function action(item) {
    const ids = { case: item.id };
    if (item.closed_at) {
      return h(
        "button",
        {
          type: "button",
          "aria-label": t("cases_reopen_label", ids),
          onclick: () => change("case_reopen", ids, t("cases_reopened", ids)),
        },
        t("cases_reopen"),
      );
    }
    return closeButton({
      text: t("cases_close"),
      label: t("cases_close_label", ids),
      question: t("cases_close_question", ids),
      yes: t("cases_close_yes"),
      onYes: () => change("case_close", ids, t("cases_closed", ids)),
    });
  }

  function groupAction(item) {
    if (item.closed_at) return ""; // a closed group is not opened again
    const ids = { group: item.id };
    return closeButton({
      text: t("admin_groups_close"),
      label: t("admin_groups_close_label", ids),
      question: t("admin_groups_close_question", ids),
      yes: t("admin_groups_close_yes"),
      onYes: () => change("group_close", ids, t("admin_groups_closed", ids)),
    });
  }

  /** A case's or a group's row: id, when it started, open or closed, size, action. */
  function row(item, actionFor) {
    return [
      item.workers ? caseCell(item) : h("code", {}, item.id),
      formatDate(item.created_at),
      item.closed_at ? t("cases_closed_on", { date: formatDate(item.closed_at) }) : t("cases_open"),
      String(item.members),
      actionFor(item),
    ];
  }

  /** "Dossier van Anja" above the case number: the worker(s) by name, else by number. */
  function caseCell(item) {
    const names = item.workers.map((w) => w.name || `${w.account.slice(0, 12)}…`);
    return h(
      "span",
      {},
      names.length ? h("strong", {}, t("cases_of_workers", { names: names.join(", ") })) : null,
      names.length ? h("br") : null,
      h("code", {}, item.id),
    );
  }

  function drawGroups(groups) {
    if (groups.length === 0) {
      fill(groupList, h("p", { class: "notice" }, t("admin_groups_none")));
      return;
    }
    const columns = [t("admin_groups_col_group"), ...COLUMNS.map((key) => t(key))];
    fill(
      groupList,
      table(t("admin_groups_caption"), columns, groups.map((item) => row(item, groupAction))),
    );
  }

  function drawList(cases) {
    if (cases.length === 0) {
      fill(list, h("p", { class: "notice" }, t("cases_none")));
      return;
    }
    const columns = [t("cases_col_case"), ...COLUMNS.map((key) => t(key))];
    fill(list, table(t("cases_caption"), columns, cases.map((item) => row(item, action))));
  }

  main.append(
    h("h1", {}, t("cases_title")),
    h("p", {}, t("cases_intro")),
    h("div", { class: "card" }, reason.field),
    status,
    list,
    h("h2", {}, t("admin_groups_title")),
    h("p", {}, t("admin_groups_intro")),
    groupList,
  );
  await refresh();
  return null;
}
