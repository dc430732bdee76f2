// Organisation admin: every case of the organisation (when it started, whether it is closed,
// how many people are on it). Closing a case starts its retention clock (PROTOCOL §4.6);
// reopening stops it. Ids only: who a caregiver is stays on the workers' devices.
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

  async function change(item, event, done) {
    try {
      await m.request(event, { case: item.id, reason: reason.select.value });
      fill(status, h("p", { class: "notice", role: "status" }, t(done, { case: item.id })));
      await refresh();
    } catch (failure) {
      fill(status, failureNote(failure));
    }
  }

  function action(item) {
    if (item.closed_at) {
      return h(
        "button",
        {
          type: "button",
          "aria-label": t("cases_reopen_label", { case: item.id }),
          onclick: () => change(item, "case_reopen", "cases_reopened"),
        },
        t("cases_reopen"),
      );
    }
    return h(
      "button",
      {
        type: "button",
        class: "danger",
        "aria-label": t("cases_close_label", { case: item.id }),
        onclick: (event) =>
          confirmInline(status, {
            question: t("cases_close_question", { case: item.id }),
            yes: t("cases_close_yes"),
            no: t("desk_cancel"),
            opener: event.currentTarget,
            onYes: () => change(item, "case_close", "cases_closed"),
          }),
      },
      t("cases_close"),
    );
  }

  async function closeGroup(item) {
    try {
      await m.request("group_close", { group: item.id, reason: reason.select.value });
      const done = t("admin_groups_closed", { group: item.id });
      fill(status, h("p", { class: "notice", role: "status" }, done));
      await refresh();
    } catch (failure) {
      fill(status, failureNote(failure));
    }
  }

  function groupAction(item) {
    if (item.closed_at) return "";
    return h(
      "button",
      {
        type: "button",
        class: "danger",
        "aria-label": t("admin_groups_close_label", { group: item.id }),
        onclick: (event) =>
          confirmInline(status, {
            question: t("admin_groups_close_question", { group: item.id }),
            yes: t("admin_groups_close_yes"),
            no: t("desk_cancel"),
            opener: event.currentTarget,
            onYes: () => closeGroup(item),
          }),
      },
      t("admin_groups_close"),
    );
  }

  function drawGroups(groups) {
    if (groups.length === 0) {
      fill(groupList, h("p", { class: "notice" }, t("admin_groups_none")));
      return;
    }
    fill(
      groupList,
      table(
        t("admin_groups_caption"),
        [
          t("admin_groups_col_group"),
          t("cases_col_created"),
          t("cases_col_status"),
          t("cases_col_members"),
          t("cases_col_action"),
        ],
        groups.map((item) => [
          h("code", {}, item.id),
          formatDate(item.created_at),
          item.closed_at
            ? t("cases_closed_on", { date: formatDate(item.closed_at) })
            : t("cases_open"),
          String(item.members),
          groupAction(item),
        ]),
      ),
    );
  }

  function drawList(cases) {
    if (cases.length === 0) {
      fill(list, h("p", { class: "notice" }, t("cases_none")));
      return;
    }
    fill(
      list,
      table(
        t("cases_caption"),
        [
          t("cases_col_case"),
          t("cases_col_created"),
          t("cases_col_status"),
          t("cases_col_members"),
          t("cases_col_action"),
        ],
        cases.map((item) => [
          h("code", {}, item.id),
          formatDate(item.created_at),
          item.closed_at
            ? t("cases_closed_on", { date: formatDate(item.closed_at) })
            : t("cases_open"),
          String(item.members),
          action(item),
        ]),
      ),
    );
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
