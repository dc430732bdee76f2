// Sending a picture, a voice note or (for workers) a short video or PDF from the chat's
// bar: chat.js owns the buttons and loads this module on the first tap. The picture is
// made fit to send on the phone (media-photo.js: no EXIF), the bytes are encrypted and
// uploaded by lib/attachments.js, and the bar says how far it is ("Versturen… 40%") in a
// live region and on screen. A lost connection only pauses it.

import { h } from "../dom.js";
import { loadPart, t } from "../i18n.js";
import { choosePicture, prepare } from "./media-photo.js";

const FILE_TYPES = "video/*,application/pdf";

const transport = () => import("../../lib/attachments.js");

/** Ready to use: the media strings are loaded (the first tap waits for them). */
export async function ready() {
  await loadPart("media");
}

/**
 * The bar's progress line: `status` is a role="status" element chat.js placed; `done(key)`
 * says on screen and to screen readers that it went.
 */
function progress(status, verb) {
  let shown = -1;
  return (fraction) => {
    const percent = Math.floor(fraction * 100);
    // Tens only: a screen reader hears "40%", not every percent.
    const step = percent === 100 ? 100 : Math.floor(percent / 10) * 10;
    if (step === shown) return;
    shown = step;
    status.hidden = false;
    status.textContent = t(verb, { percent: step });
  };
}

async function deliver(app, conversationId, media, status, done) {
  const { sendAttachment } = await transport();
  try {
    await sendAttachment(app.messenger, conversationId, media, {
      onProgress: progress(status, "media_sending"),
    });
    status.hidden = true;
    const kind = media.type.split("/")[0];
    done(kind === "image" ? "media_photo_sent" : kind === "audio" ? "media_voice_sent" : "media_file_sent");
  } catch (error) {
    failed(status, error?.code);
  }
}

function failed(status, code) {
  const known = {
    too_large: "media_error_too_large",
    blob_too_large: "media_error_too_large",
    quota_exceeded: "media_error_quota",
    rate_limited: "media_error_busy",
    not_a_picture: "media_error_not_a_picture",
    type_not_allowed: "media_error_type",
  };
  status.hidden = false;
  status.textContent = t(known[code] ?? "media_error_send");
}

/** "📷 Foto": choose (camera or gallery), make fit, send. */
export async function sendPicture(app, conversationId, status, done) {
  await ready();
  const file = await choosePicture();
  if (!file) return;
  status.hidden = false;
  status.textContent = t("media_preparing");
  let picture;
  try {
    picture = await prepare(file);
  } catch (error) {
    failed(status, error?.message);
    return;
  }
  await deliver(app, conversationId, picture, status, done);
}

/** "📎 Bestand" (workers): a short video or a PDF, sent as it is, up to the limit. */
export async function sendFile(app, conversationId, status, done) {
  await ready();
  const file = await choosePicture(FILE_TYPES);
  if (!file) return;
  const { MAX_PLAIN_BYTES } = await transport();
  if (file.size > MAX_PLAIN_BYTES) {
    failed(status, "too_large");
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const type = file.type || "application/octet-stream";
  await deliver(app, conversationId, { bytes, type, name: file.name.slice(0, 120) }, status, done);
}

/** "🎤 Inspreken": the recorder takes the button over; a finished note is sent. */
export async function recorder(app, conversationId, button, status, done) {
  await ready();
  const { attach } = await import("./media-recorder.js");
  return attach(button, {
    onRecorded: (note) => deliver(app, conversationId, note, status, done),
    say: (text, onScreen = false) => {
      app.announce(text);
      if (onScreen) {
        status.hidden = false;
        status.textContent = text;
      }
    },
  });
}

/**
 * "📷 Foto" and "🎤 Inspreken" for a peer-support group's bar (screens/group.js loads this
 * module when the group opens): the same as in a case conversation, sent to every member.
 * With `files` (a worker) also "📎 Bestand", as in a worker's chat.
 */
export async function mount(container, app, groupId, done, { files = false } = {}) {
  await ready();
  const status = h("p", { class: "media-status", role: "status", hidden: true });
  const photo = h(
    "button",
    { type: "button", class: "media-photo", onclick: () => sendPicture(app, groupId, status, said) },
    h("span", { "aria-hidden": "true" }, "📷"),
    h("span", { class: "label" }, t("media_photo_button")),
  );
  const file = files
    ? h(
        "button",
        { type: "button", class: "media-file", onclick: () => sendFile(app, groupId, status, said) },
        h("span", { "aria-hidden": "true" }, "📎"),
        h("span", { class: "label" }, t("media_file_button")),
      )
    : null;
  const record = h(
    "button",
    { type: "button", class: "media-record" },
    h("span", { "aria-hidden": "true" }, "🎤"),
    h("span", { class: "label" }, t("media_record_button")),
  );
  container.replaceChildren(h("div", { class: "quick-actions" }, photo, file, record), status);
  await recorder(app, groupId, record, status, said);

  // On screen as well as to screen readers, like the chat's "… ✓".
  function said(key) {
    status.hidden = false;
    status.textContent = `${t(key)} ✓`;
    done(key);
  }
}
