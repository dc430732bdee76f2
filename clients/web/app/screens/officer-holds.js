// Privacy officer: legal holds. A hold stops the purge for one case while the law requires
// keeping its data (GDPR Art. 17(3)). Place one (the relay checks every field and names the
// one that is wrong), see them all, lift one after a clear confirmation.

import { fill, h, uid } from "../dom.js";
import { t } from "../i18n.js";
import {
  confirmInline,
  dateToUnix,
  failureNote,
  formatDate,
  inputField,
  markInvalid,
  reasonField,
  selectField,
  table,
  unixToDate,
} from "../parts/desk.js";

const SCOPES = ["envelopes", "case", "accounts", "audit"];
const DEFAULT_SCOPES = ["envelopes", "case", "accounts"];
// The audit log records the officer's own choice (docs/audit.md): the basis for a hold,
// and why it may end. The relay refuses either request without one.
const HOLD_BASES = [
  "legal_obligation",
  "court_order",
  "incident_investigation",
  "security_incident",
];
const LIFT_REASONS = [
  "legal_obligation",
  "court_order",
  "incident_investigation",
  "retention_policy",
];

export async function show(main, app) {
  const m = app.messenger;
  const list = h("div", { "aria-live": "polite" });
  const status = h("div", { role: "status" });
  const liftReason = reasonField("legal_obligation", LIFT_REASONS, t("holds_lift_reason_label"));
  let cases = [];
  try {
    const all = await m.request("cases_all", {});
    // A hold can name a peer-support group as well as a case (its id is its scope).
    const groups = (all.groups || []).map((group) => ({ ...group, group: true }));
    cases = [...(all.cases || []), ...groups];
  } catch (failure) {
    main.append(h("h1", {}, t("holds_title")), failureNote(failure));
    return null;
  }

  async function refresh() {
    try {
      const { holds } = await m.request("legal_hold_list", {});
      drawList(holds || []);
    } catch (failure) {
      fill(list, failureNote(failure));
    }
  }

  function drawList(holds) {
    if (holds.length === 0) {
      fill(list, h("p", { class: "notice" }, t("holds_none")));
      return;
    }
    fill(
      list,
      table(
        t("holds_caption"),
        [
          t("holds_col_case"),
          t("holds_col_reference"),
          t("holds_col_reason"),
          t("holds_col_placed"),
          t("holds_col_review"),
          t("holds_col_ends"),
          t("holds_col_scope"),
          t("holds_col_status"),
        ],
        holds.map((hold) => [
          h("code", {}, hold.case_id),
          hold.reference,
          hold.reason,
          formatDate(hold.placed_at),
          formatDate(hold.review_at),
          hold.ends_at ? formatDate(hold.ends_at) : t("holds_no_end"),
          hold.scope.map((scope) => t(`hold_scope_${scope}`)).join(", "),
          hold.lifted_at
            ? t("holds_lifted_on", { date: formatDate(hold.lifted_at) })
            : h(
                "span",
                { class: "stack-cell" },
                t("holds_active"),
                h(
                  "button",
                  {
                    type: "button",
                    class: "danger",
                    onclick: (event) => confirmLift(hold, event.currentTarget),
                  },
                  t("holds_lift_button", { reference: hold.reference }),
                ),
              ),
        ]),
      ),
    );
  }

  function confirmLift(hold, opener) {
    confirmInline(status, {
      question: t("holds_lift_question", { reference: hold.reference }),
      yes: t("holds_lift_yes"),
      no: t("holds_lift_no"),
      opener,
      onYes: async () => {
        try {
          await m.request("legal_hold_lift", {
            hold: hold.id,
            reason: liftReason.select.value,
          });
          placed.forget(hold.reference); // its "geldt nu" would now be wrong
          fill(
            status,
            h("p", { class: "notice" }, t("holds_lifted", { reference: hold.reference })),
          );
          await refresh();
        } catch (failure) {
          fill(status, failureNote(failure));
        }
      },
    });
  }

  const placed = placeForm(app, cases, refresh);
  main.append(
    h("h1", {}, t("holds_title")),
    h("p", {}, t("holds_intro")),
    h(
      "section",
      { "aria-labelledby": "holds-list-title" },
      h("h2", { id: "holds-list-title" }, t("holds_list_title")),
      list,
      liftReason.field,
      status,
    ),
    placed.form,
  );
  await refresh();
  return null;
}

