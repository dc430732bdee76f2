// The PIN lock (optional, set in Settings): after a reload or some minutes in the
// background the phone asks for the PIN before anything is shown. After five wrong PINs
// each next try waits longer (lib/lock.js PinAttempts), and the screen says how long.

import { PinAttempts } from "../../lib/pin-attempts.js";
import { h, uid } from "../dom.js";
import { t, tn } from "../i18n.js";

function pageStorage() {
  try {
    return window.localStorage;
  } catch {
    return null; // PinAttempts then counts in memory
  }
}

// One count for the page, so a redraw of this screen does not forget it.
const attempts = new PinAttempts(pageStorage());

/** "30 seconden", "2 minuten", "1 uur": how long until the next try. */
function waitWords(ms) {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return tn("duration_seconds", seconds);
  if (seconds < 3600) return tn("duration_minutes", Math.ceil(seconds / 60));
  return tn("duration_hours", Math.ceil(seconds / 3600));
}

export function show(main, app) {
  const id = uid("pin");
  const input = h("input", {
    id,
    type: "password",
    inputmode: "numeric",
    autocomplete: "current-password",
    minlength: "4",
    maxlength: "64",
    required: true,
    dataset: { autofocus: "" },
  });
  const error = h("div", { role: "alert" });
  const button = h("button", { type: "submit", class: "primary big" }, t("lock_open"));
  let waitTimer = null;

  /** Say once how long to wait; the button comes back by itself when the time is up. */
  function waitBeforeNextTry() {
    const ms = attempts.waitMs();
    if (ms <= 0) return false;
    button.disabled = true;
    error.replaceChildren(h("p", { class: "error" }, t("lock_wait", { time: waitWords(ms) })));
    window.clearTimeout(waitTimer);
    waitTimer = window.setTimeout(() => {
      button.disabled = false;
      error.replaceChildren(h("p", { class: "notice" }, t("lock_wait_over")));
      input.focus();
    }, ms);
    return true;
  }

  main.append(
    h(
      "section",
      { class: "welcome", "aria-labelledby": "lock-title" },
      h("img", { class: "logo", src: "/app/icons/icon.svg", alt: "" }),
      h("h1", { id: "lock-title" }, t("lock_title")),
      h(
        "form",
        {
          class: "stack",
          onsubmit: async (event) => {
            event.preventDefault();
            if (waitBeforeNextTry()) return;
            error.replaceChildren();
            button.disabled = true;
            try {
              await app.messenger.unlock(input.value);
              attempts.succeeded();
              input.value = "";
              await app.unlocked();
            } catch (failure) {
              button.disabled = false;
              const wrong = failure?.code === "wrong_pin";
              if (wrong) attempts.failed();
              if (wrong && waitBeforeNextTry()) return;
              error.append(h("p", { class: "error" }, t(wrong ? "lock_wrong" : "lock_failed")));
              input.select();
            }
          },
        },
        h("label", { for: id }, t("lock_label")),
        input,
        error,
        button,
      ),
      h("p", { class: "hint" }, t("lock_forgot")),
    ),
  );
  waitBeforeNextTry(); // still waiting from before a reload
  return { destroy: () => window.clearTimeout(waitTimer) };
}
