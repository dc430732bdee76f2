// #/verify-questionnaires: check an evidence bundle in the browser, offline, without an
// account (a municipality's officer can open it): the same checks and reasons as
// `steuntje questionnaire verify` (lib/questionnaires.js verifyBundle). Nothing is sent.

import { h, uid } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import { verifyBundle } from "../../lib/questionnaires.js";

export async function show(main) {
  await loadPart("questionnaire");
  const fileId = uid("bundle");
  const keyId = uid("org-key");
  const file = h("input", { id: fileId, type: "file", accept: "application/json,.json", required: true });
  const key = h("input", { id: keyId, type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const result = h("div", { role: "status" });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        result.replaceChildren(...(await check(file.files?.[0], key.value.trim())));
      },
    },
    h("div", { class: "field" }, h("label", { for: fileId }, t("q_verify_file")), file),
    h("div", { class: "field" }, h("label", { for: keyId }, t("q_verify_key")), key),
    h("button", { type: "submit", class: "primary" }, t("q_verify_button")),
  );
  main.append(h("h1", {}, t("q_verify_title")), h("p", {}, t("q_verify_intro")), form, result);
  return null;
}

async function check(chosen, orgKey) {
  let verdicts;
  try {
    verdicts = verifyBundle(JSON.parse(await chosen.text()), orgKey);
  } catch (error) {
    return [h("p", { class: "error" }, t("q_verify_unreadable", { reason: error.message }))];
  }
  const ok = verdicts.filter((verdict) => verdict.reason === null).length;
  const list = h(
    "ul",
    { class: "verdicts" },
    verdicts.map((verdict) =>
      h(
        "li",
        { dataset: { reason: verdict.reason ?? "ok" } },
        h("strong", {}, `${verdict.reason === null ? "✓" : "✗"} ${verdict.participant}: `),
        verdict.reason === null
          ? t("q_verify_ok")
          : `${t("q_verify_failed")}: ${t(`q_reason_${verdict.reason}`)}`,
      ),
    ),
  );
  return [h("p", {}, t("q_verify_summary", { ok, total: verdicts.length })), list];
}
