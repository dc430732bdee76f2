// Someone opened the app without an invite and without an account on this phone.

import { h } from "../dom.js";
import { t } from "../i18n.js";

export function show(main) {
  main.append(
    h(
      "section",
      { class: "welcome", "aria-labelledby": "noinvite-title" },
      h("img", { class: "logo", src: "/app/icons/icon.svg", alt: "" }),
      h("h1", { id: "noinvite-title" }, t("noinvite_title")),
      h("p", {}, t("noinvite_body")),
      h("p", {}, t("noinvite_how")),
      // A wiped phone looks exactly like a new one (issue 20): say what to do then too.
      h("p", {}, t("noinvite_lost")),
    ),
  );
}
