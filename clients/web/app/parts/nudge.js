// A nudge in two taps: pick an emoji (💛 is chosen already), tap a short warm sentence.

import { NUDGE_EMOJIS, NUDGE_TEMPLATES } from "../content.js";
import { h, uid } from "../dom.js";
import { t } from "../i18n.js";

/**
 * onSend({emoji, template}) is called when a sentence is tapped; `templates` are the
 * sentences offered (a worker's by default).
 */
export function nudgePicker(onSend, templates = NUDGE_TEMPLATES) {
  let emoji = NUDGE_EMOJIS[0];
  const emojiButtons = NUDGE_EMOJIS.map((value) =>
    h(
      "button",
      {
        type: "button",
        "aria-pressed": value === emoji ? "true" : "false",
        "aria-label": t("nudge_emoji", { emoji: value }),
        onclick: (event) => choose(value, event.currentTarget),
      },
      value,
    ),
  );
  const templateButtons = templates.map((template) => {
    const face = h("span", { "aria-hidden": "true" }, emoji);
    const button = h(
      "button",
      { type: "button", dataset: { template }, onclick: () => onSend({ emoji, template }) },
      face,
      t(`nudge_${template}`),
    );
    return { button, face };
  });
  const emojiLabel = uid("nudge-emoji");
  const node = h(
    "div",
    { class: "nudge-picker" },
    h("p", { id: emojiLabel, class: "hint" }, t("nudge_step_emoji")),
    h("div", { class: "nudges", role: "group", "aria-labelledby": emojiLabel }, emojiButtons),
    h("p", { class: "hint" }, t("nudge_step_template")),
    h(
      "div",
      { class: "nudge-templates", role: "group", "aria-label": t("nudge_templates_label") },
      templateButtons.map((item) => item.button),
    ),
  );

  function choose(value, button) {
    emoji = value;
    for (const other of emojiButtons) {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    }
    for (const item of templateButtons) item.face.textContent = value;
  }

  return node;
}
