// The caregiver's (or a new worker's) first screen, opened from the QR code at the kitchen
// table: one button and they are in. No phone number, no password.

import { h } from "../dom.js";
import { isOffline } from "../failures.js";
import { language, loadPart, t } from "../i18n.js";

/** Refusals after which the same link can never work: only a new invite helps. */
const FINAL = new Set([
  "invite_used",
  "invite_expired",
  "invite_invalid",
  "invite_revoked",
  "invite_wrong_account",
]);

const ERROR_KEYS = {
  invite_invalid: "join_error_invalid",
  invite_expired: "join_error_expired",
  invite_used: "join_error_used",
  invite_revoked: "join_error_revoked",
  invite_wrong_account: "back_wrong_account",
  recovery_not_approved: "back_not_approved", // a colleague approves it; then it works
  too_many_attempts: "join_error_busy",
};

export function show(main, app) {
  const link = app.pendingInvite || "";
  const anotherDevice = /[#&]device=1(&|$)/.test(link);
  const fromWorker = /[#&]fp=/.test(link) && !anotherDevice;
  // A recovery link (issue 20) brings a caregiver back into their own account; main.js
  // loaded its words (i18n/recovery).
  const comingBack = /[#&]account=/.test(link);
  // Whoever a worker invites is most likely a caregiver: large type from the first screen.
  document.body.classList.toggle("role-caregiver", fromWorker);
  const other =
    language() === "nl"
      ? { code: "en", label: "In English" }
      : { code: "nl", label: "In het Nederlands" };
  const error = h("div", { role: "alert" });
  const button = h(
    "button",
    { class: "primary big", type: "button", onclick: join },
    t(anotherDevice ? "join_device_button" : "join_button"),
  );
  const busy = h("p", { class: "hint", role: "status" });
  // Coming back with a recovery link: the old phone is signed off, unless the caregiver
  // says it still works (not ticked by default: a lost or stolen phone must stop).
  const keepOld = h("input", { type: "checkbox", id: "keep-old-phone" });

  main.append(
    h(
      "section",
      { class: "welcome", "aria-labelledby": "join-title" },
      h("img", { class: "logo", src: "/app/icons/icon.svg", alt: "" }),
      h(
        "h1",
        { id: "join-title" },
        t(comingBack ? "back_title" : anotherDevice ? "join_device_title" : "join_title"),
      ),
      // A link from a support worker's phone carries their key (fp=); one from an
      // administrator's console does not, and then "your support worker" would be wrong.
      comingBack
        ? [
            h("p", {}, t("back_body")),
            h("p", {}, t("back_old_messages")),
            h("p", {}, h("label", { class: "check", for: keepOld.id }, keepOld, t("back_keep_old"))),
          ]
        : anotherDevice
        ? h("p", {}, t("join_device_body"))
        : [
            h("p", {}, t(fromWorker ? "join_body" : "join_body_plain")),
            h("p", {}, t(fromWorker ? "join_privacy" : "join_privacy_plain")),
          ],
      error,
      button,
      busy,
      h(
        "p",
        {},
        h(
          "button",
          {
            type: "button",
            lang: other.code,
            class: "link-button",
            onclick: () => app.relabel(other.code),
          },
          other.label,
        ),
      ),
    ),
  );

  async function join() {
    button.disabled = true;
    error.replaceChildren();
    busy.textContent = t("join_busy");
    // The conversation's code loads while the keys are made, so it opens at once after.
    import("./chat.js").catch(() => {});
    try {
      await app.messenger.register(app.pendingInvite, { keepOld: comingBack && keepOld.checked });
      await app.joined();
    } catch (failure) {
      busy.textContent = "";
      if (failure?.code === "invite_wrong_account") await loadPart("recovery");
      const key =
        ERROR_KEYS[failure?.code] || (isOffline(failure) ? "join_error_offline" : "join_error_other");
      error.append(h("p", { class: "error" }, t(key)));
      button.disabled = FINAL.has(failure?.code);
      // A used link on a phone without keys: most likely this phone's own, from before it
      // lost Steuntje. Say so, and what to do (screens/empty.js).
      if (failure?.code === "invite_used" && !comingBack) {
        const { emptyCard } = await import("./empty.js");
        error.after(await emptyCard());
      }
    }
  }
}
