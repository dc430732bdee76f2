// One peer-support group's conversation (docs/groups.md): the messages with each author's
// chosen name, membership changes as plain lines, a banner that says how long messages
// stay (the group's retention policy), the pinned ground rules, and the same ways to send
// as in a case: text, a nudge, a heart. Anyone can leave at any time, from this screen.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { formatTime, t } from "../i18n.js";
import { durationWords } from "../parts/duration.js";
import { messageList, summary, textForm } from "../parts/messages.js";
import { nudgePicker } from "../parts/nudge.js";
import { confirmInline } from "../parts/confirm.js";

/** Nudges between peers: warm words that fit anyone in the group, worker or caregiver. */
const GROUP_NUDGES = [
  "thinking_of_you",
  "here_for_you",
  "well_done",
  "take_care",
  "thank_you",
  "hard_day",
];

/** What a refusal from the relay means for the person, in a sentence. */
export function groupFailureText(failure) {
  if (isOffline(failure)) return t("needs_connection");
  switch (failure?.code) {
    case "muted":
      return mutedText(failure.details?.until);
    case "not_a_member":
      return t("group_not_member");
    case "group_closed":
      return t("group_closed_note");
    case "already_member":
      return t("group_join_already");
    default:
      return t("group_action_failed");
  }
}

export function mutedText(until) {
  return until ? t("group_muted_until", { time: formatTime(until) }) : t("group_muted");
}

/** The "back to the group" link of the group's sub-screens. */
export function backToGroup(groupId) {
  const href = `#/group/${encodeURIComponent(groupId)}`;
  return h("a", { href, class: "button" }, t("back_group"));
}

/** The group's info for a sub-screen, or (null) a plain explanation with `back` in `main`. */
export async function groupInfoOrExplain(main, messenger, groupId, back) {
  try {
    return await messenger.groups.info(groupId);
  } catch (failure) {
    const why = h("p", {}, groupFailureText(failure));
    main.append(h("h1", {}, t("group_not_found_title")), why, back);
    return null;
  }
}

/** The retention banner's sentences for a group's effective policy. */
export function retentionLines(policy) {
  if (!policy) return [t("group_retention_unknown"), t("group_retention_private")];
  const lines = [];
  const timer = policy.disappearing_timer_s ?? policy.disappearing_timer;
  if (timer === undefined || timer === null || timer === "off") {
    lines.push(t("group_retention_timer_off"));
  } else {
    lines.push(t("group_retention_timer", { time: durationWords(timer) }));
  }
  if (policy.envelope_lifetime) {
    lines.push(t("group_retention_lifetime", { time: durationWords(policy.envelope_lifetime) }));
  }
  lines.push(t("group_retention_private"));
  return lines;
}

/** The banner itself: always visible at the top of the group. */
export function retentionBanner(policy) {
  const headingId = uid("retention");
  return h(
    "section",
    { class: "retention", "aria-labelledby": headingId },
    h("h2", { id: headingId }, t("group_retention_title")),
    h(
      "ul",
      {},
      retentionLines(policy).map((line) => h("li", {}, line)),
    ),
  );
}

