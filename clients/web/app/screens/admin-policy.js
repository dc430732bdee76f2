// Organisation admin: the retention policy (PROTOCOL §4.11). The organisation's limits and
// defaults, and one case's own settings within them. The relay checks everything: an
// impossible policy names its field, a case setting outside the limits is clamped and the
// clamp is shown.

import { fill, h } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import { durationField, durationSeconds, durationWords } from "../parts/duration.js";
import { failureNote, formatDate, markInvalid, selectField } from "../parts/desk.js";

const HOUR = 3600;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
// The widest limits any organisation may choose, in seconds: a copy of retention/policy.py
// BOUNDS. The relay checks them; this copy only tells the person what to choose instead.
const BOUNDS = {
  envelope_lifetime: [HOUR, 90 * DAY],
  disappearing_timer: [5 * 60, 5 * YEAR],
  closed_case_lifetime: [0, YEAR],
  audit_retention: [YEAR, 20 * YEAR], // the legal floor: NEN 7513 asks for the log to be kept
};

/**
 * What a refused field accepts, given the rest of the document sent ("Kies hoogstens 90
 * dagen."): the widest limits, narrowed by the same section's minimum and maximum.
 */
export function allowedFor(field, wanted) {
  const [section, key] = field.split(".");
  if (!BOUNDS[section]) return null;
  let [low, high] = BOUNDS[section];
  const part = key ? wanted[section] : null;
  const minimum = durationSeconds(part?.minimum);
  const maximum = durationSeconds(part?.maximum);
  if ((key === "default" || key === "maximum") && minimum !== null) low = Math.max(low, minimum);
  if ((key === "default" || key === "minimum") && maximum !== null) high = Math.min(high, maximum);
  const value = durationSeconds(key ? part?.[key] : wanted[section]);
  const words = (seconds) => durationWords(String(seconds));
  if (value !== null && value > high) return t("policy_allowed_most", { value: words(high) });
  if (value !== null && value < low) return t("policy_allowed_least", { value: words(low) });
  return t("policy_allowed_between", { low: words(low), high: words(high) });
}

export async function show(main, app) {
  await loadPart("worker"); // strings only the worker's and admin's screens use
  const m = app.messenger;
  let policy;
  let cases;
  try {
    policy = await m.request("policy_get", {});
    cases = ((await m.request("cases_all", {})).cases || []).filter((item) => !item.closed_at);
  } catch (failure) {
    main.append(h("h1", {}, t("policy_title")), failureNote(failure));
    return null;
  }
  main.append(
    h("h1", {}, t("policy_title")),
    h("p", {}, t("policy_intro")),
    organisationForm(app, policy),
    caseForm(app, cases),
  );
  return null;
}

function effectiveNote(effective) {
  return h(
    "ul",
    { class: "plain" },
    h(
      "li",
      {},
      t("policy_effective_lifetime", { value: durationWords(effective.envelope_lifetime) }),
    ),
    h(
      "li",
      {},
      t("policy_effective_timer", {
        value:
          effective.disappearing_timer === "off"
            ? t("policy_timer_off")
            : durationWords(effective.disappearing_timer),
      }),
    ),
  );
}

function clampNotes(effective) {
  return (effective.clamped || []).map((clamp) =>
    h(
      "p",
      { class: "notice clamp" },
      t("policy_clamped", {
        field: t(`policy_field_${clamp.field}`),
        asked: durationWords(clamp.asked),
        used: durationWords(clamp.used),
      }),
    ),
  );
}

