// Settings: language, read receipts, the optional PIN, safety numbers, "download my
// data", and deleting the account (caregiver) or forgetting this device (worker), each after
// one clear confirmation.

import { h, uid } from "../dom.js";
import { isOffline as offline } from "../failures.js";
import { language, loadPart, t } from "../i18n.js";

const LANGUAGE_NAMES = { nl: "Nederlands", en: "English" };


export async function show(main, app) {
  const m = app.messenger;
  const caregiver = app.me.role === "caregiver";
  main.append(h("h1", {}, t("settings_title")));
  main.append(languageSection(app));
  if (app.installPrompt) main.append(installSection(app));
  // Whether the browser keeps this phone's keys (issue 20): said only when it does not.
  const storage = await import("../parts/storage.js")
    .then((part) => part.storageSection())
    .catch(() => null); // offline before it was ever loaded: Settings works without it
  if (storage) main.append(storage);
  main.append(await receiptsSection(app));
  // Notifications: a part of its own, loaded only here and after joining.
  main.append(await (await import("../parts/notifications.js")).settingsSection(app));
  main.append(pinSection(app));
  main.append(await safetySection(app, await m.conversations()));
  main.append(linkDeviceSection(app));
  if (!caregiver) main.append(await deviceLabelSection(app)); // caregivers stay nameless
  main.append(exportSection(app));
  main.append(caregiver ? eraseSection(app) : forgetSection(app));
  return null;
}

/** Language names are written in their own language, so anyone can find theirs. */
function languageSection(app) {
  const set = h("fieldset", {}, h("legend", {}, t("language_label")));
  for (const code of Object.keys(LANGUAGE_NAMES)) {
    const id = uid("lang");
    set.append(
      h(
        "label",
        { class: "check", for: id },
        h("input", {
          type: "radio",
          name: "language",
          id,
          value: code,
          checked: code === language(),
          onchange: async () => {
            await app.relabel(code);
            document.querySelector(`input[name="language"][value="${code}"]`)?.focus();
          },
        }),
        h("span", { lang: code }, LANGUAGE_NAMES[code]),
      ),
    );
  }
  return set;
}

/** "Put Steuntje on my home screen": only offered when the browser can do it. */
function installSection(app) {
  const button = h("button", { type: "button", class: "primary" }, t("install_button"));
  button.addEventListener("click", async () => {
    const offer = app.installPrompt;
    if (!offer) return;
    app.installPrompt = null;
    await offer.prompt();
    section.remove();
  });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "install-heading" },
    h("h2", { id: "install-heading" }, t("install_title")),
    h("p", {}, t("install_intro")),
    button,
  );
  return section;
}

/** Read receipts: off by default for caregivers (docs/messages.md). */
async function receiptsSection(app) {
  const settings = await app.messenger.settings();
  const id = uid("receipts");
  return h(
    "fieldset",
    {},
    h("legend", {}, t("privacy_label")),
    h(
      "label",
      { class: "check", for: id },
      h("input", {
        type: "checkbox",
        id,
        checked: Boolean(settings.readReceipts),
        onchange: async (event) => {
          await app.messenger.setSetting("readReceipts", event.target.checked);
          app.announce(t("saved"));
        },
      }),
      t("read_receipts_label"),
    ),
  );
}

async function safetySection(app, conversations) {
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "safety-heading" },
    h("h2", { id: "safety-heading" }, t("safety_title")),
    h("p", {}, t("safety_intro")),
  );
  if (conversations.length === 0) {
    section.append(h("p", { class: "empty" }, t("safety_none")));
    return section;
  }
  const list = h("ul", {});
  for (const conversation of conversations) {
    const name = await app.nameOf(conversation);
    const href = `#/safety/${encodeURIComponent(conversation.id)}`;
    list.append(h("li", {}, h("a", { href }, t("safety_of", { name }))));
  }
  section.append(list);
  return section;
}

