// Organisation admin: every account of the organisation (role, status, since when, devices).
// Disable or enable an account (with a reason code for the audit log) and revoke a lost
// device; both take effect on live connections at once. Staff (workers, officers, admins)
// get a name the admin gives them; caregivers stay nameless on the relay (issue 19 item 7).
// Each device shows the label it gave itself, the day it was added and last seen, so the
// lost phone is picked with confidence; revoked devices stay listed with when, by whom, why.

import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import {
  confirmInline,
  failureNote,
  formatDate,
  inputField,
  reasonField,
  reasonLabel,
  roleLabel,
  selectField,
  table,
} from "../parts/desk.js";

const STATUS_REASONS = [
  "staff_change",
  "left_organisation",
  "account_compromised",
  "suspected_misuse",
  "security_incident",
  "client_request",
];

// Why a device is revoked goes into the audit log as the admin chose it (docs/audit.md).
const REVOKE_REASONS = [
  "account_compromised",
  "security_incident",
  "left_organisation",
  "staff_change",
  "suspected_misuse",
];

export async function show(main, app) {
  const m = app.messenger;
  const list = h("div", {});
  const status = h("div", { "aria-live": "polite" });
  const reason = reasonField("staff_change", STATUS_REASONS, t("accounts_reason_label"));
  const revokeReason = reasonField(
    "account_compromised",
    REVOKE_REASONS,
    t("accounts_revoke_reason_label"),
  );

  const naming = nameForm();
  const history = h("div", {});

  async function refresh() {
    try {
      const { accounts } = await m.request("admin_accounts", {});
      drawList(accounts || []);
      naming.offer(accounts || []);
      drawHistory(accounts || []);
    } catch (failure) {
      fill(list, failureNote(failure));
    }
  }

  async function setStatus(account, wanted) {
    try {
      await m.request("admin_set_account_status", {
        account: account.id,
        status: wanted,
        reason: reason.select.value,
      });
      fill(
        status,
        h(
          "p",
          { class: "notice", role: "status" },
          t(`accounts_now_${wanted}`, { account: account.id }),
        ),
      );
      await refresh();
    } catch (failure) {
      fill(status, failureNote(failure));
    }
  }

  function statusButton(account) {
    // Your own account and devices are not switched off from here: that would lock you out.
    if (account.status === "revoked" || account.id === app.me.accountId) return "—";
    const active = account.status === "active";
    return h(
      "button",
      {
        type: "button",
        class: active ? "danger" : "primary",
        "aria-label": t(active ? "accounts_disable_label" : "accounts_enable_label", {
          account: account.id,
        }),
        onclick: (event) => {
          if (!active) {
            setStatus(account, "active");
            return;
          }
          confirmInline(status, {
            question: t("accounts_disable_question", { account: account.id }),
            yes: t("accounts_disable_yes"),
            no: t("desk_cancel"),
            opener: event.currentTarget,
            onYes: () => setStatus(account, "disabled"),
          });
        },
      },
      t(active ? "accounts_disable" : "accounts_enable"),
    );
  }

  /** "Telefoon Anja" or, for a device that gave itself no name, the start of its key. */
  function deviceName(device) {
    return device.label || t("accounts_device_unnamed", { device: device.id.slice(0, 8) });
  }

  /** A staff member's name and number, or only the number. */
  function accountName(accountsById, id) {
    const account = accountsById.get(id);
    return account?.name ? `${account.name} (${id.slice(0, 12)}…)` : `${id.slice(0, 12)}…`;
  }

  /** Choose a worker, officer or admin and give them the name colleagues know them by. */
  function nameForm() {
    const who = selectField(t("accounts_name_who"), [], { name: "account" });
    const name = inputField(
      t("accounts_name_label"),
      { type: "text", name: "name", maxlength: "60", autocomplete: "off" },
      t("accounts_name_hint"),
    );
    const said = h("div", { "aria-live": "polite" });
    let staff = [];
    const form = h(
      "form",
      {
        class: "card",
        "aria-labelledby": "accounts-name-title",
        onsubmit: async (event) => {
          event.preventDefault();
          const account = staff.find((item) => item.id === who.select.value);
          if (!account) return;
          try {
            const reply = await m.request("admin_set_display_name", {
              account: account.id,
              name: name.input.value.trim() || null,
            });
            fill(said, h("p", { class: "notice", role: "status" }, reply.name
              ? t("accounts_name_saved", { name: reply.name })
              : t("accounts_name_cleared")));
            name.input.value = "";
            await refresh();
          } catch (failure) {
            fill(said, failureNote(failure, { name: t("accounts_name_label") }));
          }
        },
      },
      h("h2", { id: "accounts-name-title" }, t("accounts_name_title")),
      h("p", { class: "hint" }, t("accounts_name_intro")),
      who.field,
      name.field,
      h("button", { type: "submit", class: "primary" }, t("accounts_name_save")),
      said,
    );
    function offer(accounts) {
      const chosen = who.select.value;
      staff = accounts.filter((item) => item.role !== "caregiver" && item.status !== "revoked");
      who.select.replaceChildren(
        ...staff.map((item) =>
          h(
            "option",
            { value: item.id, selected: item.id === chosen },
            `${item.name || t("accounts_no_name")} — ${roleLabel(item.role)} — ${item.id.slice(0, 12)}…`,
          ),
        ),
      );
    }
    return { form, offer };
  }

  /** Revoked devices stay listed: which, whose, when, by whom and why. */
  function drawHistory(accounts) {
    const byId = new Map(accounts.map((item) => [item.id, item]));
    const revoked = accounts.flatMap((account) =>
      account.devices
        .filter((device) => device.status === "revoked")
        .map((device) => ({ account, device })),
    );
    revoked.sort((a, b) => (b.device.revoked_at ?? 0) - (a.device.revoked_at ?? 0));
    if (revoked.length === 0) {
      fill(history, h("h2", {}, t("accounts_history_title")), h("p", {}, t("accounts_history_none")));
      return;
    }
    fill(
      history,
      h("h2", {}, t("accounts_history_title")),
      table(
        t("accounts_history_caption"),
        [
          t("accounts_history_col_device"),
          t("accounts_col_account"),
          t("accounts_history_col_when"),
          t("accounts_history_col_by"),
          t("accounts_history_col_why"),
        ],
        revoked.map(({ account, device }) => [
          deviceName(device),
          accountName(byId, account.id),
          formatDate(device.revoked_at),
          device.revoked_by ? accountName(byId, device.revoked_by) : t("accounts_history_by_relay"),
          device.revoke_reason ? reasonLabel(device.revoke_reason) : t("accounts_history_no_reason"),
        ]),
      ),
    );
  }

  function devicesCell(account) {
    const devices = account.devices.filter((device) => device.status === "active");
    if (devices.length === 0) return t("accounts_no_devices");
    const own = account.id === app.me.accountId;
    return h(
      "ul",
      { class: "plain" },
      devices.map((device) =>
        h(
          "li",
          { class: "device" },
          h("strong", {}, deviceName(device)),
          " ",
          h("code", { class: "pseudonym" }, `${device.id.slice(0, 8)}…`),
          h("br"),
          t("accounts_device_added", { date: formatDate(device.added_at) }),
          ", ",
          device.online
            ? t("accounts_online")
            : device.seen_day
              ? t("accounts_device_seen", { date: formatDate(device.seen_day) })
              : t("accounts_device_not_seen"),
          " ",
          own
            ? null
            : h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  "aria-label": t("accounts_revoke_label", { device: deviceName(device) }),
                  onclick: (event) =>
                    confirmInline(status, {
                      question: t("accounts_revoke_question", { device: deviceName(device) }),
                      yes: t("accounts_revoke_yes"),
                      no: t("desk_cancel"),
                      opener: event.currentTarget,
                      onYes: async () => {
                        try {
                          await m.request("admin_revoke_device", {
                            device: device.id,
                            reason: revokeReason.select.value,
                          });
                          fill(
                            status,
                            h("p", { class: "notice", role: "status" }, t("accounts_revoked")),
                          );
                          await refresh();
                        } catch (failure) {
                          fill(status, failureNote(failure));
                        }
                      },
                    }),
                },
                t("accounts_revoke"),
              ),
        ),
      ),
    );
  }

  function drawList(accounts) {
    const me = app.me.accountId;
    fill(
      list,
      table(
        t("accounts_caption"),
        [
          t("accounts_col_account"),
          t("accounts_col_role"),
          t("accounts_col_status"),
          t("accounts_col_created"),
          t("accounts_col_devices"),
          t("accounts_col_action"),
        ],
        accounts.map((account) => [
          h(
            "span",
            {},
            account.name ? h("strong", {}, account.name) : null,
            account.name ? h("br") : null,
            h("code", {}, account.id),
            account.id === me ? ` (${t("accounts_you")})` : null,
          ),
          roleLabel(account.role),
          t(`account_status_${account.status}`),
          formatDate(account.created_at),
          devicesCell(account),
          statusButton(account),
        ]),
      ),
    );
  }

  main.append(
    h("h1", {}, t("accounts_title")),
    h("p", {}, t("accounts_intro")),
    h("div", { class: "card" }, reason.field, revokeReason.field),
    status,
    list,
    naming.form,
    history,
  );
  await refresh();
  return null;
}
