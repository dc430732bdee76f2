// Peer-support groups (lotgenotencontact, docs/groups.md): the groups this person takes part
// in, with what is new in each. A support worker can also start a group here. Group names,
// descriptions and rules are end-to-end encrypted; they come from the library, shown with
// textContent only.

import { h, uid } from "../dom.js";
import { isOffline } from "../failures.js";
import { t, tn } from "../i18n.js";
import { groupSummary } from "../parts/messages.js";

export async function show(main, app) {
  const m = app.messenger;
  const worker = app.me.role !== "caregiver";
  const list = h("ul", { class: "caseload groups", "aria-label": t("groups_list_label") });
  const body = h("div", {});
  main.append(h("h1", {}, t("groups_title")), h("p", {}, t("groups_intro")));
  if (worker) main.append(createForm());
  main.append(body);

  async function draw() {
    let groups;
    try {
      groups = await m.groups.list();
    } catch (failure) {
      body.replaceChildren(
        h("p", { class: "error" }, t(isOffline(failure) ? "needs_connection" : "groups_failed")),
      );
      return;
    }
    if (groups.length === 0) {
      body.replaceChildren(
        h("p", { class: "notice" }, t(worker ? "groups_empty_worker" : "groups_empty")),
      );
      return;
    }
    list.replaceChildren(...groups.map(card));
    body.replaceChildren(list);
  }

  function card(group) {
    const href = `#/group/${encodeURIComponent(group.id)}`;
    const name = group.name || t("group_unnamed");
    const facts = [tn("group_member_count", group.memberCount || 0)];
    if (group.role === "facilitator") facts.push(t("group_you_facilitate"));
    return h(
      "li",
      { class: "card group-card", dataset: { group: group.id } },
      h("h2", {}, h("a", { href }, name)),
      h("p", { class: "hint" }, facts.join(" · ")),
      group.closedAt ? h("p", { class: "notice" }, t("group_closed_note")) : null,
      group.lastMessage ? h("p", { class: "last" }, groupSummary(group.lastMessage)) : null,
      group.unread
        ? h("p", {}, h("span", { class: "badge calm" }, tn("unread_count", group.unread)))
        : null,
    );
  }

  /** A worker starts a group: a name, a short description, the ground rules. */
  function createForm() {
    const nameId = uid("group-name");
    const descriptionId = uid("group-description");
    const rulesId = uid("group-rules");
    const myNameId = uid("group-my-name");
    const nameInput = h("input", {
      id: nameId,
      type: "text",
      maxlength: "80",
      autocomplete: "off",
    });
    const description = h("textarea", { id: descriptionId, rows: "2", maxlength: "500" });
    const rules = h("textarea", { id: rulesId, rows: "4", maxlength: "2000" });
    rules.value = t("group_rules_default");
    const myName = h("input", {
      id: myNameId,
      type: "text",
      maxlength: "40",
      autocomplete: "off",
      "aria-describedby": `${myNameId}-hint`,
    });
    const error = h("div", { role: "alert" });
    const submit = h("button", { type: "submit", class: "primary" }, t("group_create"));
    const form = h(
      "form",
      {
        class: "card",
        id: uid("group-new"),
        hidden: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const name = nameInput.value.trim();
          const displayName = myName.value.trim();
          for (const [input, value] of [
            [nameInput, name],
            [myName, displayName],
          ]) {
            if (value) input.removeAttribute("aria-invalid");
            else input.setAttribute("aria-invalid", "true");
          }
          if (!name || !displayName) {
            error.replaceChildren(h("p", { class: "error" }, t("group_create_fill")));
            (name ? myName : nameInput).focus();
            return;
          }
          submit.disabled = true;
          error.replaceChildren();
          try {
            const { id } = await m.groups.create({
              name,
              description: description.value.trim(),
              rules: rules.value.trim(),
            });
            // The others see the facilitator by this name, like everyone else in the group.
            await m.groups.setProfile(id, displayName);
            app.announce(t("group_created", { name }));
            app.go(`/group/${encodeURIComponent(id)}`);
          } catch (failure) {
            const key = isOffline(failure) ? "needs_connection" : "group_create_failed";
            error.replaceChildren(h("p", { class: "error" }, t(key)));
            submit.disabled = false;
          }
        },
      },
      h("h2", {}, t("group_new_title")),
      h("p", { class: "hint" }, t("group_new_hint")),
      h("div", { class: "field" }, h("label", { for: nameId }, t("group_name_label")), nameInput),
      h(
        "div",
        { class: "field" },
        h("label", { for: descriptionId }, t("group_description_label")),
        description,
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: rulesId }, t("group_rules_label")),
        h("p", { class: "hint", id: `${rulesId}-hint` }, t("group_rules_hint")),
        rules,
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: myNameId }, t("group_display_name_label")),
        h("p", { class: "hint", id: `${myNameId}-hint` }, t("group_display_name_hint_worker")),
        myName,
      ),
      error,
      submit,
    );
    rules.setAttribute("aria-describedby", `${rulesId}-hint`);
    const open = h(
      "button",
      { type: "button", "aria-expanded": "false", "aria-controls": form.id },
      h("span", { "aria-hidden": "true" }, "➕"),
      t("group_new"),
    );
    open.addEventListener("click", () => {
      const opening = form.hidden;
      form.hidden = !opening;
      open.setAttribute("aria-expanded", opening ? "true" : "false");
      if (opening) nameInput.focus();
    });
    return h("div", {}, h("div", { class: "row toolbar" }, open), form);
  }

  await draw();
  const offs = [
    m.on("groups", () => draw()),
    m.on("group-changed", () => draw()),
    m.on("group-message", ({ isNew }) => isNew && draw()),
  ];
  return { destroy: () => offs.forEach((off) => off()) };
}
