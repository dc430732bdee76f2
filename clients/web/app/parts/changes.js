// Before and after values of an audit entry (issue 19 item 2; docs/audit.md §2 `change`):
// "Bewaartermijn berichten: 14 → 7 dagen". The log holds codes and whole seconds only; the
// words come from the officer-desk strings, loaded with the screens that show a timeline.

import { t } from "../i18n.js";

const UNITS = [
  [86400, "day"],
  [3600, "hour"],
  [60, "minute"],
];

function amount(seconds) {
  for (const [size, unit] of UNITS) {
    if (seconds && seconds % size === 0) return [seconds / size, unit];
  }
  return [seconds, "second"];
}

function counted(number, unit) {
  return t(`change_unit_${unit}_${number === 1 ? "one" : "many"}`, { count: number });
}

function value(raw) {
  if (typeof raw === "string") return t(`change_value_${raw}`);
  const [number, unit] = amount(raw);
  return counted(number, unit);
}

/** One change as a line of text; one unit written once when both values share it. */
export function changeText(change) {
  const label = t(`change_field_${change.field.replaceAll(".", "_")}`);
  if (typeof change.before === "number" && typeof change.after === "number") {
    const [old, oldUnit] = amount(change.before);
    const [now, unit] = amount(change.after);
    if (oldUnit === unit && now !== 1) {
      return `${label}: ${old} → ${counted(now, unit)}`;
    }
  }
  return `${label}: ${value(change.before)} → ${value(change.after)}`;
}

/** Every change of an entry, one text per setting (empty for entries without values). */
export function changeLines(entry) {
  return (entry.change || []).map(changeText);
}