export async function show(main, app, where) {
  const m = app.messenger;
  const groupId = where.id;
  let info;
  try {
    info = await m.groups.info(groupId);
  } catch (failure) {
    main.append(
      h("h1", {}, t("group_not_found_title")),
      h(
        "p",
        {},
        failure?.code === "not_a_member" ? t("group_not_member") : groupFailureText(failure),
      ),
      h("a", { href: "#/groups", class: "button" }, t("back_groups")),
    );
    return null;
  }
  const facilitator = info.role === "facilitator";
  let members = new Map(info.members.map((member) => [member.member, member]));
  const title = h("h1", {}, info.name || t("group_unnamed"));
  const description = h("p", { class: "hint" });
  const banner = h("div", {});
  const rules = h("div", {});
  const status = h("div", { role: "status" });
  let muteTimer = null;
  const authorName = (message) =>
    members.get(message.from)?.name || message.fromName || message.name || t("group_someone");
  const list = messageList(app, groupId, "", {
    group: true,
    me: info.me,
    send: (kind, fields) => m.groups.send(groupId, kind, fields),
    authorName,
    onFailure: showFailure,
  });
  const links = h(
    "div",
    { class: "row" },
    h("a", { href: "#/groups", class: "button" }, t("back_groups")),
    h(
      "a",
      { href: `#/group/${encodeURIComponent(groupId)}/members`, class: "button" },
      t("group_members_link"),
    ),
    facilitator
      ? h(
          "a",
          { href: `#/group/${encodeURIComponent(groupId)}/invite`, class: "button" },
          t("group_invite_link"),
        )
      : null,
  );
  // "Foto" and "Inspreken" (a worker also "Bestand": a short video or a PDF leaflet): their
  // code (parts/media-*.js) comes when a group opens.
  const media = h("div", { class: "media-actions" });
  const files = app.me.role !== "caregiver";
  import("../parts/media-compose.js")
    .then((part) => part.mount(media, app, groupId, (key) => app.announce(t(key)), { files }))
    .catch(() => {}); // offline before the module was ever fetched: no pictures for now
  const composer = h(
    "section",
    { class: "composer", "aria-label": t("composer_label") },
    nudgeActions(),
    media,
    textForm((text) => send("text", { text }, "message_sent")),
  );
  const leave = leaveSection();
  main.append(
    h("div", { class: "chat-header" }, title, description, links, banner, rules, status),
    list.node,
    composer,
    leave,
  );
  drawInfo();

  list.set(await m.groups.messages(groupId));
  m.groups.markRead(groupId).catch(() => {});

  const unsubscribe = [
    m.on("group-message", ({ groupId: id, message, isNew }) => {
      if (id !== groupId) return;
      list.update(message, isNew);
      if (isNew && !message.outgoing && message.kind !== "system") {
        app.announce(t("group_new_message", { name: authorName(message), text: summary(message) }));
        m.groups.markRead(groupId).catch(() => {});
      }
    }),
    m.on("group-changed", ({ groupId: id }) => id === groupId && refresh()),
    // The group's name and rules may arrive after joining (group_meta from a facilitator).
    m.on("groups", () => refresh()),
  ];
  return {
    destroy: () => {
      unsubscribe.forEach((off) => off());
      window.clearTimeout(muteTimer);
    },
  };

  async function refresh() {
    try {
      info = await m.groups.info(groupId);
    } catch (failure) {
      if (failure?.code === "not_a_member") showGone(null);
      return;
    }
    const before = members;
    members = new Map(info.members.map((member) => [member.member, member]));
    drawInfo();
    // Someone chose or changed their name: show it on their messages too (unless the person
    // is busy in the list right now).
    const renamed = [...members.values()].some(
      (member) => before.get(member.member)?.name !== member.name,
    );
    if (renamed && !list.node.contains(document.activeElement)) {
      list.set(await m.groups.messages(groupId));
    }
  }

  function myMute() {
    const until = info.members.find((member) => member.me)?.mutedUntil || 0;
    return until > Date.now() / 1000 ? until : 0;
  }

  /** Title, description, banner, rules and the muted note from the latest group info. */
  function drawInfo() {
    if (info.left) {
      showGone();
      return;
    }
    title.textContent = info.name || t("group_unnamed");
    description.textContent = info.description || "";
    description.hidden = !info.description;
    banner.replaceChildren(retentionBanner(info.policy));
    rules.replaceChildren();
    if (info.rules) {
      const rulesId = uid("rules");
      rules.append(
        h(
          "section",
          { class: "rules", "aria-labelledby": rulesId },
          h("h2", { id: rulesId }, t("group_rules_title")),
          h("p", { class: "body" }, info.rules),
        ),
      );
    }
    const until = myMute();
    window.clearTimeout(muteTimer);
    if (until) {
      // When the mute ends, the composer comes back by itself.
      const wait = Math.min((until - Date.now() / 1000) * 1000 + 1000, 2 ** 31 - 1);
      muteTimer = window.setTimeout(refresh, wait);
    }
    const closed = Boolean(info.closedAt);
    composer.hidden = closed;
    for (const control of composer.querySelectorAll("button, textarea"))
      control.disabled = Boolean(until);
    if (closed) status.replaceChildren(h("p", { class: "notice" }, t("group_closed_note")));
    else if (until) status.replaceChildren(h("p", { class: "notice" }, mutedText(until)));
    else if (!info.members.find((member) => member.me)?.name) status.replaceChildren(nameMissing());
    else status.replaceChildren();
  }

  /** Without a name the others cannot tell who wrote: ask for one (a facilitator, mostly). */
  function nameMissing() {
    return h(
      "p",
      { class: "notice" },
      t("group_name_missing"),
      " ",
      h(
        "a",
        { href: `#/group/${encodeURIComponent(groupId)}/members` },
        t("group_name_missing_link"),
      ),
    );
  }

  function showFailure(failure) {
    status.replaceChildren(h("p", { class: "notice" }, groupFailureText(failure)));
  }

  /** Out of the group: what was said stays readable here, nothing can be sent. */
  function showGone(reason = info.left) {
    composer.hidden = true;
    leave.hidden = true;
    list.node.classList.add("read-only");
    const key =
      { removed: "group_removed_you", left: "group_left_you" }[reason] || "group_not_member";
    status.replaceChildren(h("p", { class: "notice" }, t(key)));
  }

  async function send(kind, fields, doneKey) {
    try {
      await m.groups.send(groupId, kind, fields);
      app.announce(app.state === "online" ? t(doneKey) : t("status_queued_long"));
      return true;
    } catch (failure) {
      showFailure(failure);
      return false;
    }
  }

  function nudgeActions() {
    const button = h(
      "button",
      { type: "button", "aria-expanded": "false" },
      h("span", { "aria-hidden": "true" }, "💛"),
      t("nudge_button_caregiver"),
    );
    const panel = h(
      "div",
      { class: "card", id: uid("nudge-panel"), hidden: true },
      nudgePicker(async (nudge) => {
        await send("nudge", nudge, "nudge_sent");
        panel.hidden = true;
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }, GROUP_NUDGES),
    );
    button.setAttribute("aria-controls", panel.id);
    button.addEventListener("click", () => {
      const open = panel.hidden;
      panel.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) panel.querySelector("button")?.focus();
    });
    return h("div", {}, h("div", { class: "quick-actions" }, button), panel);
  }

  /** Leaving is always possible, asked once, and says what happens. */
  function leaveSection() {
    const headingId = uid("leave");
    const place = h("div", {});
    const error = h("div", { role: "alert" });
    const button = h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: () =>
          confirmInline(place, {
            question: t("group_leave_question"),
            yes: t("group_leave_yes"),
            no: t("group_leave_no"),
            opener: button,
            onYes: async () => {
              try {
                await m.groups.leave(groupId);
                app.announce(t("group_left"));
                app.go("/groups");
              } catch (failure) {
                place.replaceChildren();
                error.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
                button.focus();
              }
            },
          }),
      },
      t("group_leave"),
    );
    return h(
      "section",
      { class: "card leave", "aria-labelledby": headingId },
      h("h2", { id: headingId }, t("group_leave_title")),
      h("p", {}, t("group_leave_intro")),
      button,
      place,
      error,
    );
  }
}
