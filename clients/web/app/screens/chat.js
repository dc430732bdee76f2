// One conversation, for both roles. A caregiver gets big "Bel me" and nudge buttons; a
// worker gets the nudge picker, a check-in and the caregiver's local name.
//
// The conversation opens at its newest message and stays there as messages arrive, unless
// the person scrolled up to read (then "↓ Nieuw bericht" appears). The actions and the text
// box are a bar at the bottom of the screen (styles: .composer), always in reach; every tap
// says on screen that it went (.sent-note), as the live region says it to screen readers.

import { CALLBACK_KIND, CHECKIN_SCALE, HEART_IMAGE, NUDGE_TEMPLATES_CAREGIVER } from "../content.js";
import { h, uid } from "../dom.js";
import { t, tn } from "../i18n.js";
import { closedNote } from "../parts/case-closed.js";
import { disappearNote } from "../parts/disappear-note.js";
import { messageList, picture, summary, textForm, toEnd } from "../parts/messages.js";
import { nudgePicker } from "../parts/nudge.js";

// How close to the end still counts as "reading the newest" (px), and how long a
// "… ✓" confirmation stays in the bar.
const NEAR_BOTTOM_PX = 80;
const NOTE_MS = 10_000;
const HINT_KEY = "steuntje.chatHintSeen";

/** Whether this phone has seen something once (a closed hint); no storage: not yet. */
function remembered(key) {
  try {
    return localStorage.getItem(key) === "1";
  } catch {
    return false;
  }
}

function remember(key) {
  try {
    localStorage.setItem(key, "1");
  } catch {
    // No storage (a private window): the hint comes back next time, which is harmless.
  }
}

