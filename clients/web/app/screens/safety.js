// The safety number with one other person, to compare side by side (docs/e2e.md §9).
// A caregiver who joined by QR at the kitchen table is verified already.

import { h } from "../dom.js";
import { t } from "../i18n.js";

export async function show(main, app, where) {
  const m = app.messenger;
  const conversation = (await m.conversations()).find((item) => item.id === where.id);
  if (!conversation) {
    main.append(
      h("h1", {}, t("chat_not_found_title")),
      h("a", { href: "#/settings", class: "button" }, t("back_settings")),
    );
    return null;
  }
  const name = await app.nameOf(conversation);
  main.append(h("h1", {}, t("safety_of", { name })), h("p", {}, t("safety_explain", { name })));
  const numbers = await m.safetyNumber(conversation.id);
  const status = h("p", { role: "status" });
  if (numbers.length === 0) {
    main.append(h("p", { class: "notice" }, t("safety_after_first_message")));
  }
  for (const entry of numbers) {
    const groups = (entry.formatted || entry.number).split(/\s+/).filter(Boolean);
    main.append(
      h(
        "section",
        { class: "card", "aria-label": t("safety_device") },
        numbers.length > 1 ? h("h2", {}, t("safety_device")) : null,
        h("p", { class: "safety-number" }, groups.map((group) => h("span", {}, group))),
      ),
    );
  }
  main.append(status);
  const verified = await m.verified(conversation.id);
  if (verified) {
    status.textContent = t("safety_verified");
    status.className = "notice";
  } else if (numbers.length) {
    status.textContent = t("safety_not_verified");
    const same = h("button", { type: "button", class: "primary" }, t("safety_mark"));
    same.addEventListener("click", async () => {
      await m.markVerified(conversation.id);
      same.remove();
      status.textContent = t("safety_verified");
      status.className = "notice";
    });
    main.append(h("p", {}, same));
  }
  const back =
    app.me.role === "caregiver" ? "#/settings" : `#/chat/${encodeURIComponent(conversation.id)}`;
  main.append(h("p", {}, h("a", { href: back, class: "button" }, t("back"))));
  return null;
}
