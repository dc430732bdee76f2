// One conversation's messages as a list: text, nudges, check-ins (with faces to tap),
// answers, call-me requests, a group invitation (a card with "Doe mee met de groep");
// status of one's own messages; hearts under a message. The same list shows a peer-support
// group (options.group): each message with its author's display name, and system lines
// ("Anna doet mee"). Everything a person wrote goes in through textContent (dom.js).

import { FACES, HEART, face } from "../content.js";
import { h, uid } from "../dom.js";
import { has, t } from "../i18n.js";

const SHOWN_KINDS = new Set([
  "text",
  "nudge",
  "checkin",
  "checkin_answer",
  "call_me",
  "group_invite",
]);
const GROUP_KINDS = new Set(["text", "nudge", "system"]);
// Kinds nobody reacts to with a heart.
const NO_HEART = new Set(["checkin_answer", "group_invite", "system"]);

// About oneself a line says "je" ("Je doet mee"), not one's own name.
const ABOUT_ME = new Set(["joined", "left", "removed", "muted", "unmuted"]);

/**
 * A membership change in a group, as one plain sentence ("Anna doet mee"); `me` is one's
 * own member id in that group.
 */
export function systemLine(line, me = null) {
  const name = line.name || t("group_someone");
  if (me && line.member === me && ABOUT_ME.has(line.event)) {
    return t(`group_event_${line.event}_you`);
  }
  switch (line.event) {
    case "joined":
      return t("group_event_joined", { name });
    case "left":
      return t("group_event_left", { name });
    case "removed":
      return t("group_event_removed", { name });
    case "role":
      return line.role === "member"
        ? t("group_event_role_member", { name })
        : t("group_event_role_facilitator", { name });
    case "muted":
      return t("group_event_muted", { name });
    case "unmuted":
      return t("group_event_unmuted", { name });
    case "created":
      return t("group_event_created");
    default:
      return "";
  }
}

/** One line for a group's newest message (groups list, live region). */
export function groupSummary(message) {
  if (message.kind === "system") return systemLine(message);
  const text = summary(message);
  if (message.outgoing) return `${t("you_said")} ${text}`;
  const author = message.fromName || message.name;
  return author ? `${author}: ${text}` : text;
}

const STATUS_KEYS = {
  queued: "status_queued",
  sent: "status_sent",
  delivered: "status_delivered",
  read: "status_read",
  failed: "status_failed",
};

/** One-line summary of a message, for the live region and the caseload. */
export function summary(message) {
  const fields = message.fields || {};
  switch (message.kind) {
    case "text":
      return fields.text;
    case "nudge":
      return `${fields.emoji} ${nudgeText(fields.template)}`.trim();
    case "checkin":
      return `${t("checkin_label")}: ${fields.question}`;
    case "checkin_answer": {
      const chosen = face(fields.answer);
      return chosen ? `${chosen.emoji} ${t(chosen.key)}` : String(fields.answer);
    }
    case "call_me":
      return t("call_me_message");
    case "group_invite":
      return t("group_invite_summary", { name: fields.name || t("group_unnamed") });
    case "system":
      return systemLine(message);
    default:
      return "";
  }
}

export function nudgeText(template) {
  return has(`nudge_${template}`) ? t(`nudge_${template}`) : "";
}

/**
 * A list for one conversation. `app` gives the messenger and the own account;
 * `otherName` is how the other person is called in this app.
 * For a group, `options` = {group: true, me: own member id, send(kind, fields),
 * authorName(message)}: reactions are keyed by member id, authors named per message.
 * Returns {node, set(messages), update(message, isNew), remove(ids)}.
 */
