// Joining a peer-support group from an invite link ("…/#group=…"): from the QR code the
// worker shows face to face, or from the invitation card in the case conversation. The
// person picks the name the others in the group will see; nothing else about them is shown.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { t } from "../i18n.js";

/** Why a join was refused, as what the person can do about it. */
const REFUSALS = {
  ticket_used: "group_join_used",
  ticket_expired: "group_join_expired",
  ticket_invalid: "group_join_invalid",
  bad_signature: "group_join_invalid",
  malformed: "group_join_invalid",
  wrong_group: "group_join_invalid",
  group_full: "group_join_full",
};
const FINAL = new Set([
  "group_join_used",
  "group_join_expired",
  "group_join_revoked",
  "group_join_invalid",
  "group_join_full",
  "group_closed_note",
]);

function refusalKey(failure) {
  if (isOffline(failure)) return "group_join_offline";
  switch (failure?.code) {
    case "group_record_refused":
      return REFUSALS[failure.details?.reason] || "group_join_other";
    case "invite_revoked":
      return "group_join_revoked";
    case "already_member":
      return "group_join_already";
    case "group_closed":
      return "group_closed_note";
    case "not_a_member":
    case "not_permitted":
      return "group_join_invalid";
    default:
      return "group_join_other";
  }
}

export async function show(main, app) {
  const pending = app.pendingGroup;
  if (!pending?.link) {
    main.append(
      h("h1", {}, t("group_join_title")),
      h("p", { class: "notice" }, t("group_join_no_link")),
      h("a", { href: "#/groups", class: "button" }, t("back_groups")),
    );
    return null;
  }
  if (!app.me) {
    // A group is for people who already use Steuntje with a support worker.
    main.append(
      h(
        "section",
        { class: "welcome", "aria-labelledby": "group-join-title" },
        h("img", { class: "logo", src: "/app/icons/icon.svg", alt: "" }),
        h("h1", { id: "group-join-title" }, t("group_join_title")),
        h("p", {}, t("group_join_needs_account")),
      ),
    );
    return null;
  }
  const parsed = await app.messenger.groups.parseLink(pending.link);
  if (!parsed) {
    main.append(
      h("h1", {}, t("group_join_title")),
      h("p", { class: "error" }, t("group_join_invalid")),
      h("a", { href: "#/groups", class: "button" }, t("back_groups")),
    );
    return null;
  }
  const nameId = uid("display-name");
  const input = h("input", {
    id: nameId,
    type: "text",
    maxlength: "40",
    autocomplete: "off",
    "aria-describedby": `${nameId}-hint ${nameId}-privacy`,
    "data-autofocus": "",
  });
  const error = h("div", { role: "alert" });
  const busy = h("p", { class: "hint", role: "status" });
  const button = h("button", { type: "submit", class: "primary big" }, t("group_join_button"));
  const expired = parsed.expires && parsed.expires < Date.now() / 1000;

  main.append(
    h(
      "section",
      { class: "welcome group-join", "aria-labelledby": "group-join-title" },
      h("h1", { id: "group-join-title" }, t("group_join_title")),
      pending.name
        ? h("p", {}, t("group_join_named", { group: pending.name }))
        : h("p", {}, t("group_join_intro")),
      h("p", {}, t("group_join_what")),
    ),
    h(
      "form",
      { class: "card", onsubmit: join },
      h("label", { for: nameId }, t("group_display_name_label")),
      h("p", { class: "hint", id: `${nameId}-hint` }, t("group_display_name_hint")),
      input,
      h("p", { class: "notice", id: `${nameId}-privacy` }, t("group_join_privacy")),
      error,
      button,
      busy,
      h("p", {}, h("a", { href: "#/", class: "button" }, t("group_join_not_now"))),
    ),
  );
  if (expired) {
    error.append(h("p", { class: "error" }, t("group_join_expired")));
    button.disabled = true;
  }

  async function join(event) {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) {
      input.setAttribute("aria-invalid", "true");
      error.replaceChildren(h("p", { class: "error" }, t("group_join_name_needed")));
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    button.disabled = true;
    error.replaceChildren();
    busy.textContent = t("group_join_busy");
    try {
      const { id } = await app.messenger.groups.join(pending.link, name);
      app.forgetGroupLink();
      app.announce(t("group_joined", { name }));
      app.go(`/group/${encodeURIComponent(id)}`);
    } catch (failure) {
      busy.textContent = "";
      const key = refusalKey(failure);
      error.replaceChildren(h("p", { class: "error" }, t(key)));
      if (key === "group_join_already") {
        error.append(h("p", {}, h("a", { href: "#/groups", class: "button" }, t("back_groups"))));
      }
      button.disabled = FINAL.has(key) || key === "group_join_already";
    }
  }
}
