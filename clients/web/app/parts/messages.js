// One conversation's messages as a list: text, nudges, check-ins (with faces to tap),
// answers, call-me requests, a group invitation (a card with "Doe mee met de groep");
// status of one's own messages; hearts under a message. The same list shows a peer-support
// group (options.group): each message with its author's display name, and system lines
// ("Anna doet mee"). Everything a person wrote goes in through textContent (dom.js).

import { CALLBACK_DONE, FACES, HEART, HEART_IMAGE, face } from "../content.js";
import { h, uid } from "../dom.js";
import { has, t } from "../i18n.js";

const SHOWN_KINDS = new Set([
  "questionnaire", // and its answer: parts/questionnaire-card.js
  "questionnaire_answer",
  "text",
  "nudge",
  "checkin",
  "checkin_answer",
  "call_me",
  "callback",
  "group_invite",
  "attachment",
]);
const GROUP_KINDS = new Set(["text", "nudge", "system", "attachment"]);
// Kinds nobody reacts to with a heart (a check-in is answered with a face instead).
const NO_HEART = new Set([
  "questionnaire",
  "questionnaire_answer",
  "checkin",
  "checkin_answer",
  "call_me",
  "callback",
  "group_invite",
  "system",
]);

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
    case "gone": // the relay stopped routing to them: account erased or disabled
      return t("group_event_gone", { name });
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
  undelivered: "status_undelivered", // waited for a phone that was replaced (a recovery)
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
    case "callback":
      return t(fields.status === CALLBACK_DONE ? "callback_done" : "callback_retry");
    case "group_invite":
      return t("group_invite_summary", { name: fields.name || t("group_unnamed") });
    case "questionnaire":
      return `📋 ${t("questionnaire_summary")}`;
    case "questionnaire_answer":
      return `📋 ${t("questionnaire_answer_summary")}`;
    case "attachment":
      return attachmentSummary(fields);
    case "system":
      return systemLine(message);
    default:
      return "";
  }
}

/** "📷 Foto", "🎤 Spraakbericht", "📎 folder.pdf": what an attachment is, in a few words. */
function attachmentSummary(fields) {
  const kind = String(fields.type || "").split("/")[0];
  if (kind === "image") return `📷 ${t("attachment_photo")}`;
  if (kind === "audio") return `🎤 ${t("attachment_voice")}`;
  return `📎 ${fields.name || t("attachment_file")}`;
}

export function nudgeText(template) {
  return has(`nudge_${template}`) ? t(`nudge_${template}`) : "";
}

/**
 * A face or the heart as a picture (the same on every phone); the words beside it say what
 * it means, so the picture itself is decoration (alt ""). Width and height are set so the
 * list does not jump when the picture arrives.
 */
export function picture(src, className = "face") {
  return h("img", { src, alt: "", width: "28", height: "28", class: className });
}

/** Scroll to the end of the page, at once ("instant": a smooth scroll can be overtaken). */
export function toEnd() {
  window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "instant" });
}

/** An emoji as a picture when the app has one for it (the heart), else as text. */
function emojiNode(emoji, className) {
  if (emoji === HEART) return picture(HEART_IMAGE, className);
  return h("span", { class: className, "aria-hidden": "true" }, emoji);
}

