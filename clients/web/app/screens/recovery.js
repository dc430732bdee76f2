// "Nieuwe telefoon of alles kwijt?" (issue 20): a worker makes a one-time recovery code for a
// caregiver on their case whose phone lost Steuntje. The caregiver scans it and is back in
// the same account and conversation; their old phone is signed off (PROTOCOL.md §4.2). The
// code is a bearer credential, so the screen asks the worker to check who they talk to.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { language, t } from "../i18n.js";
import { appLink, qrSvg } from "../parts/qr.js";

/** What a refused approval means for the worker approving it. */
const APPROVE_ERRORS = {
  not_permitted: "approve_not_yours",
  unknown_recovery: "approve_unknown",
  malformed: "approve_unknown",
  invite_used: "approve_used",
  invite_expired: "approve_expired",
  invite_revoked: "approve_revoked",
};

export async function show(main, app, where) {
  if (where.id === "approve") return showApprove(main, app); // #/recovery/approve
  const m = app.messenger;
  const conversation = (await m.conversations()).find((item) => item.id === where.id);
  if (!conversation || conversation.role !== "caregiver") {
    main.append(
      h("h1", {}, t("chat_not_found_title")),
      h("a", { href: "#/", class: "button" }, t("back_caseload")),
    );
    return null;
  }
  const name = await app.nameOf(conversation);
  const result = h("div", { "aria-live": "polite" });
  const doneNote = h("div", { role: "status" });
  const make = h("button", { type: "button", class: "primary big" }, t("recovery_make"));
  let made = false;
  make.addEventListener("click", async () => {
    make.disabled = true;
    result.replaceChildren(h("p", { class: "hint" }, t("recovery_making")));
    try {
      const invite = await m.createRecovery(conversation.id);
      invite.link = appLink(invite.link);
      made = true;
      drawCode(invite);
    } catch (failure) {
      const key =
        failure?.code === "not_permitted"
          ? "recovery_not_permitted"
          : isOffline(failure)
            ? "recovery_offline"
            : "recovery_failed";
      result.replaceChildren(h("p", { class: "error", role: "alert" }, t(key, { name })));
    } finally {
      make.disabled = false;
    }
  });

  main.append(
    h("h1", {}, t("recovery_title")),
    h("p", {}, t("recovery_intro", { name })),
    h("p", { class: "notice" }, t("recovery_warning", { name })),
    h("p", {}, t("recovery_old_gone")),
    h("p", {}, make),
    result,
    doneNote,
    h(
      "p",
      {},
      h(
        "a",
        { href: `#/chat/${encodeURIComponent(conversation.id)}`, class: "button" },
        t("recovery_back"),
      ),
    ),
  );

  function drawCode(invite) {
    const locale = language() === "nl" ? "nl-NL" : "en-GB";
    const until = new Date(invite.expiresAt * 1000).toLocaleString(locale, {
      day: "numeric",
      month: "long",
      hour: "2-digit",
      minute: "2-digit",
    });
    result.replaceChildren(
      h(
        "section",
        { class: "card", "aria-labelledby": "recovery-ready" },
        h("h2", { id: "recovery-ready", tabindex: "-1" }, t("recovery_ready")),
        h("p", {}, t("recovery_scan", { name })),
        qrSvg(invite.link, t("recovery_qr_label")),
        h("p", {}, t("recovery_link_label")),
        h(
          "p",
          {},
          h(
            "a",
            { class: "invite-link", href: invite.link, id: "recovery-link", rel: "noreferrer" },
            invite.link,
          ),
        ),
        h("p", { class: "hint" }, t("recovery_valid_until", { date: until })),
        // The organisation wants a second worker's approval: the id is what the colleague
        // enters ("Herstel goedkeuren"); it cannot be used to come back itself.
        invite.approval === "pending"
          ? h(
              "div",
              { class: "notice" },
              h("p", {}, t("recovery_needs_approval", { name })),
              h("p", { class: "recovery-id" }, t("recovery_id_label"), " ", h("strong", {}, invite.recoveryId)),
            )
          : null,
      ),
    );
    result.querySelector("h2").focus();
  }

  // The caregiver redeems it while the worker waits: their device list changes (the
  // messenger's "identity" event), and the new safety number is one tap away.
  const off = m.on("identity", ({ accountId }) => {
    if (!made || accountId !== conversation.id) return;
    doneNote.replaceChildren(
      h(
        "div",
        { class: "notice" },
        h("p", {}, t("recovery_done", { name })),
        h(
          "a",
          { class: "button primary", href: `#/safety/${encodeURIComponent(conversation.id)}` },
          t("recovery_compare"),
        ),
      ),
    );
  });
  return { destroy: off };
}

/** "Herstel goedkeuren": where the organisation wants a second worker's approval, a
 * colleague enters the recovery number the issuing worker told them (PROTOCOL §4.2). */
function showApprove(main, app) {
  const fieldId = uid("recovery-id");
  const input = h("input", {
    id: fieldId,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    "aria-describedby": `${fieldId}-hint`,
  });
  const result = h("div", { "aria-live": "polite" });
  const approve = h("button", { type: "submit", class: "primary" }, t("approve_button"));
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        approve.disabled = true;
        result.replaceChildren();
        try {
          await app.messenger.approveRecovery(recoveryId(input.value));
          result.replaceChildren(h("p", { class: "notice", role: "status" }, t("approve_done")));
          input.value = "";
        } catch (failure) {
          const key = APPROVE_ERRORS[failure?.code] || (isOffline(failure) ? "recovery_offline" : "approve_failed");
          result.replaceChildren(h("p", { class: "error", role: "alert" }, t(key)));
        } finally {
          approve.disabled = false;
        }
      },
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: fieldId }, t("approve_label")),
      h("p", { class: "hint", id: `${fieldId}-hint` }, t("approve_hint")),
      input,
    ),
    approve,
  );
  main.append(
    h("h1", {}, t("approve_title")),
    h("p", {}, t("approve_intro")),
    form,
    result,
    h("p", {}, h("a", { href: "#/", class: "button" }, t("back_caseload"))),
  );
  return null;
}

/** The number as typed ("k7qf 2m9x") in the relay's form ("K7QF-2M9X"). */
function recoveryId(typed) {
  const plain = typed.toUpperCase().replace(/[^A-Z0-9]/g, "");
  return plain.length === 8 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : typed.trim();
}
