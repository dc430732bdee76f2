// Organisation admin: every account of the organisation (role, status, since when, devices).
// Disable or enable an account (with a reason code for the audit log) and revoke a lost
// device; both take effect on live connections at once. Ids only: names never reach the relay.

import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import {
  confirmInline,
  failureNote,
  formatDate,
  reasonField,
  roleLabel,
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

  async function refresh() {
    try {
      const { accounts } = await m.request("admin_accounts", {});
      drawList(accounts || []);
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
          h("code", { class: "pseudonym" }, `${device.id.slice(0, 8)}…`),
          " ",
          device.online ? t("accounts_online") : t("accounts_offline"),
          " ",
          own
            ? null
            : h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  "aria-label": t("accounts_revoke_label", { device: device.id.slice(0, 8) }),
                  onclick: (event) =>
                    confirmInline(status, {
                      question: t("accounts_revoke_question", { device: device.id.slice(0, 8) }),
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
  );
  await refresh();
  return null;
}
