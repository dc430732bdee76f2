// A facilitator invites people to a group: a QR code to scan face to face, or the invitation
// sent end to end into a caregiver's own case conversation (a card with "Doe mee met de
// groep"). Each invitation works for one person, once; the link is shared like a key.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { language, t } from "../i18n.js";
import { appLink, qrSvg } from "../parts/qr.js";
import { backToGroup, groupFailureText, groupInfoOrExplain } from "./group.js";

export async function show(main, app, where) {
  const m = app.messenger;
  const groupId = where.id;
  const back = backToGroup(groupId);
  const info = await groupInfoOrExplain(main, m, groupId, back);
  if (!info) return null;
  const groupName = info.name || t("group_unnamed");
  main.append(
    h("h1", {}, t("group_invite_title", { group: groupName })),
    h("div", { class: "row toolbar" }, back),
  );
  if (info.role !== "facilitator") {
    main.append(h("p", { class: "notice" }, t("group_invite_only_facilitator")));
    return null;
  }
  main.append(qrSection(), await caseloadSection());
  return null;

  function qrSection() {
    const result = h("div", { "aria-live": "polite" });
    const make = h("button", { type: "button", class: "primary big" }, t("invite_make"));
    make.addEventListener("click", async () => {
      make.disabled = true;
      result.replaceChildren(h("p", { class: "hint" }, t("invite_making")));
      try {
        const invite = await m.groups.invite(groupId);
        drawInvite(result, appLink(invite.link), invite.expiresAt);
      } catch (failure) {
        result.replaceChildren(
          h(
            "p",
            { class: "error", role: "alert" },
            isOffline(failure) ? t("invite_offline") : groupFailureText(failure),
          ),
        );
      } finally {
        make.disabled = false;
      }
    });
    const headingId = uid("qr");
    return h(
      "section",
      { class: "card", "aria-labelledby": headingId },
      h("h2", { id: headingId }, t("group_invite_qr_title")),
      h("p", {}, t("group_invite_qr_intro")),
      make,
      result,
    );
  }

  function drawInvite(place, link, expiresAt) {
    const locale = language() === "nl" ? "nl-NL" : "en-GB";
    const expires = new Date(expiresAt * 1000).toLocaleDateString(locale, {
      day: "numeric",
      month: "long",
    });
    const readyId = uid("ready");
    place.replaceChildren(
      h(
        "div",
        { class: "invite-ready" },
        h("h3", { id: readyId, tabindex: "-1" }, t("invite_ready")),
        h("p", {}, t("group_invite_scan")),
        qrSvg(link, t("group_invite_qr_label")),
        h("p", {}, t("invite_link_label")),
        h(
          "p",
          {},
          h(
            "a",
            { class: "invite-link", href: link, id: "group-invite-link", rel: "noreferrer" },
            link,
          ),
        ),
        h("p", { class: "hint" }, t("invite_valid_until", { date: expires })),
        h("p", { class: "hint" }, t("group_invite_like_key")),
      ),
    );
    place.querySelector("h3").focus();
  }

  /** The worker's own caregivers: the invitation goes into their case conversation. */
  async function caseloadSection() {
    const headingId = uid("from-caseload");
    const status = h("div", { role: "status" });
    const section = h(
      "section",
      { class: "card", "aria-labelledby": headingId },
      h("h2", { id: headingId }, t("group_invite_caseload_title")),
      h("p", {}, t("group_invite_caseload_intro")),
    );
    const caregivers = (await m.conversations()).filter((item) => item.role === "caregiver");
    if (caregivers.length === 0) {
      section.append(h("p", { class: "hint" }, t("group_invite_caseload_empty")));
      return section;
    }
    const list = h("ul", {
      class: "plain invite-caregivers",
      "aria-label": t("caseload_list_label"),
    });
    for (const caregiver of caregivers) {
      const name = await app.nameOf(caregiver);
      const button = h("button", { type: "button" }, t("group_invite_send", { name }));
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await m.groups.inviteToCase(groupId, caregiver.id);
          const done = t("group_invite_sent_to", { name, group: groupName });
          status.replaceChildren(h("p", { class: "notice" }, done));
          app.announce(done);
          button.textContent = t("group_invite_sent_again", { name });
        } catch (failure) {
          status.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
        } finally {
          button.disabled = false;
        }
      });
      list.append(h("li", { class: "row" }, h("span", { class: "grow" }, name), button));
    }
    section.append(list, status);
    return section;
  }
}