export async function show(main, app, where, options = {}) {
  const m = app.messenger;
  const conversations = await m.conversations();
  const conversation = conversations.find((item) => item.id === where.id);
  if (!conversation) {
    main.append(
      h("h1", {}, t("chat_not_found_title")),
      h("p", {}, t("chat_not_found_body")),
      h("a", { href: "#/", class: "button" }, t("back_home")),
    );
    return null;
  }
  const caregiver = app.me.role === "caregiver";
  let name = await app.nameOf(conversation);
  const title = h("h1", { id: "chat-title" }, caregiver ? t("chat_title_caregiver", { name }) : name);
  const view = followView();
  const note = h("p", { class: "sent-note", hidden: true });
  let noteTimer = null;
  const list = messageList(app, conversation.id, name, {
    onNew: view.arrived,
    onSent: (key, messageId) => {
      confirm(key);
      // Answering the newest message means reading at the end: follow it again.
      const newest = list.node.querySelector(".messages > li:last-child");
      if (newest && newest.dataset.id === messageId) view.reveal();
    },
  });
  view.watch(document.body);

  const header = h("div", { class: "chat-header" }, title);
  if (!caregiver) header.append(workerTools());
  else if (options.single && !remembered(HINT_KEY)) header.append(firstVisitHint());
  // Follows a change of the case's policy at once, while the chat is open.
  header.append(disappearNote(m, conversation.id, conversation.disappearingTimer));
  header.append(closedNote(m, conversation.id)); // "Dit dossier is gesloten op … door …"
  // A caregiver trusts the worker they met; a new or unknown device of the other person
  // is worth a calm word and a way to compare numbers.
  const identityNote = h("div", { role: "status" });
  header.append(identityNote);
  if (caregiver && conversation.verified === false) showIdentityNote();

  let callMe = null; // the caregiver's "Bel me" (its words say whether a call is awaited)
  let awaitingCall = false;
  const media = mediaActions();
  const composer = h(
    "section",
    { class: "composer", "aria-label": t("composer_label") },
    view.jump,
    note,
    caregiver ? caregiverActions(media.buttons) : workerActions(),
    media.node,
    textForm(async (text) => {
      await send("text", { text }, "message_sent");
      return true; // in the outbox: sent when online
    }),
  );
  main.append(header, list.node, composer);
  view.watchBar(composer);

  const history = await m.messages(conversation.id);
  list.set(history);
  history.forEach(followCall);
  drawCallMe();
  m.markRead(conversation.id).catch(() => {});

  const unsubscribe = [
    m.on("message", ({ message, isNew }) => {
      if (message.conversationId !== conversation.id) return;
      list.update(message, isNew);
      if (isNew) {
        followCall(message);
        drawCallMe();
      }
      if (isNew && !message.outgoing) {
        app.announce(t("new_message_from", { name, text: summary(message) }));
        m.markRead(conversation.id).catch(() => {});
      }
    }),
    m.on("removed", ({ conversationId, ids }) => {
      if (conversationId === conversation.id) list.remove(ids);
    }),
    m.on("identity", ({ accountId }) => {
      if (accountId === conversation.id) showIdentityNote();
    }),
    view.stop,
  ];
  return { destroy: () => unsubscribe.forEach((off) => off()), reveal: view.reveal };

  /**
   * Keeps the newest message in view: the page changes size (new messages, pictures
   * loading, a status changing, the bar or the connection banner) and the view follows
   * while the person is at the end. Scrolled up to read, it stays put and offers
   * "↓ Nieuw bericht" instead. The browser's scroll anchoring is off on this screen
   * (app.css): its corrections would read as the person scrolling up.
   */
  function followView() {
    let following = true;
    const jump = h(
      "button",
      { type: "button", class: "jump", hidden: true, onclick: () => reveal() },
      h("span", { "aria-hidden": "true" }, "↓ "),
      t("new_message_below"),
    );
    function reveal() {
      following = true;
      jump.hidden = true;
      toEnd();
    }
    function onScroll() {
      const end = document.documentElement.scrollHeight - NEAR_BOTTOM_PX;
      following = window.scrollY + window.innerHeight >= end;
      if (following) jump.hidden = true;
    }
    const resized = new ResizeObserver(() => following && toEnd());
    // Whatever gets focus (a face after "Wijzigen", a link) is scrolled to above the bar,
    // never under it (WCAG 2.4.11): the stylesheet pads scrolling by the bar's height.
    const root = document.documentElement.style;
    const bar = new ResizeObserver(([entry]) =>
      root.setProperty("--bar-height", `${Math.ceil(entry.target.offsetHeight)}px`),
    );
    window.addEventListener("scroll", onScroll, { passive: true });
    return {
      jump,
      reveal,
      watch: (node) => resized.observe(node),
      watchBar: (node) => bar.observe(node),
      arrived(item, message) {
        if (following || message.outgoing) reveal();
        else jump.hidden = false;
      },
      stop() {
        resized.disconnect();
        bar.disconnect();
        root.removeProperty("--bar-height");
        window.removeEventListener("scroll", onScroll);
      },
    };
  }

  /** "Bel me" waits for the worker's answer (kind callback), also across reloads. */
  function followCall(message) {
    if (message.kind === "call_me" && message.outgoing) awaitingCall = true;
    if (message.kind === CALLBACK_KIND && !message.outgoing) awaitingCall = false;
  }

  function drawCallMe() {
    if (!callMe) return;
    callMe.setAttribute("aria-disabled", awaitingCall ? "true" : "false");
    callMe.classList.toggle("waiting", awaitingCall);
    callMe.lastChild.textContent = t(awaitingCall ? "call_me_waiting" : "call_me_button");
  }

  /** "Hartje gestuurd ✓" in the bar for a while, and the same words to screen readers. */
  function confirm(doneKey) {
    const text = app.state === "online" ? `${t(doneKey)} ✓` : t("status_queued_long");
    note.textContent = text;
    note.hidden = false;
    window.clearTimeout(noteTimer);
    noteTimer = window.setTimeout(() => {
      note.hidden = true;
    }, NOTE_MS);
    app.announce(text);
  }

  /** The explanation a caregiver needs once: shown until they close it. */
  function firstVisitHint() {
    const hint = h(
      "div",
      { class: "notice first-hint" },
      h("p", {}, t("chat_intro_caregiver")),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            remember(HINT_KEY);
            hint.remove();
            title.setAttribute("tabindex", "-1");
            title.focus({ preventScroll: true });
          },
        },
        t("chat_hint_close"),
      ),
    );
    return hint;
  }

  function showIdentityNote() {
    identityNote.replaceChildren(
      h(
        "p",
        { class: "notice" },
        t("identity_changed", { name }),
        " ",
        h("a", { href: `#/safety/${encodeURIComponent(conversation.id)}` }, t("identity_compare")),
      ),
    );
  }

  async function send(kind, fields, doneKey) {
    await m.send(conversation.id, kind, fields);
    confirm(doneKey);
  }

  function toggle(button, panel) {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    panel.hidden = !open;
    if (open) panel.querySelector("button, input, textarea")?.focus();
  }

  function nudgePanel(button, templates) {
    const panel = h(
      "div",
      { class: "card", id: uid("nudge-panel"), hidden: true },
      nudgePicker(async (nudge) => {
        await send("nudge", nudge, "nudge_sent");
        toggle(button, panel);
        button.focus();
      }, templates),
    );
    button.setAttribute("aria-controls", panel.id);
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", () => toggle(button, panel));
    return panel;
  }

  function caregiverActions(mediaButtons) {
    callMe = h(
      "button",
      {
        type: "button",
        class: "primary big call-me-button",
        onclick: async () => {
          if (awaitingCall) return; // asked already; the worker will call back
          await send("call_me", {}, "call_me_done");
        },
      },
      h("span", { "aria-hidden": "true" }, "📞"),
      h("span", {}, t("call_me_button")),
    );
    const nudgeButton = h(
      "button",
      { type: "button", class: "big" },
      picture(HEART_IMAGE, "heart"),
      t("nudge_button_caregiver"),
    );
    return h(
      "div",
      {},
      // "Foto" and "Inspreken" in the same grid: on a short phone it is one row (app.css).
      h("div", { class: "quick-actions caregiver-actions" }, callMe, nudgeButton, ...mediaButtons),
      nudgePanel(nudgeButton, NUDGE_TEMPLATES_CAREGIVER),
    );
  }

  function workerActions() {
    const nudgeButton = h(
      "button",
      { type: "button" },
      h("span", { "aria-hidden": "true" }, "💛"),
      t("nudge_button_worker"),
    );
    const checkinButton = h(
      "button",
      { type: "button" },
      h("span", { "aria-hidden": "true" }, "🙂"),
      t("checkin_button"),
    );
    const questionId = uid("question");
    const question = h("input", {
      id: questionId,
      type: "text",
      maxlength: "300",
      value: t("checkin_default_question"),
    });
    const checkinPanel = h(
      "form",
      {
        class: "card",
        id: uid("checkin-panel"),
        hidden: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const text = question.value.trim() || t("checkin_default_question");
          await send("checkin", { question: text, scale: CHECKIN_SCALE }, "checkin_sent");
          question.value = t("checkin_default_question");
          toggle(checkinButton, checkinPanel);
          checkinButton.focus();
        },
      },
      h(
        "div",
        { class: "field" },
        h("label", { for: questionId }, t("checkin_question_label")),
        question,
      ),
      h("button", { type: "submit", class: "primary" }, t("checkin_send")),
    );
    checkinButton.setAttribute("aria-controls", checkinPanel.id);
    checkinButton.setAttribute("aria-expanded", "false");
    checkinButton.addEventListener("click", () => toggle(checkinButton, checkinPanel));
    const [questionnaireButton, questionnairePanel] = questionnaireAction();
    return h(
      "div",
      {},
      h("div", { class: "quick-actions" }, nudgeButton, checkinButton, questionnaireButton),
      nudgePanel(nudgeButton),
      checkinPanel,
      questionnairePanel,
    );
  }

  /** "📋 Vragenlijst": the questionnaires to send (parts/questionnaire-send.js, loaded on the
   * first tap); a second tap on one sends it (issue 18). */
  function questionnaireAction() {
    const button = h("button", { type: "button" }, h("span", { "aria-hidden": "true" }, "📋"), t("questionnaire_button"));
    // The third of two columns: the whole row, so "Vragenlijst" is not broken at 320 px
    // (CSSOM, which the CSP allows; a style attribute it would refuse).
    button.style.gridColumn = "1 / -1";
    const panel = h("div", { class: "card", id: uid("questionnaire-panel"), hidden: true });
    button.setAttribute("aria-controls", panel.id);
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", async () => {
      if (!panel.childElementCount) {
        const part = await import("../parts/questionnaire-send.js");
        await part.fillSendPanel(panel, app, name, async (doc) => {
          await send("questionnaire", { doc }, "q_sent");
          toggle(button, panel);
          button.focus();
        });
      }
      toggle(button, panel);
    });
    return [button, panel];
  }

  /**
   * "📷 Foto" and "🎤 Inspreken" (a worker also "📎 Bestand"): {buttons, node}. Their code
   * (parts/media-*.js) loads on the first tap, so opening a chat does not fetch it; the
   * recorder then takes over the button and is handed that first touch.
   */
  function mediaActions() {
    const status = h("p", { class: "media-status", role: "status", hidden: true });
    const compose = () => import("../parts/media-compose.js");
    const photo = h(
      "button",
      {
        type: "button",
        class: "media-photo",
        onclick: async () => (await compose()).sendPicture(app, conversation.id, status, confirm),
      },
      h("span", { "aria-hidden": "true" }, "📷"),
      h("span", { class: "label" }, t("media_photo_button")),
    );
    const record = h(
      "button",
      { type: "button", class: "big media-record" },
      h("span", { "aria-hidden": "true" }, "🎤"),
      h("span", { class: "label" }, t("media_record_button")),
    );
    let first = null; // the touch that loads the recorder: {event, released, clicked}
    const takeOver = async (event) => {
      if (first) {
        if (event.type === "pointerup") first.released = true;
        if (event.type === "click") first.clicked = true;
        return;
      }
      if (event.type === "pointerup") return;
      first = { event, released: false, clicked: false };
      const recorder = await (await compose()).recorder(app, conversation.id, record, status, confirm);
      for (const name of ["pointerdown", "pointerup", "click"]) record.removeEventListener(name, takeOver);
      recorder.press(first.event, first);
    };
    for (const name of ["pointerdown", "pointerup", "click"]) record.addEventListener(name, takeOver);
    const extra = caregiver
      ? null
      : h(
          "button",
          {
            type: "button",
            class: "media-file",
            onclick: async () => (await compose()).sendFile(app, conversation.id, status, confirm),
          },
          h("span", { "aria-hidden": "true" }, "📎"),
          t("media_file_button"),
        );
    // A caregiver's buttons join "Bel me" and the nudge (caregiverActions); a worker's get a row.
    if (caregiver) return { buttons: [photo, record], node: h("div", { class: "media-actions" }, status) };
    const row = h("div", { class: "quick-actions" }, photo, extra, record);
    return { buttons: [], node: h("div", { class: "media-actions" }, row, status) };
  }

  function workerTools() {
    const nameId = uid("name");
    const input = h("input", {
      id: nameId,
      type: "text",
      maxlength: "80",
      autocomplete: "off",
      value: conversation.name || "",
    });
    const form = h(
      "form",
      {
        class: "card",
        hidden: true,
        id: uid("rename"),
        onsubmit: async (event) => {
          event.preventDefault();
          const value = input.value.trim();
          if (!value) return;
          await m.setName(conversation.id, value);
          name = value;
          title.textContent = value;
          form.hidden = true;
          renameButton.setAttribute("aria-expanded", "false");
          renameButton.focus();
          app.announce(t("name_saved"));
        },
      },
      h("label", { for: nameId }, t("name_label")),
      h("p", { class: "hint" }, t("name_hint")),
      h(
        "div",
        { class: "row" },
        h("div", { class: "grow" }, input),
        h("button", { type: "submit", class: "primary" }, t("save")),
      ),
    );
    const privacy = conversation.role === "caregiver" ? privacyHandOff() : null;
    const renameButton = h(
      "button",
      {
        type: "button",
        "aria-expanded": "false",
        "aria-controls": form.id,
        onclick: () => toggle(renameButton, form),
      },
      t("rename"),
    );
    return h(
      "div",
      {},
      h(
        "div",
        { class: "row" },
        h("a", { href: "#/", class: "button" }, t("back_caseload")),
        renameButton,
        h(
          "a",
          { href: `#/safety/${encodeURIComponent(conversation.id)}`, class: "button" },
          t("safety_link"),
        ),
        // A caregiver whose phone lost Steuntje comes back through a recovery code.
        conversation.role === "caregiver"
          ? h(
              "a",
              { href: `#/recovery/${encodeURIComponent(conversation.id)}`, class: "button" },
              t("recovery_link"),
            )
          : null,
        privacy ? privacy.button : null,
      ),
      form,
      privacy ? privacy.panel : null,
      conversation.role === "caregiver" && app.me.role === "worker" ? caseArea() : null,
    );
  }

  /** "Privacyverzoek voor deze mantelzorger" (issue 19): the number the privacy officer
   * needs to find everything the log holds about this caregiver. The relay knows no names;
   * the worker's app alone ties this person to the number. */
  function privacyHandOff() {
    const panel = h(
      "div",
      { class: "card", id: uid("privacy-request"), hidden: true, tabindex: "-1" },
      h("p", {}, t("privacy_request_text")),
      // A short code to read out or type: the first 10 characters after acc_, in two groups
      // (the officer's search resolves it to the one account it begins, PROTOCOL.md).
      h(
        "p",
        {},
        `${t("privacy_request_code")} `,
        h("code", { class: "short-code" }, `${conversation.id.slice(4, 9)} ${conversation.id.slice(9, 14)}`),
      ),
      h(
        "p",
        { class: "hint" },
        `${t("privacy_request_full")} `,
        h("code", { class: "account-number" }, conversation.id),
      ),
    );
    const button = h(
      "button",
      {
        type: "button",
        "aria-expanded": "false",
        "aria-controls": panel.id,
        onclick: () => {
          toggle(button, panel);
          if (!panel.hidden) panel.focus();
        },
      },
      t("privacy_request_button"),
    );
    return { button, panel };
  }

  /** The case's wijk for the reach figures (issue 18): parts/case-area.js and its strings
   * load once connected. Offline they may not be cached (an error in an app opened offline)
   * and the choice could not be saved anyway. */
  function caseArea() {
    const slot = h("div", {});
    const fill = () =>
      import("../parts/case-area.js").then((part) => part.fillCaseArea(slot, m, conversation.id)).catch(() => {});
    if (m.state === "online") fill();
    else {
      const off = m.on("status", ({ state }) => {
        if (state !== "online") return;
        off();
        if (slot.isConnected) fill(); // not when the screen is gone meanwhile
      });
    }
    return slot;
  }
}
