// The conversation's note on how long messages stay ("Berichten verdwijnen na 30 dagen."),
// kept current while the screen is open: a change to the case's policy reaches the device as
// `case_changed`, the messenger reads the policy again and emits `conversation`, and the note
// redraws itself (a status region, so a screen reader hears the new time too).

import { h } from "../dom.js";
import { t, tn } from "../i18n.js";

/** "30 dagen", "12 uur" for the disappearing-message timer. */
export function timerWords(seconds) {
  const days = Math.round(seconds / 86400);
  if (days >= 1) return tn("duration_days", days);
  return tn("duration_hours", Math.max(1, Math.round(seconds / 3600)));
}

/** A <p> that says the conversation's timer now and after every change; hidden when off. */
export function disappearNote(messenger, conversationId, seconds) {
  const note = h("p", { class: "hint", role: "status" });
  const draw = (value) => {
    note.hidden = !value;
    note.textContent = value ? t("disappear_after", { time: timerWords(value) }) : "";
  };
  draw(seconds);
  const off = messenger.on("conversation", async () => {
    if (!note.isConnected) return off(); // the screen is gone
    const conversation = (await messenger.conversations()).find((item) => item.id === conversationId);
    draw(conversation?.disappearingTimer ?? null);
  });
  return note;
}