function organisationForm(app, policy) {
  const doc = policy.organisation;
  const fields = {
    "envelope_lifetime.default": durationField(
      t("policy_lifetime_default"),
      doc.envelope_lifetime.default,
      {
        hint: t("policy_lifetime_default_hint"),
      },
    ),
    "envelope_lifetime.minimum": durationField(
      t("policy_lifetime_minimum"),
      doc.envelope_lifetime.minimum,
    ),
    "envelope_lifetime.maximum": durationField(
      t("policy_lifetime_maximum"),
      doc.envelope_lifetime.maximum,
    ),
    "disappearing_timer.minimum": durationField(
      t("policy_timer_minimum"),
      doc.disappearing_timer.minimum,
    ),
    "disappearing_timer.maximum": durationField(
      t("policy_timer_maximum"),
      doc.disappearing_timer.maximum,
    ),
    closed_case_lifetime: durationField(t("policy_closed_case"), doc.closed_case_lifetime, {
      hint: t("policy_closed_case_hint"),
    }),
    // The audit log's own retention (issue 19 item 6): a policy value with a legal floor.
    audit_retention: durationField(t("policy_audit_retention"), doc.audit_retention, {
      hint: t("policy_audit_retention_hint"),
    }),
  };
  // "off" is not a duration: the default timer is only editable when it is one.
  if (doc.disappearing_timer.default !== "off") {
    fields["disappearing_timer.default"] = durationField(
      t("policy_timer_default"),
      doc.disappearing_timer.default,
      {
        hint: t("policy_timer_default_hint"),
      },
    );
  }
  const inputs = Object.fromEntries(
    Object.entries(fields).map(([name, item]) => [name, item.input]),
  );
  // A refused field is named as "section: setting", so two "usually" fields stay apart.
  const envelope = t("policy_field_envelope_lifetime");
  const timer = t("policy_field_disappearing_timer");
  const lower = (text) => text.charAt(0).toLowerCase() + text.slice(1);
  const labels = {
    envelope_lifetime: envelope,
    disappearing_timer: timer,
    "envelope_lifetime.default": `${envelope}: ${lower(t("policy_lifetime_default"))}`,
    "envelope_lifetime.minimum": `${envelope}: ${lower(t("policy_lifetime_minimum"))}`,
    "envelope_lifetime.maximum": `${envelope}: ${lower(t("policy_lifetime_maximum"))}`,
    "disappearing_timer.default": `${timer}: ${lower(t("policy_timer_default"))}`,
    "disappearing_timer.minimum": `${timer}: ${lower(t("policy_timer_minimum"))}`,
    "disappearing_timer.maximum": `${timer}: ${lower(t("policy_timer_maximum"))}`,
    closed_case_lifetime: t("policy_closed_case"),
    audit_retention: t("policy_audit_retention"),
  };
  const current = h("div", {}, effectiveNote(policy.effective));
  const version = h("p", { class: "hint" }, t("policy_version", { version: policy.version }));
  const result = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, t("policy_save"));
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "policy-org-title",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const wanted = structuredClone(doc);
        for (const [name, item] of Object.entries(fields)) {
          const [section, key] = name.split(".");
          if (key) wanted[section][key] = item.get();
          else wanted[section] = item.get();
        }
        save.disabled = true;
        try {
          const reply = await app.messenger.request("policy_set", { document: wanted });
          markInvalid(inputs, null);
          fill(current, effectiveNote(reply.effective));
          fill(version, t("policy_version", { version: reply.version }));
          fill(
            result,
            h(
              "p",
              { class: "notice", role: "status" },
              t("policy_saved", { version: reply.version }),
            ),
            clampNotes(reply.effective),
          );
        } catch (failure) {
          fill(result, failureNote(failure, labels, (field) => allowedFor(field, wanted)));
          markInvalid(inputs, failure);
        } finally {
          save.disabled = false;
        }
      },
    },
    h("h2", { id: "policy-org-title" }, t("policy_org_title")),
    version,
    current,
    h(
      "fieldset",
      {},
      h("legend", {}, t("policy_field_envelope_lifetime")),
      h("p", { class: "hint" }, t("policy_lifetime_intro")),
      fields["envelope_lifetime.default"].field,
      h(
        "div",
        { class: "desk-grid" },
        fields["envelope_lifetime.minimum"].field,
        fields["envelope_lifetime.maximum"].field,
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("policy_field_disappearing_timer")),
      h("p", { class: "hint" }, t("policy_timer_intro")),
      fields["disappearing_timer.default"]?.field,
      h(
        "div",
        { class: "desk-grid" },
        fields["disappearing_timer.minimum"].field,
        fields["disappearing_timer.maximum"].field,
      ),
    ),
    fields.closed_case_lifetime.field,
    fields.audit_retention.field,
    result,
    save,
  );
}

function caseForm(app, cases) {
  const caseField = selectField(
    t("policy_case_label"),
    cases.map((item) => [
      item.id,
      t("policy_case_option", { id: item.id, date: formatDate(item.created_at) }),
    ]),
  );
  const lifetime = durationField(t("policy_case_lifetime"), null, {
    hint: t("policy_case_lifetime_hint"),
    optional: true,
  });
  const result = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, t("policy_case_save"));
  const labels = { envelope_lifetime: t("policy_case_lifetime") };
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "policy-case-title",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        if (!caseField.select.value) return;
        save.disabled = true;
        try {
          // Keep the case's disappearing timer as it is; only the lifetime is set here.
          const now = await app.messenger.request("policy_get", { case: caseField.select.value });
          const reply = await app.messenger.request("policy_set", {
            case: caseField.select.value,
            document: {
              envelope_lifetime: lifetime.get(),
              disappearing_timer: now.settings?.disappearing_timer ?? null,
            },
          });
          markInvalid({ envelope_lifetime: lifetime.input }, null);
          fill(
            result,
            h("p", { class: "notice", role: "status" }, t("policy_case_saved")),
            effectiveNote(reply.effective),
            clampNotes(reply.effective),
          );
        } catch (failure) {
          // A case may ask for any positive time; the organisation's limits clamp it.
          fill(result, failureNote(failure, labels, () => t("policy_allowed_positive")));
          markInvalid({ envelope_lifetime: lifetime.input }, failure);
        } finally {
          save.disabled = false;
        }
      },
    },
    h("h2", { id: "policy-case-title" }, t("policy_case_title")),
    h("p", {}, t("policy_case_intro")),
    cases.length === 0 ? h("p", { class: "hint" }, t("policy_no_cases")) : null,
    caseField.field,
    lifetime.field,
    result,
    save,
  );
}
