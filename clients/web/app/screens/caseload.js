// The support worker's caseload at a glance: each caregiver by the name the worker gave
// them (kept on this device only), last contact, open check-ins, mood going down, a small
// chart of check-in answers; a nudge in two taps; a check-in, a questionnaire, a photo or a
// file (a short video, a PDF leaflet) to a selection: one upload, a message to each. A "Bel me"
// stays on the card until the worker answers it ("Gebeld" or "Niet bereikt, probeer
// later"), which the caregiver's phone hears end to end (kind `callback`). The list can
// show only who wants a call, who has not answered, or whose mood went down.

import { CALLBACK_DONE, CALLBACK_KIND, CALLBACK_RETRY } from "../content.js";
import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { formatAgo, loadPart, t, tn } from "../i18n.js";
import { closedCaseWith, closedText } from "../parts/case-closed.js";
import { moodChart } from "../parts/chart.js";
import { insights } from "../parts/insights.js";
import { nudgePicker } from "../parts/nudge.js";

/** How much a caregiver needs the worker now: a call request first, then a hard day, … */
// How long a card says "Steuntje verstuurd naar … ✓" after a nudge from the caseload.
const SENT_NOTE_MS = 6_000;

function urgency(facts) {
  return (
    8 * facts.wantsCall +
    4 * facts.hardDay +
    3 * facts.callRetry +
    2 * facts.moodDown +
    1 * facts.waitingForAnswer
  );
}

// Caregivers this device has seen in the caseload (account id → "here" | "erased" | "left"),
// kept with the settings, ids only: when a case disappears from the relay's list the card
// says why instead of silently dropping the row. Names stay in the names store.
const SEEN = "caseloadSeen";

/** Why a caregiver is no longer on one's cases: "erased" when the relay has no such account
 * any more (it erased itself), "left" when it exists but is not ours (hand-over), or null
 * while that cannot be asked (offline). */
async function whyGone(m, account) {
  try {
    await m.request("devices_list", { account });
    return "left";
  } catch (failure) {
    if (isOffline(failure)) return null;
    return failure?.code === "unknown_account" ? "erased" : "left";
  }
}

/** The caseload's filters: who is shown with each choice. */
const FILTERS = {
  all: () => true,
  wants_call: (facts) => facts.wantsCall || facts.callRetry,
  no_answer: (facts) => facts.waitingForAnswer,
  mood_down: (facts) => facts.moodDown,
};