/** Another device of one's own (a tablet, the laptop): a QR code valid for 15 minutes. */
function linkDeviceSection(app) {
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button" }, t("link_device_button"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const [{ appLink, qrSvg }, invite] = await Promise.all([
        import("../parts/qr.js"),
        app.messenger.linkDevice(),
      ]);
      // "device=1" only changes the words on the other screen; the library ignores it.
      const link = appLink(invite.link, "&device=1");
      result.replaceChildren(
        h("p", {}, t("link_device_scan")),
        qrSvg(link, t("link_device_qr_label")),
        h("p", {}, h("a", { class: "invite-link", href: link, id: "device-link", rel: "noreferrer" }, link)),
        h("p", { class: "hint" }, t("link_device_valid")),
      );
    } catch (failure) {
      const key = offline(failure) ? "needs_connection" : "link_device_failed";
      result.replaceChildren(h("p", { class: "error" }, t(key)));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "device-heading" },
    h("h2", { id: "device-heading" }, t("link_device_title")),
    h("p", {}, t("link_device_intro")),
    button,
    result,
  );
}

/** What this device is called ("Telefoon Anja"), so an admin can tell it from the others
 * when one is lost (issue 19 item 7). Stored on the relay; at most 40 characters. */
async function deviceLabelSection(app) {
  const id = uid("label");
  const said = h("div", { "aria-live": "polite" });
  const input = h("input", {
    id,
    type: "text",
    name: "label",
    maxlength: "40",
    autocomplete: "off",
    "aria-describedby": `${id}-hint`,
  });
  try {
    input.value = (await app.messenger.request("whoami", {})).label || "";
  } catch {
    // Offline: the field starts empty; saving says it needs a connection.
  }
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const reply = await app.messenger.request("device_label", {
            label: input.value.trim() || null,
          });
          said.replaceChildren(
            h("p", { class: "notice", role: "status" }, t("device_label_saved", { label: reply.label || "—" })),
          );
        } catch (failure) {
          const key = offline(failure) ? "needs_connection" : "device_label_invalid";
          said.replaceChildren(h("p", { class: "error", role: "alert" }, t(key)));
        }
      },
    },
    h("label", { for: id }, t("device_label_label")),
    h("p", { class: "hint", id: `${id}-hint` }, t("device_label_hint")),
    input,
    h("button", { type: "submit" }, t("device_label_save")),
    said,
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "device-label-heading" },
    h("h2", { id: "device-label-heading" }, t("device_label_title")),
    form,
  );
}

