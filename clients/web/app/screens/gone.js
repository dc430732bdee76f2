// This device can no longer connect: the account was erased, or the device was revoked.

import { h } from "../dom.js";
import { t } from "../i18n.js";

export function show(main) {
  main.append(
    h(
      "section",
      { class: "welcome", "aria-labelledby": "gone-title" },
      h("h1", { id: "gone-title" }, t("gone_title")),
      h("p", {}, t("gone_body")),
    ),
  );
}
