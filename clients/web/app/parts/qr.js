// The invite QR code, drawn locally as SVG: the link never leaves this device to be drawn.

import qrcode from "../../vendor/qrcode-generator-2.0.4.js";
import { svg } from "../dom.js";

const QUIET = 4; // modules of white border the QR standard asks for

export function qrSvg(text, label) {
  const code = qrcode(0, "M");
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const size = count + 2 * QUIET;
  const parts = [];
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) parts.push(`M${col + QUIET} ${row + QUIET}h1v1h-1z`);
    }
  }
  return svg(
    "svg",
    {
      class: "qr",
      viewBox: `0 0 ${size} ${size}`,
      role: "img",
      "aria-label": label,
      "shape-rendering": "crispEdges",
    },
    svg("title", { text: label }),
    svg("rect", { width: size, height: size, fill: "#ffffff" }),
    svg("path", { d: parts.join(""), fill: "#000000" }),
  );
}

/**
 * The link a phone opens: this very app (same origin and path) with the relay's fragment
 * (token and fingerprint) and any extra fragment fields. This also holds when the relay does
 * not know its own public address (started on port 0, or without --public-url).
 */
export function appLink(relayLink, extra = "") {
  const fragment = relayLink.slice(relayLink.indexOf("#"));
  return `${location.origin}${location.pathname}${fragment}${extra}`;
}
