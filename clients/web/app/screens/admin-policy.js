// Organisation admin: the retention policy (PROTOCOL §4.11). The organisation's limits and
// defaults, and one case's own settings within them. The relay checks everything: an
// impossible policy names its field, a case setting outside the limits is clamped and the
// clamp is shown.

import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { durationField, durationWords } from "../parts/duration.js";
import { failureNote, formatDate, markInvalid, selectField } from "../parts/desk.js";

export async function show(main, app) {
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
          fill(result, failureNote(failure, labels));
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
          fill(result, failureNote(failure, labels));
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