export function messageList(app, conversationId, otherName, options = {}) {
  const items = new Map(); // message id → <li>
  const messages = new Map(); // message id → message (for answers that refer to check-ins)
  const list = h("ol", { class: "messages", "aria-label": t("messages_label") });
  const empty = h("p", { class: "empty" }, t("messages_empty"));
  const node = h("div", {}, empty, list);
  const inGroup = Boolean(options.group);
  const shown = inGroup ? GROUP_KINDS : SHOWN_KINDS;
  const myAccount = inGroup ? options.me : app.me.accountId;
  const sendKind =
    options.send || ((kind, fields) => app.messenger.send(conversationId, kind, fields));
  const authorOf = options.authorName || (() => otherName);
  const keyOf = (message) =>
    message.id ?? `system-${message.event}-${message.member}-${message.at}`;

  function draw(message, isNew) {
    const key = keyOf(message);
    const previous = items.get(key);
    const hadFocus = previous?.contains(document.activeElement)
      ? document.activeElement.dataset.focusKey
      : null;
    const item = message.kind === "system" ? renderSystem(message) : renderMessage(message, isNew);
    items.set(key, item);
    if (previous) {
      previous.replaceWith(item);
    } else {
      list.append(item);
    }
    if (hadFocus) item.querySelector(`[data-focus-key="${hadFocus}"]`)?.focus();
    empty.hidden = items.size > 0;
    return item;
  }

  function renderSystem(line) {
    return h(
      "li",
      { class: "system-line", dataset: { kind: "system", event: line.event } },
      h("p", {}, systemLine(line, myAccount), " ", h("span", { class: "meta" }, app.time(line.at))),
    );
  }

  function renderMessage(message, isNew) {
    const mine = message.outgoing;
    const item = h("li", {
      class: [
        "message",
        mine && "mine",
        message.kind === "call_me" && "call-me",
        message.kind === "group_invite" && "group-invite",
        isNew && "new",
      ],
      dataset: { id: message.id, kind: message.kind },
    });
    if (inGroup && !mine) {
      // In a group everyone sees who wrote what, by the name each person chose.
      item.append(h("p", { class: "author" }, authorOf(message)));
    } else {
      item.append(h("span", { class: "visually-hidden" }, mine ? t("you_said") : `${otherName}:`));
    }
    item.append(...body(message));
    const meta = h("p", { class: "meta" }, h("span", {}, app.time(message.sentAt)));
    if (mine && STATUS_KEYS[message.status]) {
      meta.append(
        " ",
        h(
          "span",
          { class: ["queued", "failed"].includes(message.status) ? "status-waiting" : "status" },
          t(STATUS_KEYS[message.status]),
        ),
      );
    }
    item.append(meta);
    item.append(...reactions(message));
    return item;
  }

  function body(message) {
    const fields = message.fields || {};
    switch (message.kind) {
      case "text":
        return [h("p", { class: "body" }, fields.text)];
      case "nudge":
        return [
          h(
            "p",
            { class: "body" },
            h("span", { class: "emoji", "aria-hidden": "true" }, fields.emoji),
            h("span", { class: "visually-hidden" }, `${fields.emoji} `),
            nudgeText(fields.template),
          ),
        ];
      case "checkin":
        return checkin(message);
      case "checkin_answer": {
        const chosen = face(fields.answer);
        const question = messages.get(fields.checkin)?.fields?.question;
        return [
          h(
            "p",
            { class: "body" },
            h("span", { class: "emoji", "aria-hidden": "true" }, chosen ? chosen.emoji : ""),
            chosen ? t(chosen.key) : String(fields.answer),
          ),
          question ? h("p", { class: "hint" }, t("answer_to", { question })) : null,
        ];
      }
      case "call_me":
        return [
          h(
            "p",
            { class: "body" },
            h("span", { class: "emoji", "aria-hidden": "true" }, "📞"),
            message.outgoing ? t("call_me_sent") : t("call_me_received", { name: otherName }),
          ),
        ];
      case "group_invite":
        return groupInvite(message);
      default:
        return [];
    }
  }

  /** A worker's invitation to a peer-support group, sent in the case conversation. */
  function groupInvite(message) {
    const fields = message.fields || {};
    const groupName = fields.name || t("group_unnamed");
    if (message.outgoing) {
      return [
        h("p", { class: "hint" }, t("group_invite_label")),
        h("p", { class: "body" }, t("group_invite_sent", { name: otherName, group: groupName })),
      ];
    }
    return [
      h("p", { class: "hint" }, t("group_invite_label")),
      h("p", { class: "body" }, h("strong", {}, groupName)),
      h("p", {}, t("group_invite_body", { name: otherName })),
      h(
        "button",
        {
          type: "button",
          class: "primary",
          dataset: { focusKey: "group-join" },
          onclick: () => app.joinGroup?.({ link: fields.link, name: fields.name || "" }),
        },
        t("group_invite_join"),
      ),
    ];
  }

  function checkin(message) {
    const fields = message.fields;
    const question = h("p", { class: "body" }, h("strong", {}, fields.question));
    const answers = message.answers || {};
    if (message.outgoing) {
      const given = Object.entries(answers).filter(([account]) => account !== myAccount);
      const chosen = given.length ? face(given[given.length - 1][1]) : null;
      return [
        h("p", { class: "hint" }, t("checkin_label")),
        question,
        h(
          "p",
          {},
          chosen ? `${t("answer_label")}: ${chosen.emoji} ${t(chosen.key)}` : t("checkin_no_answer"),
        ),
      ];
    }
    const mine = answers[myAccount];
    const group = h("div", { class: "faces", role: "group", "aria-label": fields.question });
    const scale = Math.min(Math.max(Number(fields.scale) || 5, 2), 10);
    const faces = scale === 5 ? FACES : FACES.slice(0, 0);
    for (const option of faces) {
      group.append(
        h(
          "button",
          {
            type: "button",
            "aria-pressed": mine === option.value ? "true" : "false",
            dataset: { focusKey: `face-${option.value}` },
            onclick: () => answer(message, option.value),
          },
          h("span", { class: "face", "aria-hidden": "true" }, option.emoji),
          h("span", {}, t(option.key)),
        ),
      );
    }
    if (!faces.length) {
      // Another scale than five faces (from another app): plain numbered buttons.
      for (let value = 1; value <= scale; value += 1) {
        group.append(
          h(
            "button",
            {
              type: "button",
              "aria-pressed": mine === value ? "true" : "false",
              dataset: { focusKey: `face-${value}` },
              onclick: () => answer(message, value),
            },
            String(value),
          ),
        );
      }
    }
    return [
      h("p", { class: "hint" }, t("checkin_received", { name: otherName })),
      question,
      group,
      mine ? h("p", { class: "hint" }, t("checkin_thanks")) : null,
    ];
  }

  async function answer(message, value) {
    const answers = { ...(message.answers || {}), [myAccount]: value };
    const updated = { ...message, answers };
    messages.set(message.id, updated);
    draw(updated, false);
    await sendKind("checkin_answer", { checkin: message.id, answer: value });
    app.announce(t("answer_sent"));
  }

  function reactions(message) {
    const all = Object.entries(message.reactions || {});
    const nodes = [];
    const others = all.filter(([account]) => account !== myAccount);
    const mine = (message.reactions || {})[myAccount];
    if (all.length) {
      nodes.push(
        h(
          "p",
          { class: "reactions" },
          h("span", { class: "visually-hidden" }, t("reactions_label")),
          ...others.map(([, emoji]) => h("span", { class: "reaction" }, emoji)),
          mine ? h("span", { class: "reaction", title: t("your_reaction") }, mine) : null,
        ),
      );
    }
    if (!message.outgoing && !NO_HEART.has(message.kind)) {
      nodes.push(
        h(
          "button",
          {
            type: "button",
            class: "react-button",
            "aria-pressed": mine === HEART ? "true" : "false",
            dataset: { focusKey: "heart" },
            onclick: () => react(message),
          },
          h("span", { "aria-hidden": "true" }, HEART),
          t("send_heart"),
        ),
      );
    }
    return nodes;
  }

  async function react(message) {
    const reactionsNow = { ...(message.reactions || {}), [myAccount]: HEART };
    const updated = { ...message, reactions: reactionsNow };
    messages.set(message.id, updated);
    draw(updated, false);
    try {
      await sendKind("reaction", { of: message.id, emoji: HEART });
      app.announce(t("heart_sent"));
    } catch (failure) {
      if (!options.onFailure) throw failure;
      options.onFailure(failure);
    }
  }

  return {
    node,
    set(all) {
      list.replaceChildren();
      items.clear();
      messages.clear();
      for (const message of all) if (message.id) messages.set(message.id, message);
      for (const message of all) if (shown.has(message.kind)) draw(message, false);
      empty.hidden = items.size > 0;
    },
    update(message, isNew) {
      if (!shown.has(message.kind)) return null;
      if (!inGroup && message.conversationId !== conversationId) return null;
      if (message.id) messages.set(message.id, message);
      const item = draw(message, isNew);
      // An answer can change how its check-in looks (the worker's side).
      if (message.kind === "checkin_answer" && messages.has(message.fields.checkin)) {
        const target = messages.get(message.fields.checkin);
        if (items.has(target.id)) draw(target, false);
      }
      if (isNew) item.scrollIntoView({ block: "nearest" });
      return item;
    },
    remove(ids) {
      for (const id of ids) {
        items.get(id)?.remove();
        items.delete(id);
        messages.delete(id);
      }
      empty.hidden = items.size > 0;
    },
  };
}

/**
 * The text box under a conversation (Ctrl/⌘+Enter sends too). `submit(text)` resolves to
 * whether the box may be emptied: a case message always waits in the outbox, a group
 * message can be refused (muted) and then stays for the person to send later.
 */
export function textForm(submit) {
  const fieldId = uid("text");
  const field = h("textarea", { id: fieldId, rows: "2", maxlength: "4000", autocomplete: "off" });
  field.placeholder = t("text_placeholder");
  const form = h(
    "form",
    {
      class: "row",
      onsubmit: async (event) => {
        event.preventDefault();
        const text = field.value.trim();
        if (text && (await submit(text))) field.value = "";
        field.focus();
      },
    },
    h("label", { for: fieldId, class: "visually-hidden" }, t("text_label")),
    h("div", { class: "grow" }, field),
    h("button", { type: "submit", class: "primary" }, t("send")),
  );
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  return form;
}