/**
 * A list for one conversation. `app` gives the messenger and the own account;
 * `otherName` is how the other person is called in this app.
 * For a group, `options` = {group: true, me: own member id, send(kind, fields),
 * authorName(message)}: reactions are keyed by member id, authors named per message.
 * `options.onNew(item, message)` decides what a new message does to the view (default:
 * scroll to the end); `options.onSent(key, messageId)` is told when a heart or an answer went.
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
  const changing = new Set(); // answered check-ins whose faces are open again ("Wijzigen")
  const onSent = options.onSent || ((key) => app.announce(t(key)));

  /** One's own answer is shown on its check-in ("Je antwoordde: …"), not a second time. */
  function folded(message) {
    return (
      message.kind === "checkin_answer" &&
      message.outgoing &&
      messages.get(message.fields?.checkin)?.kind === "checkin"
    );
  }

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
        message.kind === "callback" && "callback",
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
    // An absent part (no hint, no answer yet) is left out, never shown as the word "null".
    item.append(...body(message).filter(Boolean));
    const meta = h("p", { class: "meta" }, h("span", {}, app.time(message.sentAt)));
    if (mine && STATUS_KEYS[message.status]) {
      meta.append(
        " ",
        h(
          "span",
          { class: ["queued", "failed", "undelivered"].includes(message.status) ? "status-waiting" : "status" },
          // A send to a closed case says why (issue 19 item 9), not only "niet verstuurd".
          t(message.error === "case_closed" ? "status_failed_case_closed" : STATUS_KEYS[message.status]),
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
            emojiNode(fields.emoji, "emoji"),
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
            chosen ? picture(chosen.image, "emoji") : null,
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
      case "callback": {
        const done = fields.status === CALLBACK_DONE;
        const key = message.outgoing
          ? done ? "callback_done_sent" : "callback_retry_sent"
          : done ? "callback_done" : "callback_retry";
        return [
          h(
            "p",
            { class: "body" },
            h("span", { class: "emoji", "aria-hidden": "true" }, "📞"),
            t(key, { name: otherName }),
          ),
        ];
      }
      case "group_invite":
        return groupInvite(message);
      case "questionnaire":
      case "questionnaire_answer":
        return [questionnaire(message)];
      case "attachment":
        return [attachment(message)];
      default:
        return [];
    }
  }

  /** A picture, voice note or file: its code (media-view.js) loads only when one is shown. */
  function attachment(message) {
    const slot = h("div", { class: "media" }, h("p", { class: "body" }, attachmentSummary(message.fields || {})));
    import("./media-view.js")
      .then((part) => part.fillAttachment(slot, app, message, inGroup ? authorOf(message) : otherName))
      .catch(() => {}); // offline before the module was ever fetched: the summary stays
    return slot;
  }

  /** A questionnaire or signed answers: parts/questionnaire-card.js (loaded when shown). */
  function questionnaire(message) {
    const slot = h("div", { class: "questionnaire" }, h("p", { class: "body" }, summary(message)));
    import("./questionnaire-card.js")
      .then((card) => card.fill(slot, message, { conversationId, messages, otherName }))
      .catch(() => {}); // offline before the module was ever fetched: the summary stays
    return slot;
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
        chosen
          ? h("p", {}, `${t("answer_label")}: `, picture(chosen.image), t(chosen.key))
          : h("p", {}, t("checkin_no_answer")),
      ];
    }
    const mine = answers[myAccount];
    const chosen = face(mine);
    if (mine !== undefined && !changing.has(message.id)) {
      // Answered: it reads as answered; changing it is one small, deliberate step.
      return [
        h("p", { class: "hint" }, t("checkin_received", { name: otherName })),
        question,
        h(
          "p",
          { class: "answered" },
          `${t("checkin_you_answered")} `,
          chosen ? picture(chosen.image) : null,
          chosen ? t(chosen.key) : String(mine),
        ),
        h(
          "button",
          {
            type: "button",
            class: "link-button",
            dataset: { focusKey: "change" },
            "aria-label": t("checkin_change_label", { question: fields.question }),
            onclick: () => {
              changing.add(message.id);
              const item = draw(messages.get(message.id) || message, false);
              (item.querySelector('[aria-pressed="true"]') || item.querySelector(".faces button"))
                ?.focus();
            },
          },
          t("checkin_change"),
        ),
      ];
    }
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
          picture(option.image),
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
    return [h("p", { class: "hint" }, t("checkin_received", { name: otherName })), question, group];
  }

  async function answer(message, value) {
    const answers = { ...(message.answers || {}), [myAccount]: value };
    const updated = { ...message, answers };
    messages.set(message.id, updated);
    changing.delete(message.id);
    // Just tapped, so in view: focus without scrolling (the view may be following the end).
    const item = draw(updated, false);
    item.querySelector('[data-focus-key="change"]')?.focus({ preventScroll: true });
    await sendKind("checkin_answer", { checkin: message.id, answer: value });
    onSent("answer_sent", message.id);
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
          ...others.map(([, emoji]) => reaction(emoji)),
          mine ? reaction(mine, t("your_reaction")) : null,
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
          picture(HEART_IMAGE, "heart"),
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
      onSent("heart_sent", message.id);
    } catch (failure) {
      if (!options.onFailure) throw failure;
      options.onFailure(failure);
    }
  }

  /** A reaction under a message; the heart as a picture, its meaning for screen readers. */
  function reaction(emoji, title = null) {
    if (emoji !== HEART) return h("span", { class: "reaction", title }, emoji);
    return h(
      "span",
      { class: "reaction", title },
      picture(HEART_IMAGE, "heart"),
      h("span", { class: "visually-hidden" }, emoji),
    );
  }

  return {
    node,
    set(all) {
      list.replaceChildren();
      items.clear();
      messages.clear();
      for (const message of all) if (message.id) messages.set(message.id, message);
      for (const message of all) {
        if (shown.has(message.kind) && !folded(message)) draw(message, false);
      }
      empty.hidden = items.size > 0;
      // Where the unread part begins, as the conversation opens: "Nieuw" on its first message.
      const firstUnread = all.find((message) => !message.outgoing && message.read === false);
      items
        .get(firstUnread && keyOf(firstUnread))
        ?.prepend(h("p", { class: "new-label" }, t("messages_new_label")));
    },
    update(message, isNew) {
      if (!shown.has(message.kind)) return null;
      if (!inGroup && message.conversationId !== conversationId) return null;
      if (message.id) messages.set(message.id, message);
      // One's own answer (from this or another own device) shows on its check-in only.
      const item = folded(message) ? null : draw(message, isNew);
      // An answer can change how its check-in looks.
      if (message.kind === "checkin_answer" && messages.has(message.fields.checkin)) {
        let target = messages.get(message.fields.checkin);
        if (item === null) {
          const answers = { ...target.answers, [myAccount]: message.fields.answer };
          target = { ...target, answers };
          messages.set(target.id, target);
        }
        if (items.has(target.id)) draw(target, false);
      }
      if (isNew && item) {
        if (options.onNew) options.onNew(item, message);
        else toEnd(); // to the end of the page: the newest message above the bar, not under it
      }
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
