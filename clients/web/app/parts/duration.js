// A duration as a number and a unit ("14" + "dagen"), read from and written as the relay's
// policy spelling ("14d", docs/retention.md). No parsing of free text: the unit is a select.

import { h, uid } from "../dom.js";
import { t, tn } from "../i18n.js";

const UNITS = ["m", "h", "d", "y"];
const SECONDS = { m: 60, h: 3600, d: 86400, y: 365 * 86400 };
const SPELLING = /^(\d{1,9})([ywdhms])$/;

/** "14d" → {amount: 14, unit: "d"}; weeks and seconds become days or minutes where exact. */
export function splitDuration(text) {
  const match = SPELLING.exec(String(text ?? "").trim());
  if (!match) return { amount: "", unit: "d" };
  const seconds = Number(match[1]) * { w: 7 * 86400, s: 1, ...SECONDS }[match[2]];
  for (const unit of ["y", "d", "h", "m"]) {
    if (seconds && seconds % SECONDS[unit] === 0) return { amount: seconds / SECONDS[unit], unit };
  }
  return { amount: Math.ceil(seconds / 60), unit: "m" };
}

/**
 * A labelled number with a unit select. `get()` returns "14d", or null when empty.
 * `input` is the number field (for focus and aria-invalid).
 */
export function durationField(label, value, { hint = null, optional = false } = {}) {
  const id = uid("duration");
  const { amount, unit } =
    value === null || value === undefined ? { amount: "", unit: "d" } : splitDuration(value);
  const input = h("input", {
    id,
    type: "number",
    min: "0",
    step: "1",
    inputmode: "numeric",
    value: String(amount),
    required: !optional,
  });
  const select = h(
    "select",
    { "aria-label": t("span_unit_label", { field: label }) },
    UNITS.map((code) =>
      h("option", { value: code, selected: code === unit }, t(`span_unit_${code}`)),
    ),
  );
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute("aria-describedby", `${id}-hint`);
  const field = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hintNode,
    h("div", { class: "duration" }, input, select),
  );
  return {
    field,
    input,
    get: () => (input.value.trim() === "" ? null : `${input.value.trim()}${select.value}`),
  };
}

/** "14d" → 1209600 seconds; null when it is not a duration. */
export function durationSeconds(text) {
  const match = SPELLING.exec(String(text ?? "").trim());
  return match ? Number(match[1]) * { w: 7 * 86400, s: 1, ...SECONDS }[match[2]] : null;
}

/** "604800" or "7d" → "7 dagen" in words, for the clamps the relay reports. */
export function durationWords(value) {
  const text = /^\d+$/.test(String(value)) ? `${value}s` : String(value);
  const { amount, unit } = splitDuration(text);
  if (amount === "") return String(value);
  return tn(`span_words_${unit}`, amount);
}
