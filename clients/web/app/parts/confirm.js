// One inline "are you sure?", shared by the desk screens and the group screens (a small
// module of its own, so a caregiver's phone does not load the desk's code for it).

import { h, uid } from "../dom.js";

/**
 * An inline "are you sure?" in `place` (no window.confirm: it blocks and cannot be styled
 * or read well). Focus goes to the "yes" button; "no" returns it to the opener.
 */
export function confirmInline(place, { question, yes, no, opener, onYes }) {
  const questionId = uid("confirm");
  const yesButton = h("button", { type: "button", class: "danger primary" }, yes);
  const noButton = h("button", { type: "button" }, no);
  noButton.addEventListener("click", () => {
    place.replaceChildren();
    opener?.focus();
  });
  yesButton.addEventListener("click", async () => {
    yesButton.disabled = true;
    noButton.disabled = true;
    await onYes();
  });
  place.replaceChildren(
    h(
      "div",
      { class: "notice confirm", role: "group", "aria-labelledby": questionId },
      h("p", { id: questionId }, question),
      h("div", { class: "row" }, yesButton, noButton),
    ),
  );
  yesButton.focus();
}