/** The form to place a hold, and `forget(reference)`: clears the "now in force" note of a
 * hold that was lifted since (issue 19 item 10: a lifted hold must read as lifted). */
function placeForm(app, cases, refresh) {
  let lastPlaced = null;
  const caseField = selectField(
    t("holds_case_label"),
    cases.map((item) => [
      item.id,
      t(item.group ? "holds_group_option" : "holds_case_option", {
        id: item.id,
        date: formatDate(item.created_at),
        members: item.members,
      }),
    ]),
    { name: "case", required: true },
  );
  const reason = inputField(
    t("holds_reason_label"),
    { type: "text", maxlength: "200", required: true },
    t("holds_reason_hint"),
  );
  const basis = reasonField("legal_obligation", HOLD_BASES, t("holds_basis_label"));
  const reference = inputField(
    t("holds_reference_label"),
    { type: "text", maxlength: "100", required: true },
    t("holds_reference_hint"),
  );
  const in90days = unixToDate(Date.now() / 1000 + 90 * 86400);
  const review = inputField(
    t("holds_review_label"),
    { type: "date", required: true, value: in90days },
    t("holds_review_hint"),
  );
  const ends = inputField(t("holds_ends_label"), { type: "date" }, t("holds_ends_hint"));
  const scopeBoxes = {};
  const scopeSet = h("fieldset", {}, h("legend", {}, t("holds_scope_label")));
  for (const scope of SCOPES) {
    const id = uid("scope");
    scopeBoxes[scope] = h("input", {
      type: "checkbox",
      id,
      value: scope,
      checked: DEFAULT_SCOPES.includes(scope),
    });
    scopeSet.append(
      h("label", { class: "check", for: id }, scopeBoxes[scope], t(`hold_scope_${scope}`)),
    );
  }
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, t("holds_place_button"));
  const inputs = {
    case_id: caseField.select,
    reason: reason.input,
    reference: reference.input,
    review_at: review.input,
    ends_at: ends.input,
    scope: scopeBoxes.envelopes,
  };
  const labels = {
    case_id: t("holds_case_label"),
    reason: t("holds_reason_label"),
    reference: t("holds_reference_label"),
    review_at: t("holds_review_label"),
    ends_at: t("holds_ends_label"),
    scope: t("holds_scope_label"),
  };
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "hold-place-title",
      // The relay checks every field (retention.LegalHold) and names the wrong one.
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        const data = {
          case: caseField.select.value,
          reason: reason.input.value.trim(),
          basis: basis.select.value,
          reference: reference.input.value.trim(),
          review_at: dateToUnix(review.input.value),
          scope: SCOPES.filter((scope) => scopeBoxes[scope].checked),
        };
        const end = dateToUnix(ends.input.value, true);
        if (end !== null) data.ends_at = end;
        try {
          const reply = await app.messenger.request("legal_hold_place", data);
          markInvalid(inputs, null);
          fill(
            result,
            h(
              "p",
              { class: "notice", role: "status" },
              t("holds_placed", { reference: data.reference, case: reply.case }),
            ),
          );
          lastPlaced = data.reference;
          reason.input.value = "";
          reference.input.value = "";
          await refresh();
        } catch (failure) {
          fill(result, failureNote(failure, labels));
          markInvalid(inputs, failure);
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", { id: "hold-place-title" }, t("holds_place_title")),
    cases.length === 0 ? h("p", { class: "hint" }, t("holds_no_cases")) : null,
    caseField.field,
    reason.field,
    basis.field,
    reference.field,
    h("div", { class: "desk-grid" }, review.field, ends.field),
    scopeSet,
    result,
    button,
  );
  const forget = (reference) => {
    if (reference === lastPlaced) fill(result);
  };
  return { form, forget };
}
