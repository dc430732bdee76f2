// Organisation admin: invite a support worker, a privacy officer or another admin. The same
// QR code and link as the worker's kitchen-table invite (parts/qr.js): the token and this
// device's key stay in the link's fragment, never in a server log.

import { h, uid } from "../dom.js";
import { language, loadPart, t } from "../i18n.js";
import { failureNote, roleLabel } from "../parts/desk.js";
import { appLink, qrSvg } from "../parts/qr.js";

const ROLES = ["worker", "officer", "admin"];

export async function show(main, app) {
  await loadPart("worker"); // strings only the worker's and admin's screens use
  const result = h("div", { "aria-live": "polite" });
  const roles = h("fieldset", {}, h("legend", {}, t("admin_invite_role_label")));
  for (const role of ROLES) {
    const id = uid("role");
    roles.append(
      h(
        "label",
        { class: "check", for: id },
        h("input", { type: "radio", name: "role", id, value: role, required: true }),
        roleLabel(role),
      ),
    );
  }
  const make = h("button", { type: "submit", class: "primary" }, t("admin_invite_make"));
  const form = h(
    "form",
    {
      class: "card",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        // Nothing is chosen for the admin: an invite for the wrong role gives someone the
        // wrong powers, so the admin picks one, and is told when they did not.
        const role = roles.querySelector("input:checked")?.value;
        if (!role) {
          result.replaceChildren(h("p", { class: "error", role: "alert" }, t("admin_invite_choose")));
          roles.querySelector("input")?.focus();
          return;
        }
        make.disabled = true;
        try {
          // No `fp=` here: colleagues do not message the admin, and the join screen reads
          // a link with a key as "from your support worker" (screens/join.js).
          const reply = await app.messenger.request("invite_create", { role });
          drawInvite({ link: appLink(reply.link), expiresAt: reply.expires_at }, role);
        } catch (failure) {
          result.replaceChildren(failureNote(failure));
        } finally {
          make.disabled = false;
        }
      },
    },
    roles,
    make,
  );
  main.append(
    h("h1", {}, t("admin_invite_title")),
    h("p", {}, t("admin_invite_intro")),
    form,
    result,
  );

  function drawInvite(invite, role) {
    const locale = language() === "nl" ? "nl-NL" : "en-GB";
    const expires = new Date(invite.expiresAt * 1000).toLocaleDateString(locale, {
      day: "numeric",
      month: "long",
    });
    const heading = h(
      "h2",
      { id: "admin-invite-ready", tabindex: "-1" },
      t("admin_invite_ready", { role: roleLabel(role) }),
    );
    result.replaceChildren(
      h(
        "section",
        { class: "card", "aria-labelledby": "admin-invite-ready" },
        heading,
        h("p", {}, t("admin_invite_scan")),
        qrSvg(invite.link, t("invite_qr_label")),
        h("p", {}, t("admin_invite_link_label")),
        h(
          "p",
          {},
          h(
            "a",
            { class: "invite-link", href: invite.link, id: "invite-link", rel: "noreferrer" },
            invite.link,
          ),
        ),
        h("p", { class: "hint" }, t("invite_valid_until", { date: expires })),
      ),
    );
    heading.focus();
  }
  return null;
}