export async function show(main, app) {
  await loadPart("worker"); // strings only the worker's and admin's screens use
  const m = app.messenger;
  const selected = new Set();
  // conversation id -> until when its card says "Steuntje verstuurd ✓": the card is redrawn
  // when the message is stored, so the note lives here, not in the card (issue 14 item 3).
  const sentUntil = new Map();
  const title = h("h1", {}, t("caseload_title"));
  const checkinSelected = h(
    "button",
    {
      type: "button",
      class: "primary",
      disabled: true,
      onclick: () => app.go(`/checkin/${[...selected].map(encodeURIComponent).join(",")}`),
    },
    t("checkin_selected_none"),
  );
  // The same selection gets a signed questionnaire (screens/questionnaire-send.js, issue 18).
  const questionnaireSelected = h(
    "button",
    {
      type: "button",
      disabled: true,
      onclick: () => app.go(`/questionnaires/${[...selected].map(encodeURIComponent).join(",")}`),
    },
    t("questionnaire_selected_none"),
  );
  // A photo or a file to the selection (issue 16): parts/media-compose.js, loaded on the tap,
  // encrypts and uploads it once; each chosen caregiver gets a message naming that one blob.
  const mediaStatus = h("p", { class: "media-status", role: "status", hidden: true });
  const sendMedia = (action) => async () => {
    const compose = await import("../parts/media-compose.js");
    await compose[action](app, [...selected], mediaStatus, (key) => {
      mediaStatus.hidden = false;
      mediaStatus.textContent = `${t(key)} ✓`;
    });
  };
  const photoSelected = h(
    "button",
    { type: "button", disabled: true, onclick: sendMedia("sendPicture") },
    h("span", { "aria-hidden": "true" }, "📷"),
    h("span", {}, t("caseload_photo_none")),
  );
  const fileSelected = h(
    "button",
    { type: "button", disabled: true, onclick: sendMedia("sendFile") },
    h("span", { "aria-hidden": "true" }, "📎"),
    h("span", {}, t("caseload_file_none")),
  );
  const toolbar = h(
    "div",
    { class: "row" },
    h(
      "a",
      { href: "#/invite", class: "button" },
      h("span", { "aria-hidden": "true" }, "➕"),
      t("invite_new"),
    ),
    checkinSelected,
    questionnaireSelected,
    photoSelected,
    fileSelected,
  );
  const filterId = uid("filter");
  const filter = h(
    "select",
    { id: filterId, onchange: () => draw(true) },
    Object.keys(FILTERS).map((key) => h("option", { value: key }, t(`caseload_filter_${key}`))),
  );
  const filterField = h(
    "div",
    { class: "field filter" },
    h("label", { for: filterId }, t("caseload_filter_label")),
    filter,
  );
  const list = h("ul", { class: "caseload" });
  // Closed cases apart, below the open ones (issue 19 item 9): nothing to do there but read.
  const closedTitle = h("h2", { id: uid("closed") }, t("caseload_closed_title"));
  const closedList = h("ul", { class: "caseload closed", "aria-labelledby": closedTitle.id });
  const closedSection = h("section", { hidden: true }, closedTitle, closedList);
  const body = h("div", {});
  // Where the organisation wants a second worker's approval of a recovery code (issue 20).
  const approve = h("p", {}, h("a", { href: "#/recovery/approve" }, t("recovery_approve_link")));
  main.append(title, toolbar, mediaStatus, filterField, body, approve);

  let dirty = false;
  const busy = () => {
    const active = document.activeElement;
    const typing = list.contains(active) && active.tagName === "INPUT" && active.type === "text";
    return typing || Boolean(list.querySelector(".card[id]:not([hidden])"));
  };
  let drawing = 0;

  /** Rebuild the list; `force` also when the worker is busy in it (first draw, a rename). */
  async function draw(force = false) {
    const ticket = ++drawing;
    const conversations = (await m.conversations()).filter((item) => item.role === "caregiver");
    // Who needs attention comes first; otherwise the latest contact first (the lib's order).
    const entries = [];
    for (const conversation of conversations) {
      const facts = insights(await m.messages(conversation.id), app.me.accountId);
      entries.push({ conversation, facts, urgency: urgency(facts) });
    }
    entries.sort((a, b) => b.urgency - a.urgency);
    const shown = entries.filter(({ facts }) => FILTERS[filter.value](facts));
    const cases = await m.cases();
    const cards = [];
    const closedCards = [];
    for (const { conversation, facts } of shown) {
      const closed = closedCaseWith(cases, conversation.id);
      if (closed) closedCards.push(await closedCard(conversation, closed));
      else cards.push(await card(conversation, facts));
    }
    const departed = await departures(conversations);
    if (filter.value === "all") for (const [account, why] of departed) cards.push(await goneCard(account, why));
    // While this was built the worker may have opened a picker or started typing, or a newer
    // draw may have started: then leave their screen alone and try again later.
    if (ticket !== drawing) return;
    if (!force && busy()) {
      dirty = true;
      return;
    }
    const focus = focusedSpot();
    list.replaceChildren(...cards);
    closedList.replaceChildren(...closedCards);
    closedSection.hidden = closedCards.length === 0;
    restoreFocus(focus);
    list.setAttribute("aria-label", t("caseload_list_label"));
    filterField.hidden = conversations.length === 0;
    if (conversations.length === 0 && departed.length) {
      body.replaceChildren(h("p", { class: "notice" }, t("caseload_empty")), list);
    } else if (conversations.length === 0) {
      body.replaceChildren(h("p", { class: "notice" }, t("caseload_empty")));
    } else if (filter.value === "all") {
      body.replaceChildren(
        h("p", { class: "hint" }, tn("caseload_count", conversations.length)),
        list,
        closedSection,
      );
    } else {
      const count = h(
        "p",
        { class: "hint", role: "status" },
        shown.length
          ? t("caseload_filtered", { shown: shown.length, total: conversations.length })
          : t("caseload_filtered_none"),
      );
      body.replaceChildren(count, list, closedSection);
    }
    for (const id of [...selected]) {
      if (!conversations.some((item) => item.id === id)) selected.delete(id);
    }
    updateSelection();
  }

  /** [[account, "erased" | "left"]] for caregivers seen here before whose case is gone. */
  async function departures(conversations) {
    const seen = { ...(m.settings()[SEEN] ?? {}) };
    let changed = false;
    for (const conversation of conversations) {
      if (seen[conversation.id] !== "here") {
        seen[conversation.id] = "here";
        changed = true;
      }
    }
    const current = new Set(conversations.map((item) => item.id));
    for (const [account, state] of Object.entries(seen)) {
      if (current.has(account) || state !== "here") continue;
      const why = await whyGone(m, account);
      if (why) {
        seen[account] = why;
        changed = true;
      }
    }
    if (changed) await m.setSetting(SEEN, seen);
    return Object.entries(seen).filter(([account, state]) => !current.has(account) && state !== "here");
  }

  /** A caregiver whose case is closed: when and by whom, and the conversation to read. */
  async function closedCard(conversation, item) {
    const name = await app.nameOf(conversation);
    const chat = `#/chat/${encodeURIComponent(conversation.id)}`;
    return h(
      "li",
      { class: "card caregiver closed", dataset: { account: conversation.id } },
      h(
        "div",
        { class: "grow" },
        h("h3", {}, h("a", { href: chat }, name)),
        h("p", {}, closedText(item)),
      ),
    );
  }

  /** A caregiver who is gone: said plainly, until the worker takes the card away. */
  async function goneCard(account, why) {
    const name = (await m.name(account)) || t("unnamed_caregiver");
    return h(
      "li",
      { class: "card caregiver gone", dataset: { account } },
      h(
        "div",
        { class: "grow" },
        h("h2", {}, name),
        h("p", {}, t(why === "erased" ? "caseload_gone_erased" : "caseload_gone_left", { name })),
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              const seen = { ...(m.settings()[SEEN] ?? {}) };
              delete seen[account];
              await m.setSetting(SEEN, seen);
              app.announce(t("caseload_gone_dismissed", { name }));
              await draw(true);
            },
          },
          t("caseload_gone_dismiss"),
          h("span", { class: "visually-hidden" }, `: ${name}`),
        ),
      ),
    );
  }

  const FOCUSABLE = "a, button, input";

  /** Which card and which control of it has focus, to find it again after a redraw. */
  function focusedSpot() {
    const active = document.activeElement;
    const cardNode = list.contains(active) ? active.closest("li.card") : null;
    if (!cardNode) return null;
    const index = [...cardNode.querySelectorAll(FOCUSABLE)].indexOf(active);
    return { account: cardNode.dataset.account, index };
  }

  function restoreFocus(spot) {
    if (!spot) return;
    const cardNode = [...list.children].find((item) => item.dataset.account === spot.account);
    cardNode?.querySelectorAll(FOCUSABLE)[spot.index]?.focus();
  }

  function updateSelection() {
    checkinSelected.disabled = selected.size === 0;
    checkinSelected.textContent =
      selected.size === 0 ? t("checkin_selected_none") : tn("checkin_selected", selected.size);
    questionnaireSelected.disabled = selected.size === 0;
    questionnaireSelected.textContent =
      selected.size === 0 ? t("questionnaire_selected_none") : tn("questionnaire_selected", selected.size);
    for (const [button, key] of [
      [photoSelected, "caseload_photo"],
      [fileSelected, "caseload_file"],
    ]) {
      button.disabled = selected.size === 0;
      button.lastChild.textContent = selected.size === 0 ? t(`${key}_none`) : tn(key, selected.size);
    }
  }

  async function card(conversation, facts) {
    const name = await app.nameOf(conversation);
    const chat = `#/chat/${encodeURIComponent(conversation.id)}`;
    const check = h("input", {
      type: "checkbox",
      id: uid("pick"),
      checked: selected.has(conversation.id),
      onchange: (event) => {
        if (event.target.checked) selected.add(conversation.id);
        else selected.delete(conversation.id);
        updateSelection();
      },
    });
    const badges = [];
    if (conversation.unread) {
      badges.push(h("span", { class: "badge calm" }, tn("unread_count", conversation.unread)));
    }
    if (facts.wantsCall) badges.push(h("span", { class: "badge" }, t("badge_wants_call")));
    if (facts.callRetry) badges.push(h("span", { class: "badge" }, t("badge_call_retry")));
    if (facts.hardDay) badges.push(h("span", { class: "badge" }, t("badge_hard_day")));
    if (facts.waitingForAnswer) badges.push(h("span", { class: "badge" }, t("badge_no_answer")));
    if (facts.moodDown) badges.push(h("span", { class: "badge" }, t("badge_mood_down")));

    const nudgeButton = h(
      "button",
      { type: "button", "aria-expanded": "false" },
      h("span", { "aria-hidden": "true" }, "💛"),
      t("nudge_button_worker"),
    );
    const nudgePanel = h("div", { class: "card", id: uid("nudge"), hidden: true });
    nudgeButton.setAttribute("aria-controls", nudgePanel.id);
    nudgeButton.addEventListener("click", () => {
      const open = nudgePanel.hidden;
      nudgePanel.hidden = !open;
      nudgeButton.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && !nudgePanel.firstChild) {
        nudgePanel.append(
          nudgePicker(async (nudge) => {
            await m.send(conversation.id, "nudge", nudge);
            sentUntil.set(conversation.id, Date.now() + SENT_NOTE_MS);
            window.setTimeout(redraw, SENT_NOTE_MS);
            nudgePanel.hidden = true;
            nudgeButton.setAttribute("aria-expanded", "false");
            nudgeButton.focus();
            app.announce(t("nudge_sent_to", { name }));
          }),
        );
      }
      if (open) nudgePanel.querySelector("button")?.focus();
    });

    return h(
      "li",
      { class: "card caregiver", dataset: { account: conversation.id } },
      h(
        "label",
        { class: "check", for: check.id },
        check,
        h("span", { class: "visually-hidden" }, t("pick_for_checkin", { name })),
      ),
      h(
        "div",
        {},
        h("h2", {}, h("a", { href: chat }, name)),
        conversation.name ? null : nameForm(conversation),
        h(
          "ul",
          { class: "facts" },
          h("li", {}, t("last_contact", { when: formatAgo(facts.lastContact) })),
          // Who may have lost Steuntje on their phone (issue 20): the day they last opened it.
          conversation.lastUsedDay
            ? h("li", {}, t("last_used", { when: formatAgo(conversation.lastUsedDay) }))
            : null,
          facts.series.length ? null : h("li", {}, t("no_answers_yet")),
        ),
        badges.length ? h("p", {}, badges) : null,
        facts.wantsCall || facts.callRetry ? callActions(conversation, name) : null,
      ),
      facts.series.length ? moodChart(facts.series, name) : null,
      h(
        "div",
        { class: "actions row" },
        h("a", { href: chat, class: "button" }, t("open_chat")),
        nudgeButton,
      ),
      sentUntil.get(conversation.id) > Date.now()
        ? h("p", { class: "sent-note" }, `${t("nudge_sent_to", { name })} ✓`)
        : null,
      nudgePanel,
    );
  }

  /** "Gebeld" / "Niet bereikt, probeer later": closes (or parks) the call request, and
   * tells the caregiver's phone, so "Je ondersteuner belt je terug" ends there too. */
  function callActions(conversation, name) {
    const answer = (status, said) => async (event) => {
      event.currentTarget.disabled = true;
      await m.send(conversation.id, CALLBACK_KIND, { status });
      app.announce(t(said, { name }));
      await draw(true);
    };
    return h(
      "div",
      { class: "row", role: "group", "aria-label": t("call_actions_label", { name }) },
      h("button", { type: "button", onclick: answer(CALLBACK_DONE, "call_done_said") }, t("call_done")),
      h("button", { type: "button", onclick: answer(CALLBACK_RETRY, "call_retry_said") }, t("call_retry")),
    );
  }

  function nameForm(conversation) {
    const id = uid("name");
    const input = h("input", { id, type: "text", maxlength: "80", autocomplete: "off" });
    return h(
      "form",
      {
        class: "field",
        onsubmit: async (event) => {
          event.preventDefault();
          const value = input.value.trim();
          if (!value) return input.focus();
          await m.setName(conversation.id, value);
          app.announce(t("name_saved"));
          await draw(true);
        },
      },
      h("label", { for: id }, t("name_label")),
      h(
        "div",
        { class: "row" },
        h("div", { class: "grow" }, input),
        h("button", { type: "submit" }, t("save")),
      ),
    );
  }

  await draw(true);
  // Redraw on news, but never under the worker's hands: while they type a name or have a
  // nudge picker open, wait until focus leaves the list.
  let pending = null;
  const redraw = () => {
    if (pending) return;
    pending = Promise.resolve().then(async () => {
      pending = null;
      if (busy()) {
        dirty = true;
        return;
      }
      dirty = false;
      await draw();
    });
  };
  const onFocusOut = () => {
    if (dirty) window.setTimeout(redraw, 0);
  };
  main.addEventListener("focusout", onFocusOut);
  const offs = [m.on("conversation", redraw), m.on("message", redraw)];
  return {
    destroy: () => {
      offs.forEach((off) => off());
      main.removeEventListener("focusout", onFocusOut);
    },
  };
}
