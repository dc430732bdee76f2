// In-person onboarding: the worker makes an invite, the caregiver scans the QR code at the
// kitchen table. The token and the worker's key fingerprint are in the link's fragment, so
// they never reach a server log. The name the worker types stays on this device.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { language, t } from "../i18n.js";
import { appLink, qrSvg } from "../parts/qr.js";

export async function show(main, app) {
  const m = app.messenger;
  const nameId = uid("name");
  const nameInput = h("input", { id: nameId, type: "text", maxlength: "80", autocomplete: "off" });
  const result = h("div", { "aria-live": "polite" });
  const joinedNote = h("div", { role: "status" });
  const make = h("button", { type: "submit", class: "primary big" }, t("invite_make"));
  let invited = false;
  const before = new Set((await m.conversations()).map((item) => item.id));

  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        make.disabled = true;
        result.replaceChildren(h("p", { class: "hint" }, t("invite_making")));
        try {
          const invite = await m.createInvite("caregiver");
          invite.link = appLink(invite.link);
          invited = true;
          app.inviteMade(nameInput.value.trim());
          drawInvite(invite);
        } catch (failure) {
          result.replaceChildren(
            h(
              "p",
              { class: "error", role: "alert" },
              isOffline(failure) ? t("invite_offline") : t("invite_failed"),
            ),
          );
        } finally {
          make.disabled = false;
        }
      },
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: nameId }, t("invite_name_label")),
      h("p", { class: "hint", id: `${nameId}-hint` }, t("name_hint")),
      nameInput,
    ),
    make,
  );
  nameInput.setAttribute("aria-describedby", `${nameId}-hint`);
  main.append(h("h1", {}, t("invite_title")), h("p", {}, t("invite_intro")), form, result, joinedNote);

  function drawInvite(invite) {
    const locale = language() === "nl" ? "nl-NL" : "en-GB";
    const expires = new Date(invite.expiresAt * 1000).toLocaleDateString(locale, {
      day: "numeric",
      month: "long",
    });
    result.replaceChildren(
      h(
        "section",
        { class: "card", "aria-labelledby": "invite-ready" },
        h("h2", { id: "invite-ready" }, t("invite_ready")),
        h("p", {}, t("invite_scan")),
        qrSvg(invite.link, t("invite_qr_label")),
        h("p", {}, t("invite_link_label")),
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
    result.querySelector("h2").setAttribute("tabindex", "-1");
    result.querySelector("h2").focus();
  }

  // The caregiver joins while the worker waits at the table; the shell names them
  // (main.js nameNewcomers), this screen says so and offers the first message.
  const off = m.on("conversation", async () => {
    if (!invited) return;
    await app.naming;
    const fresh = (await m.conversations()).filter(
      (item) => item.role === "caregiver" && !before.has(item.id),
    );
    if (fresh.length !== 1) return;
    before.add(fresh[0].id);
    const shown = await app.nameOf(fresh[0]);
    joinedNote.replaceChildren(
      h(
        "div",
        { class: "notice" },
        h("p", {}, t("invite_joined", { name: shown })),
        h(
          "a",
          { class: "button primary", href: `#/chat/${encodeURIComponent(fresh[0].id)}` },
          t("invite_open_chat", { name: shown }),
        ),
      ),
    );
  });
  return { destroy: off };
}
