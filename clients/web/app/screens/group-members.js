// Who is in a group, by the names they chose (docs/groups.md §4), and one's own name there.
// A facilitator also gets the tools to run the group: mute someone for a while, take someone
// out, pin the name, description and ground rules, and set how long messages stay.

import { h, uid } from "../dom.js";
import { formatTime, t, tn } from "../i18n.js";
import { durationWords } from "../parts/duration.js";
import { confirmInline } from "../parts/confirm.js";
import { backToGroup, groupFailureText, groupInfoOrExplain, retentionBanner } from "./group.js";

const MUTE_CHOICES = [
  ["group_mute_hour", 3600],
  ["group_mute_day", 86400],
  ["group_mute_week", 7 * 86400],
];
const TIMER_CHOICES = ["1d", "7d", "30d", "90d"];
const LIFETIME_CHOICES = ["1d", "3d", "7d", "14d"];

export async function show(main, app, where) {
  const m = app.messenger;
  const groupId = where.id;
  const back = backToGroup(groupId);
  let info = await groupInfoOrExplain(main, m, groupId, back);
  if (!info) return null;
  const facilitator = info.role === "facilitator";
  const title = h("h1", {}, t("group_members_title", { group: info.name || t("group_unnamed") }));
  const list = h("ul", { class: "members plain" });
  const status = h("div", { role: "status" });
  const count = h("p", { class: "hint" });
  main.append(title, h("div", { class: "row toolbar" }, back), status, count, list, profileForm());
  if (facilitator) main.append(metaForm(), policyForm());
  // Only a worker may close a group (the relay says so too); a closed group stays readable.
  if (facilitator && app.me?.role === "worker" && !info.closedAt) main.append(closeSection());
  drawMembers();

  const off = m.on("group-changed", async ({ groupId: id }) => {
    if (id !== groupId) return;
    try {
      info = await m.groups.info(groupId);
    } catch (failure) {
      status.replaceChildren(h("p", { class: "notice" }, groupFailureText(failure)));
      return;
    }
    // Never pull a control from under someone who is using it.
    if (!list.contains(document.activeElement)) drawMembers();
  });
  return { destroy: off };

  function drawMembers() {
    title.textContent = t("group_members_title", { group: info.name || t("group_unnamed") });
    list.setAttribute("aria-label", t("group_members_label"));
    count.textContent = tn("group_members_count", info.members.filter((member) => !member.gone).length);
    list.replaceChildren(...info.members.map(memberItem));
  }

  function memberItem(member) {
    const name = member.name || t("group_someone");
    const now = Date.now() / 1000;
    const muted = member.mutedUntil && member.mutedUntil > now ? member.mutedUntil : 0;
    const facts = [];
    if (member.gone) facts.push(t("group_member_gone"));
    if (member.me) facts.push(t("group_member_you"));
    if (member.role === "facilitator") facts.push(t("group_role_facilitator"));
    if (muted) facts.push(t("group_member_muted", { time: formatTime(muted) }));
    const item = h(
      "li",
      { class: ["card member", member.gone && "gone"], dataset: { member: member.member } },
      h("h2", {}, name),
      facts.length ? h("p", { class: "hint" }, facts.join(" · ")) : null,
    );
    // Nobody to mute or take out once they are gone (their account was erased or disabled).
    if (facilitator && !member.me && !member.gone && member.role !== "facilitator")
      item.append(tools(member, name, muted));
    return item;
  }

  /** Mute for a while (or let them talk again) and take out, for one member. */
  function tools(member, name, muted) {
    const place = h("div", {});
    const row = h("div", { class: "row" });
    if (muted) {
      row.append(
        h(
          "button",
          {
            type: "button",
            onclick: () =>
              act(() => m.groups.mute(groupId, member.member, 0), t("group_unmuted", { name })),
          },
          t("group_unmute", { name }),
        ),
      );
    } else {
      const selectId = uid("mute");
      const select = h(
        "select",
        { id: selectId },
        MUTE_CHOICES.map(([key, seconds]) => h("option", { value: String(seconds) }, t(key))),
      );
      row.append(
        h("label", { for: selectId, class: "visually-hidden" }, t("group_mute_how_long", { name })),
        h("div", { class: "grow" }, select),
        h(
          "button",
          {
            type: "button",
            onclick: () =>
              act(
                () => m.groups.mute(groupId, member.member, Number(select.value)),
                t("group_muted_done", { name }),
              ),
          },
          t("group_mute", { name }),
        ),
      );
    }
    const remove = h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: () =>
          confirmInline(place, {
            question: t("group_remove_question", { name }),
            yes: t("group_remove_yes"),
            no: t("group_leave_no"),
            opener: remove,
            onYes: () =>
              act(() => m.groups.remove(groupId, member.member), t("group_removed_done", { name })),
          }),
      },
      t("group_remove", { name }),
    );
    row.append(remove);
    return h("div", { class: "member-tools" }, row, place);
  }

  async function act(action, done) {
    try {
      await action();
      status.replaceChildren(h("p", { class: "notice" }, done));
      info = await m.groups.info(groupId);
    } catch (failure) {
      status.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
    }
    drawMembers();
    status.querySelector("p")?.setAttribute("tabindex", "-1");
    status.querySelector("p")?.focus();
  }

  /** The name the others see. Only members see it: it is end-to-end encrypted. */
  function profileForm() {
    const id = uid("my-name");
    const me = info.members.find((member) => member.me);
    const input = h("input", {
      id,
      type: "text",
      maxlength: "40",
      autocomplete: "off",
      value: me?.name || "",
    });
    const note = h("div", { role: "status" });
    return h(
      "form",
      {
        class: "card",
        onsubmit: async (event) => {
          event.preventDefault();
          const name = input.value.trim();
          if (!name) return input.focus();
          try {
            await m.groups.setProfile(groupId, name);
            note.replaceChildren(h("p", { class: "hint" }, t("group_name_saved")));
          } catch (failure) {
            note.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
          }
        },
      },
      h("h2", {}, t("group_my_name_title")),
      h("label", { for: id }, t("group_display_name_label")),
      h("p", { class: "hint", id: `${id}-hint` }, t("group_display_name_hint")),
      h(
        "div",
        { class: "row" },
        h("div", { class: "grow" }, input),
        h("button", { type: "submit" }, t("save")),
      ),
      note,
    );
  }

  /** Facilitator: the group's name, description and pinned ground rules. */
  function metaForm() {
    const ids = {
      name: uid("meta-name"),
      description: uid("meta-description"),
      rules: uid("meta-rules"),
    };
    const name = h("input", {
      id: ids.name,
      type: "text",
      maxlength: "80",
      autocomplete: "off",
      value: info.name || "",
    });
    const description = h("textarea", { id: ids.description, rows: "2", maxlength: "500" });
    description.value = info.description || "";
    const rules = h("textarea", { id: ids.rules, rows: "4", maxlength: "2000" });
    rules.value = info.rules || "";
    const note = h("div", { role: "status" });
    return h(
      "form",
      {
        class: "card",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!name.value.trim()) return name.focus();
          try {
            await m.groups.setMeta(groupId, {
              name: name.value.trim(),
              description: description.value.trim(),
              rules: rules.value.trim(),
            });
            note.replaceChildren(h("p", { class: "hint" }, t("group_meta_saved")));
          } catch (failure) {
            note.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
          }
        },
      },
      h("h2", {}, t("group_meta_title")),
      h("p", { class: "hint" }, t("group_meta_intro")),
      h("div", { class: "field" }, h("label", { for: ids.name }, t("group_name_label")), name),
      h(
        "div",
        { class: "field" },
        h("label", { for: ids.description }, t("group_description_label")),
        description,
      ),
      h("div", { class: "field" }, h("label", { for: ids.rules }, t("group_rules_label")), rules),
      h("button", { type: "submit", class: "primary" }, t("group_meta_save")),
      note,
    );
  }

  /** Facilitator: how long messages stay, within the organisation's limits. */
  function policyForm() {
    const timerId = uid("timer");
    const lifetimeId = uid("lifetime");
    const current = info.policy || {};
    const timer = choice(timerId, TIMER_CHOICES, current.disappearing_timer);
    const lifetime = choice(lifetimeId, LIFETIME_CHOICES, current.envelope_lifetime);
    const banner = h("div", {}, retentionBanner(info.policy));
    const note = h("div", { role: "status" });
    return h(
      "form",
      {
        class: "card",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const effective = await m.groups.setPolicy(groupId, {
              disappearing_timer: timer.value,
              envelope_lifetime: lifetime.value,
            });
            banner.replaceChildren(retentionBanner(effective));
            note.replaceChildren(
              h("p", { class: "hint" }, t("group_policy_saved")),
              ...(effective?.clamped || []).map((clamp) =>
                h(
                  "p",
                  { class: "notice" },
                  t("policy_clamped", {
                    field: t(`policy_field_${clamp.field}`),
                    asked: durationWords(clamp.asked),
                    used: durationWords(clamp.used),
                  }),
                ),
              ),
            );
          } catch (failure) {
            note.replaceChildren(h("p", { class: "error" }, groupFailureText(failure)));
          }
        },
      },
      h("h2", {}, t("group_policy_title")),
      h("p", { class: "hint" }, t("group_policy_intro")),
      h("div", { class: "field" }, h("label", { for: timerId }, t("group_policy_timer")), timer),
      h(
        "div",
        { class: "field" },
        h("label", { for: lifetimeId }, t("group_policy_lifetime")),
        lifetime,
      ),
      h("button", { type: "submit", class: "primary" }, t("group_policy_save")),
      note,
      banner,
    );
  }

  /** The group has done its work: close it for everyone, after one "are you sure?". */
  function closeSection() {
    const place = h("div", {});
    const button = h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: () =>
          confirmInline(place, {
            question: t("group_close_question"),
            yes: t("group_close_yes"),
            no: t("group_leave_no"),
            opener: button,
            onYes: async () => {
              await act(() => m.groups.close(groupId), t("group_close_done"));
              if (info.closedAt) section.remove();
            },
          }),
      },
      t("group_close"),
    );
    const section = h(
      "section",
      { class: "card" },
      h("h2", {}, t("group_close_title")),
      h("p", {}, t("group_close_intro")),
      button,
      place,
    );
    return section;
  }

  function choice(id, values, currentValue) {
    const known = values.includes(currentValue)
      ? values
      : [currentValue, ...values].filter(Boolean);
    return h(
      "select",
      { id },
      known.map((value) =>
        h(
          "option",
          { value, selected: value === currentValue },
          value === "off" ? t("policy_timer_off") : durationWords(value),
        ),
      ),
    );
  }
}
