// A small line chart of check-in answers (1 … 5) over time, drawn as SVG with
// createElementNS: no library, no inline styles (colours come from app.css).

import { svg } from "../dom.js";
import { t } from "../i18n.js";
import { face } from "../content.js";

const WIDTH = 160;
const HEIGHT = 64;
const PAD = 8;
const MAX_POINTS = 12;

/** series: [{at, value}] oldest first. Returns an <svg role="img"> with a text alternative. */
export function moodChart(series, name) {
  const points = series.slice(-MAX_POINTS);
  const words = points.map((point) => t(face(point.value)?.key ?? "face_3")).join(", ");
  const label = t("chart_label", { name, answers: words });
  const chart = svg("svg", {
    class: "chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": label,
    focusable: "false",
  });
  chart.append(svg("title", { text: label }));
  const y = (value) => PAD + ((5 - value) / 4) * (HEIGHT - 2 * PAD);
  const x = (index) =>
    points.length === 1 ? WIDTH / 2 : PAD + (index / (points.length - 1)) * (WIDTH - 2 * PAD);
  for (const level of [1, 3, 5]) {
    chart.append(svg("line", { class: "grid", x1: PAD, x2: WIDTH - PAD, y1: y(level), y2: y(level) }));
  }
  if (points.length > 1) {
    const path = points.map(
      (point, index) => `${index ? "L" : "M"}${x(index).toFixed(1)} ${y(point.value).toFixed(1)}`,
    );
    chart.append(svg("path", { class: "line", d: path.join(" ") }));
  }
  points.forEach((point, index) => {
    const [cx, cy] = [x(index).toFixed(1), y(point.value).toFixed(1)];
    chart.append(svg("circle", { class: "dot", cx, cy, r: 3.5 }));
  });
  return chart;
}
