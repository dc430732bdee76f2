// A small line chart of check-in answers (1 … 5) over time, drawn as SVG with
// createElementNS: no library, no inline styles (colours come from app.css). It reads on
// its own: the best and worst answer named on the axis, a date under the points, the
// latest answer in words beside it, and the whole series as a text alternative.

import { h, svg } from "../dom.js";
import { language, t } from "../i18n.js";
import { face } from "../content.js";

const WIDTH = 260;
const HEIGHT = 92;
const LEFT = 70; // room for "Heel slecht" on the axis
const RIGHT = 14;
const TOP = 8;
const BOTTOM = 20; // room for the dates
const MIN_LABEL_GAP = 38; // px between two dates, so they never overlap
const MAX_POINTS = 12;

const answerWords = (value) => t(face(value)?.key ?? "face_3");

/** "3 dec" in the current language. */
export function shortDate(unixSeconds) {
  const locale = language() === "nl" ? "nl-NL" : "en-GB";
  return new Date(unixSeconds * 1000).toLocaleDateString(locale, { day: "numeric", month: "short" });
}

/** Which points get a date: the first and the last, and those in between with room. */
function datedIndexes(xs) {
  const last = xs.length - 1;
  const shown = [];
  for (let index = 0; index <= last; index += 1) {
    const roomBefore = shown.length === 0 || xs[index] - xs[shown.at(-1)] >= MIN_LABEL_GAP;
    const roomAfter = index === last || xs[last] - xs[index] >= MIN_LABEL_GAP;
    if (roomBefore && roomAfter) shown.push(index);
  }
  return shown;
}

/**
 * series: [{at, value}] oldest first. Returns a <div class="mood">: the chart (an
 * <svg role="img"> whose label lists every answer with its date) and the latest answer.
 */
export function moodChart(series, name) {
  const points = series.slice(-MAX_POINTS);
  const words = points.map((point) => `${shortDate(point.at)} ${answerWords(point.value)}`);
  const label = t("chart_label", { name, answers: words.join(", ") });
  const chart = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": label,
    focusable: "false",
  });
  chart.append(svg("title", { text: label }));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const y = (value) => TOP + ((5 - value) / 4) * plotHeight;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const xs = points.map((_, index) =>
    points.length === 1 ? LEFT + plotWidth / 2 : LEFT + (index / (points.length - 1)) * plotWidth,
  );
  for (const level of [1, 3, 5]) {
    chart.append(svg("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: y(level), y2: y(level) }));
  }
  // The axis names the ends of the scale in words, the same words as the faces.
  for (const level of [5, 1]) {
    chart.append(
      svg("text", { class: "label", x: LEFT - 6, y: y(level) + 3, "text-anchor": "end", text: answerWords(level) }),
    );
  }
  if (points.length > 1) {
    const path = points.map((point, index) => `${index ? "L" : "M"}${xs[index].toFixed(1)} ${y(point.value).toFixed(1)}`);
    chart.append(svg("path", { class: "line", d: path.join(" ") }));
  }
  points.forEach((point, index) => {
    chart.append(svg("circle", { class: "dot", cx: xs[index].toFixed(1), cy: y(point.value).toFixed(1), r: 3.5 }));
  });
  for (const index of datedIndexes(xs)) {
    chart.append(
      svg("text", {
        class: "label date",
        x: xs[index].toFixed(1),
        y: HEIGHT - 5,
        "text-anchor": "middle",
        text: shortDate(points[index].at),
      }),
    );
  }
  const latest = points.at(-1);
  return h(
    "div",
    { class: "mood" },
    chart,
    h("p", { class: "latest" }, t("chart_latest", { answer: answerWords(latest.value), date: shortDate(latest.at) })),
  );
}
