// The caregiver's home: straight into the conversation with their support worker; a short
// list only when more than one worker is on their case.
//
// The conversation's code is imported here, not at the top: the join screen preloads this
// file, and a first visit should not download the chat before the person has joined
// (the first-load budget, docs/performance.md). main.js and join.js start the import early.

import { h } from "../dom.js";
import { t } from "../i18n.js";

export async function show(main, app) {
  const m = app.messenger;
  const conversations = await m.conversations();
  if (conversations.length === 1) {
    const chat = await import("./chat.js");
    return chat.show(main, app, { id: conversations[0].id }, { single: true });
  }
  main.append(h("h1", {}, t("home_title")));
  if (conversations.length === 0) {
    main.append(h("p", { class: "notice" }, t("home_empty")));
    // The case appears as soon as the relay tells us; then show it.
    const off = m.on("conversation", () => app.render());
    return { destroy: off };
  }
  const { summary } = await import("../parts/messages.js");
  const list = h("ul", { class: "caseload" });
  for (const conversation of conversations) {
    const name = await app.nameOf(conversation);
    list.append(
      h(
        "li",
        { class: "card" },
        h("h2", {}, h("a", { href: `#/chat/${encodeURIComponent(conversation.id)}` }, name)),
        conversation.lastMessage ? h("p", {}, summary(conversation.lastMessage)) : null,
        conversation.unread
          ? h("p", { class: "badge" }, t("unread", { count: conversation.unread }))
          : null,
      ),
    );
  }
  main.append(list);
  const offs = [
    m.on("conversation", () => app.render()),
    m.on("message", ({ isNew }) => isNew && app.render()),
  ];
  return { destroy: () => offs.forEach((off) => off()) };
}
