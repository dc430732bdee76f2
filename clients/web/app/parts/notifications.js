// Notifications on this device (docs/notifications.md): the one question after joining, the
// iPhone home-screen steps, and the Settings section (switch, quiet hours, muted
// conversations). Loaded only when needed: never on a caregiver's first visit.

import { h, svg, uid } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import * as push from "../../lib/push.js";

/** The words the service worker shows, in the app's language; workers see "Nieuw bericht". */
function words(app) {
  return {
    title: t("push_notification_title"),
    message: t(app.me?.role === "caregiver" ? "push_notification_message" : "push_notification_message_worker"),
    group: t("push_notification_group"),
  };
}

async function online(messenger) {
  if (messenger.state === "online") return;
  await new Promise((resolve) => {
    const stop = messenger.on("status", ({ state }) => {
      if (state !== "online") return;
      stop();
      resolve();
    });
  });
}

/** At every open with notifications on: the relay and the worker's table stay current. */
export async function renew(app) {
  await loadPart("notifications");
  await online(app.messenger);
  await push.renew(app.messenger, words(app));
}

/** After joining: ask once, in plain words; "Nu niet" is remembered too. */
export async function askOnce(app) {
  const m = app.messenger;
  if (m.settings().pushAsked) return;
  await loadPart("notifications");
  await m.setSetting("pushAsked", true);
  if (push.needsHomeScreen()) {
    showDialog(iosSteps(), [[t("push_ios_ok"), () => {}]]);
    return;
  }
  if (!push.supported()) return;
  showDialog(
    [h("h2", { id: "push-ask-title" }, t("push_ask_title")), h("p", {}, t("push_ask_body"))],
    [
      [t("push_ask_yes"), () => switchOn(app)],
      [t("push_ask_no"), () => {}],
    ],
  );
}

/** Caregivers get quiet hours 22:00-08:00 unless they change them; workers none. */
function defaultQuiet(app) {
  return app.me?.role === "caregiver" ? push.DEFAULT_QUIET : null;
}

async function switchOn(app) {
  await online(app.messenger);
  const outcome = await push.enable(app.messenger, words(app), { quiet: defaultQuiet(app) });
  app.announce(t(outcome === "on" ? "push_on" : outcome === "denied" ? "push_denied" : "push_failed"));
  return outcome;
}

/** A modal <dialog>: focus moves into it, Escape closes it, focus returns afterwards. */
function showDialog(content, buttons) {
  const before = document.activeElement;
  const dialog = h("dialog", { class: "card push-dialog", "aria-labelledby": "push-ask-title" }, ...content);
  const row = h("div", { class: "row" });
  buttons.forEach(([label, action], index) => {
    const button = h("button", { type: "button", class: index === 0 ? "primary" : null }, label);
    button.addEventListener("click", async () => {
      dialog.close();
      dialog.remove();
      before?.focus?.({ preventScroll: true }); // the conversation stays where it was
      await action();
    });
    row.append(button);
  });
  dialog.append(row);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  row.querySelector("button").focus();
}

/** The iPhone steps, each with a picture of what to tap. */
function iosSteps() {
  const steps = h("ol", { class: "push-steps" });
  [
    ["push_ios_step1", shareIcon()],
    ["push_ios_step2", addIcon()],
    ["push_ios_step3", appIcon()],
  ].forEach(([key, picture]) => steps.append(h("li", {}, picture, h("span", {}, t(key)))));
  return [h("h2", { id: "push-ask-title" }, t("push_ios_title")), h("p", {}, t("push_ios_intro")), steps];
}

function icon(paths) {
  const attrs = { fill: "none", stroke: "currentColor", "stroke-width": "2", "stroke-linecap": "round" };
  return svg(
    "svg",
    { viewBox: "0 0 24 24", width: "32", height: "32", "aria-hidden": "true", focusable: "false" },
    paths.map((d) => svg("path", { d, ...attrs })),
  );
}

const shareIcon = () => icon(["M12 3v12", "M8 7l4-4 4 4", "M6 11H5v10h14V11h-1"]);
const addIcon = () => icon(["M4 4h16v16H4z", "M12 8v8", "M8 12h8"]);
function appIcon() {
  return h("img", { src: "/app/icons/icon-192.png", alt: "", width: "32", height: "32" });
}

/** Instellingen: the switch, quiet hours (caregivers' default 22:00-08:00), mutes. */
export async function settingsSection(app) {
  await loadPart("notifications");
  const m = app.messenger;
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "push-heading" },
    h("h2", { id: "push-heading" }, t("push_settings_title")),
  );
  if (push.needsHomeScreen()) {
    section.append(...iosSteps().slice(1));
    return section;
  }
  if (!push.supported()) {
    section.append(h("p", {}, t("push_settings_unsupported")));
    return section;
  }
  const prefs = m.settings().push ?? {};
  const quiet = prefs.quiet === undefined ? defaultQuiet(app) : prefs.quiet;
  const switchId = uid("push");
  const onOff = h("input", { type: "checkbox", id: switchId, checked: Boolean(prefs.on) && Notification.permission === "granted" });
  const details = h("div", { class: "push-details" });
  const save = async () => {
    await push.renew(m, words(app));
    app.announce(t("saved"));
  };
  onOff.addEventListener("change", async () => {
    if (onOff.checked) {
      onOff.checked = (await switchOn(app)) === "on";
    } else {
      await push.disable(m);
      app.announce(t("saved"));
    }
    details.hidden = !onOff.checked;
  });
  section.append(h("label", { class: "check", for: switchId }, onOff, t("push_settings_switch")));
  details.hidden = !onOff.checked;
  details.append(quietHours(m, quiet, save), await muteList(app, save));
  section.append(details);
  return section;
}

function quietHours(m, quiet, save) {
  const set = h("fieldset", {}, h("legend", {}, t("push_settings_quiet")));
  for (const [part, label] of [
    ["from", "push_settings_quiet_from"],
    ["until", "push_settings_quiet_until"],
  ]) {
    const id = uid(`quiet-${part}`);
    const input = h("input", { type: "time", id, value: quiet?.[part] ?? "", step: "60" });
    input.addEventListener("change", async () => {
      const current = m.settings().push ?? {};
      const next = { ...(current.quiet ?? {}), [part]: input.value }; // both set: quiet hours
      await m.setSetting("push", { ...current, quiet: next });
      await save();
    });
    set.append(h("label", { for: id }, t(label)), input);
  }
  return set;
}

async function muteList(app, save) {
  const m = app.messenger;
  const set = h("fieldset", {}, h("legend", {}, t("push_settings_mute")));
  for (const conversation of await m.conversations()) {
    const id = uid("mute");
    const muted = new Set(m.settings().push?.muted ?? []);
    const box = h("input", { type: "checkbox", id, checked: muted.has(conversation.id) });
    box.addEventListener("change", async () => {
      const current = m.settings().push ?? {};
      const next = new Set(current.muted ?? []);
      if (box.checked) next.add(conversation.id);
      else next.delete(conversation.id);
      await m.setSetting("push", { ...current, muted: [...next] });
      await save();
    });
    set.append(h("label", { class: "check", for: id }, box, await app.nameOf(conversation)));
  }
  return set;
}