function exportSection(app) {
  const downloads = h("div", { role: "status" });
  const button = h("button", { type: "button" }, t("export_button"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    downloads.replaceChildren(h("p", { class: "hint" }, t("export_busy")));
    try {
      const data = await app.messenger.exportMyData();
      // What this device holds goes in too: the messages themselves, not only their count.
      const [{ deviceData, exportPage }] = await Promise.all([import("../parts/export-page.js"), loadPart("export")]);
      const local = await deviceData(app, data.export);
      const text = JSON.stringify({ relay: data.export, thisDevice: { ...data.local, ...local } }, null, 2);
      const json = new Blob([text], { type: "application/json" });
      const jsonLink = h(
        "a",
        {
          class: "button primary",
          href: URL.createObjectURL(json),
          download: "steuntje-mijn-gegevens.json",
        },
        t("export_json"),
      );
      // The readable page is made here, in the app's language, from both parts.
      const page = new Blob([exportPage(data.export, local)], { type: "text/html" });
      const htmlLink = h(
        "a",
        { class: "button", href: URL.createObjectURL(page), download: "steuntje-mijn-gegevens.html" },
        t("export_html"),
      );
      downloads.replaceChildren(
        h("p", {}, t("export_ready")),
        h("div", { class: "row" }, jsonLink, htmlLink),
      );
      jsonLink.focus();
    } catch (failure) {
      const key = offline(failure) ? "needs_connection" : "export_failed";
      downloads.replaceChildren(h("p", { class: "error" }, t(key)));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "export-heading" },
    h("h2", { id: "export-heading" }, t("export_title")),
    h("p", {}, t("export_intro")),
    button,
    downloads,
  );
}

/** The optional PIN: set it, lock now, or take it away again. */
function pinSection(app) {
  const m = app.messenger;
  const section = h("section", { class: "card", "aria-labelledby": "pin-heading" });
  const status = h("div", { role: "status" });

  function pinField(labelKey, autocomplete) {
    const id = uid("pin");
    const input = h("input", {
      id,
      type: "password",
      inputmode: "numeric",
      autocomplete,
      minlength: "4",
      maxlength: "64",
      required: true,
    });
    return { input, node: h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), input) };
  }

  function drawSetPin() {
    const first = pinField("pin_new", "new-password");
    const again = pinField("pin_again", "new-password");
    const form = h(
      "form",
      {},
      first.node,
      again.node,
      h("button", { type: "submit", class: "primary" }, t("pin_set_button")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.replaceChildren();
      if (first.input.value !== again.input.value) {
        status.append(h("p", { class: "error" }, t("pin_mismatch")));
        again.input.focus();
        return;
      }
      try {
        await m.setPin(first.input.value);
        draw();
        app.announce(t("pin_set"));
      } catch (failure) {
        const key = failure?.code === "bad_pin" ? "pin_bad" : "pin_failed";
        status.append(h("p", { class: "error" }, t(key)));
      }
    });
    section.append(h("p", {}, t("pin_intro")), form, status);
  }

  function drawPinIsSet() {
    const current = pinField("pin_current", "current-password");
    const form = h(
      "form",
      {},
      h("h3", {}, t("pin_remove_title")),
      current.node,
      h("button", { type: "submit" }, t("pin_remove_button")),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.replaceChildren();
      try {
        await m.removePin(current.input.value);
        draw();
        app.announce(t("pin_removed"));
      } catch (failure) {
        const key = failure?.code === "wrong_pin" ? "lock_wrong" : "pin_failed";
        status.append(h("p", { class: "error" }, t(key)));
      }
    });
    section.append(
      h("p", {}, t("pin_on")),
      h(
        "p",
        {},
        h("button", { type: "button", class: "primary", onclick: () => m.lock() }, t("pin_lock_now")),
      ),
      form,
      status,
    );
  }

  function draw() {
    section.replaceChildren(h("h2", { id: "pin-heading" }, t("pin_title")));
    status.replaceChildren();
    if (m.hasPin) drawPinIsSet();
    else drawSetPin();
  }

  draw();
  return section;
}

function eraseSection(app) {
  return confirmSection("erase", async () => {
    await app.messenger.eraseAccount();
    app.erased();
  });
}

/** A worker's "forget this device": wipes this browser's store; the account stays. */
function forgetSection(app) {
  return confirmSection("forget", async () => {
    await app.messenger.wipeLocal();
    location.replace("/");
  });
}

/** A section with one button that asks once, clearly, in a dialog before acting. */
function confirmSection(prefix, action) {
  const error = h("div", { role: "alert" });
  const dialogTitle = uid(`${prefix}-title`);
  const confirm = h("button", { type: "button", class: "danger primary" }, t(`${prefix}_confirm`));
  const cancel = h("button", { type: "button" }, t(`${prefix}_cancel`));
  const dialog = h(
    "dialog",
    { "aria-labelledby": dialogTitle },
    h("h2", { id: dialogTitle }, t(`${prefix}_question`)),
    h("p", {}, t(`${prefix}_consequences`)),
    error,
    h("div", { class: "row" }, cancel, confirm),
  );
  const open = h(
    "button",
    { type: "button", class: "danger", onclick: () => dialog.showModal() },
    t(`${prefix}_button`),
  );
  cancel.addEventListener("click", () => {
    dialog.close();
    open.focus();
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    error.replaceChildren();
    try {
      await action();
      if (dialog.open) dialog.close();
    } catch (failure) {
      const key = offline(failure) ? "needs_connection" : `${prefix}_failed`;
      error.append(h("p", { class: "error" }, t(key)));
      confirm.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": `${prefix}-heading` },
    h("h2", { id: `${prefix}-heading` }, t(`${prefix}_title`)),
    h("p", {}, t(`${prefix}_intro`)),
    open,
    dialog,
  );
}
