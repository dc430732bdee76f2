// Privacy officer: requests of a person (GDPR Art. 15, 17, 20) who cannot use the app or
// asked formally. Export what the relay holds about their account as a download, or erase
// a caregiver's account after a typed confirmation. A legal hold makes an erasure wait.

import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import {
  downloadLink,
  failureNote,
  formatDate,
  inputField,
  reasonField,
  selectField,
  stamp,
} from "../parts/desk.js";

const ACCOUNT_ID = /^acc_[A-Za-z0-9_-]{22}$/;

export async function show(main, app) {
  const urls = [];
  let cases = [];
  try {
    cases = (await app.messenger.request("cases_all", {})).cases || [];
  } catch (failure) {
    main.append(h("h1", {}, t("requests_title")), failureNote(failure));
    return null;
  }
  const caregivers = [...new Map(cases.map((item) => [item.caregiver, item])).values()];
  const person = selectField(
    t("requests_person_label"),
    [
      ["", t("requests_person_choose")],
      ...caregivers.map((item) => [
        item.caregiver,
        t("requests_person_option", { account: item.caregiver, date: formatDate(item.created_at) }),
      ]),
    ],
    { name: "account" },
  );
  const typed = inputField(
    t("requests_other_label"),
    { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "acc_…" },
    t("requests_other_hint"),
  );
  const reason = reasonField("data_subject_request");
  const status = h("div", { "aria-live": "polite" });

  /** The account chosen: the typed id wins over the list. */
  function account() {
    const value = typed.input.value.trim() || person.select.value;
    if (!ACCOUNT_ID.test(value)) {
      fill(status, h("p", { class: "error", role: "alert" }, t("requests_choose_first")));
      (typed.input.value.trim() ? typed.input : person.select).focus();
      return null;
    }
    return value;
  }

  const exportButton = h(
    "button",
    { type: "button", class: "primary" },
    t("requests_export_button"),
  );
  exportButton.addEventListener("click", async () => {
    const id = account();
    if (!id) return;
    exportButton.disabled = true;
    fill(status, h("p", { class: "hint" }, t("desk_loading")));
    try {
      const reply = await app.messenger.request("officer_export", {
        account: id,
        reason: reason.select.value,
      });
      const name = `steuntje-gegevens-${stamp()}`;
      fill(
        status,
        h(
          "section",
          { class: "card", "aria-labelledby": "request-export-ready" },
          h("h2", { id: "request-export-ready", tabindex: "-1" }, t("requests_export_ready")),
          h("p", {}, t("requests_export_hint")),
          h(
            "div",
            { class: "row" },
            downloadLink(
              JSON.stringify(reply.export, null, 2),
              "application/json",
              `${name}.json`,
              t("requests_download_json"),
              urls,
            ),
            downloadLink(
              reply.html,
              "text/html",
              `${name}.html`,
              t("requests_download_page"),
              urls,
            ),
          ),
        ),
      );
      status.querySelector("h2").focus();
    } catch (failure) {
      fill(status, failureNote(failure));
    } finally {
      exportButton.disabled = false;
    }
  });

  const word = t("requests_erase_word");
  const confirmField = inputField(
    t("requests_erase_confirm_label", { word }),
    { type: "text", autocomplete: "off", spellcheck: "false" },
    t("requests_erase_confirm_hint", { word }),
  );
  const eraseButton = h(
    "button",
    { type: "button", class: "danger primary" },
    t("requests_erase_button"),
  );
  eraseButton.addEventListener("click", async () => {
    const id = account();
    if (!id) return;
    if (confirmField.input.value.trim().toLowerCase() !== word.toLowerCase()) {
      confirmField.input.setAttribute("aria-invalid", "true");
      fill(
        status,
        h("p", { class: "error", role: "alert" }, t("requests_erase_type_word", { word })),
      );
      confirmField.input.focus();
      return;
    }
    confirmField.input.removeAttribute("aria-invalid");
    eraseButton.disabled = true;
    try {
      const reply = await app.messenger.request("officer_erase", {
        account: id,
        confirm: id,
        reason: reason.select.value,
      });
      confirmField.input.value = "";
      // Erased now: the account is gone from the list (a pending one stays until then).
      if (!reply.pending) person.select.querySelector(`option[value="${id}"]`)?.remove();
      fill(
        status,
        h(
          "p",
          { class: "notice", role: "status" },
          reply.pending ? t("requests_erase_pending") : t("requests_erase_done"),
        ),
      );
    } catch (failure) {
      // Staff accounts are closed by an administrator, not erased on request.
      fill(
        status,
        failure?.code === "not_permitted"
          ? h("p", { class: "error", role: "alert" }, t("requests_erase_staff"))
          : failureNote(failure),
      );
    } finally {
      eraseButton.disabled = false;
    }
  });

  main.append(
    h("h1", {}, t("requests_title")),
    h("p", {}, t("requests_intro")),
    h(
      "section",
      { class: "card", "aria-labelledby": "request-person" },
      h("h2", { id: "request-person" }, t("requests_person_title")),
      caregivers.length === 0 ? h("p", { class: "hint" }, t("requests_no_caregivers")) : null,
      person.field,
      typed.field,
      reason.field,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "request-export" },
      h("h2", { id: "request-export" }, t("requests_export_title")),
      h("p", {}, t("requests_export_intro")),
      exportButton,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "request-erase" },
      h("h2", { id: "request-erase" }, t("requests_erase_title")),
      h("p", {}, t("requests_erase_intro")),
      confirmField.field,
      eraseButton,
    ),
    status,
  );
  return { destroy: () => urls.forEach((url) => URL.revokeObjectURL(url)) };
}
