// The wijk of a caregiver's case, in the worker's chat (issue 18, reach figures): a choice
// from the organisation's fixed list, or "Geen wijk". The relay keeps it on the case, as
// routing metadata that goes with the case (PROTOCOL.md §4.18); the reach report counts per
// wijk, never who. chat.js loads this only once connected: offline the module and its
// strings may not be cached, and the choice could not be saved anyway.

import { h, uid } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import { failureNote } from "./desk.js";

/** The open cases of this caregiver that the worker is on (usually one). */
function openCasesOf(cases, caregiver) {
  return cases.filter((item) => item.caregiver === caregiver && !item.closed_at).map((item) => item.id);
}

/** Fill `slot` with the wijk field for the caregiver `caregiver`; nothing for a closed case. */
export async function fillCaseArea(slot, messenger, caregiver) {
  const caseIds = openCasesOf(await messenger.cases(), caregiver);
  if (caseIds.length === 0) return;
  await loadPart("reach");
  let lists;
  try {
    lists = await messenger.request("reach_lists", {});
  } catch (failure) {
    slot.replaceChildren(failureNote(failure));
    return;
  }
  if (lists.areas.length === 0) {
    // Said, not hidden: the worker learns why there is nothing to choose and who can fix it.
    slot.replaceChildren(
      h("div", { class: "field case-area" }, h("p", { class: "hint" }, t("case_area_empty"))),
    );
    return;
  }
  const id = uid("case-area");
  const status = h("div", { "aria-live": "polite" });
  const select = h("select", {
    id,
    "aria-describedby": `${id}-hint`,
    onchange: async () => {
      // Not disabled while saving: that would take the keyboard focus away from the select.
      const area = select.value || null;
      try {
        // One caregiver, one wijk: every open case of theirs gets the same one.
        for (const caseId of caseIds) await messenger.request("case_set_area", { case: caseId, area });
        const said = area ? t("case_area_saved", { area }) : t("case_area_cleared");
        status.replaceChildren(h("p", { class: "notice", role: "status" }, said));
      } catch (failure) {
        // not_on_list: an admin changed the list since this screen opened; say what to do.
        status.replaceChildren(
          failure?.code === "not_on_list"
            ? h("p", { class: "error", role: "alert" }, t("case_area_not_listed"))
            : failureNote(failure),
        );
      }
    },
  });
  select.append(h("option", { value: "" }, t("case_area_none")));
  for (const area of lists.areas) select.append(h("option", { value: area }, area));
  const current = lists.case_areas?.[caseIds[0]] ?? "";
  select.value = lists.areas.includes(current) ? current : "";
  slot.replaceChildren(
    h(
      "div",
      { class: "field case-area" },
      h("label", { for: id }, t("case_area_label")),
      h("p", { class: "hint", id: `${id}-hint` }, t("case_area_hint")),
      select,
      status,
    ),
  );
}
