// The PIN lock (optional, set in Settings): after a reload or some minutes in the
// background the phone asks for the PIN before anything is shown.

import { h, uid } from "../dom.js";
import { t } from "../i18n.js";

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
            error.replaceChildren();
            button.disabled = true;
            try {
              await app.messenger.unlock(input.value);
              input.value = "";
              await app.unlocked();
            } catch (failure) {
              const key = failure?.code === "wrong_pin" ? "lock_wrong" : "lock_failed";
              error.append(h("p", { class: "error" }, t(key)));
              input.select();
            } finally {
              button.disabled = false;
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
  return null;
}
