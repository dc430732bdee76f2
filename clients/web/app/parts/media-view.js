// An attachment inside a message: a picture inline (tap for full screen, pinch or the
// buttons to zoom, Escape or "Sluiten" to close), a voice note with a large play button, a
// progress bar and 1× / 1,5× speed, a video, or a file to open. parts/messages.js draws a
// placeholder and this module, loaded only when a conversation holds an attachment, fills it.
//
// Decrypted bytes live as blob: URLs only while someone can see them: the URLs are revoked
// when their message disappears and when the app locks; the service worker never sees them
// (it caches /app/ files only). A blob that is not what its message promised shows one
// clear error and nothing of it.

import { h } from "../dom.js";
import { loadPart, t } from "../i18n.js";

const ZOOM_STEPS = [1, 1.5, 2, 3, 4];
const SPEEDS = [1, 1.5];

// blob id → {promise of {url, type}, fraction, listeners}; shared by redraws of a message.
const opened = new Map();
let watching = null;

function watch(messenger) {
  if (watching === messenger) return;
  watching = messenger;
  const forgetAll = () => {
    for (const entry of opened.values()) entry.promise.then(({ url }) => URL.revokeObjectURL(url)).catch(() => {});
    opened.clear();
  };
  messenger.on("locked", forgetAll);
  messenger.on("removed", ({ ids }) => {
    for (const [blob, entry] of opened) {
      if (!ids.includes(entry.messageId)) continue;
      entry.promise.then(({ url }) => URL.revokeObjectURL(url)).catch(() => {});
      opened.delete(blob);
    }
  });
}

function open(app, message) {
  const blob = message.fields.blob;
  let entry = opened.get(blob);
  if (entry) return entry;
  entry = { messageId: message.id, fraction: 0, listeners: new Set() };
  entry.promise = import("../../lib/attachments.js")
    .then(({ openAttachment }) =>
      openAttachment(app.messenger, message, {
        onProgress: (fraction) => {
          entry.fraction = fraction;
          entry.listeners.forEach((listener) => listener(fraction));
        },
      }),
    )
    .then(({ bytes, type }) => ({ url: URL.createObjectURL(new Blob([bytes], { type })), type }));
  // A failure is not kept: opening the conversation again tries again.
  entry.promise.catch(() => opened.delete(blob));
  opened.set(blob, entry);
  return entry;
}

const megabytes = (size) =>
  new Intl.NumberFormat(document.documentElement.lang || "nl", { maximumFractionDigits: 1 }).format(
    size / 1024 / 1024,
  );

/** The message's tiny preview (base64url, a JPEG or WebP: browsers sniff which) as a URL. */
function previewUrl(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return `data:image/jpeg;base64,${base64}${"===".slice((base64.length + 3) % 4)}`;
}

/** "0:07" */
function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/**
 * Fill `slot` (an element parts/messages.js placed in the message) with the attachment of
 * `message`; `otherName` names the sender in alt texts.
 */
export async function fillAttachment(slot, app, message, otherName) {
  await loadPart("media");
  watch(app.messenger);
  const fields = message.fields;
  const kind = String(fields.type || "").split("/")[0];
  const from = message.outgoing ? t("media_from_you") : t("media_from", { name: otherName });
  const status = h("p", { class: "media-progress", role: "status" });
  if (kind === "image") {
    const alt = t("media_photo_alt", { from });
    const preview = typeof fields.preview === "string" ? previewUrl(fields.preview) : null;
    const image = h("img", {
      alt,
      class: preview ? "media-image blurred" : "media-image",
      src: preview,
      width: fields.width ?? null,
      height: fields.height ?? null,
    });
    const button = h(
      "button",
      { type: "button", class: "media-thumb", disabled: true, dataset: { focusKey: "media" } },
      image,
      h("span", { class: "visually-hidden" }, t("media_photo_open")),
    );
    slot.replaceChildren(button, status);
    const shown = await load(app, message, slot, status);
    if (!shown) return;
    image.src = shown.url;
    image.classList.remove("blurred");
    button.disabled = false;
    button.addEventListener("click", () => viewer(shown.url, alt, button));
  } else if (kind === "audio") {
    slot.replaceChildren(status);
    const shown = await load(app, message, slot, status);
    if (shown) slot.replaceChildren(player(shown.url, fields.duration_ms, from));
  } else {
    const start = h(
      "button",
      { type: "button", class: "media-fetch", dataset: { focusKey: "media" } },
      t(kind === "video" ? "media_video_fetch" : "media_file_fetch", {
        name: fields.name || "",
        size: megabytes(fields.plain_size ?? fields.size),
      }),
    );
    slot.replaceChildren(start, status);
    const go = async () => {
      start.remove();
      const shown = await load(app, message, slot, status);
      if (!shown) return;
      if (kind === "video") {
        slot.replaceChildren(h("video", { src: shown.url, controls: true, class: "media-video", "aria-label": t("media_video_label", { from }) }));
      } else {
        slot.replaceChildren(
          h(
            "a",
            { href: shown.url, download: fields.name || "bestand", class: "button media-file", dataset: { focusKey: "media" } },
            h("span", { "aria-hidden": "true" }, "📄 "),
            t("media_file_open", { name: fields.name || t("media_file_unnamed") }),
          ),
        );
      }
    };
    if (opened.has(fields.blob)) go();
    else start.addEventListener("click", go);
  }
}

/** Download (or read from this device) with progress in `status`; null after a failure,
 * which leaves one clear sentence in the slot and nothing of the attachment. */
async function load(app, message, slot, status) {
  const entry = open(app, message);
  const show = (fraction) => {
    if (fraction >= 1) return;
    status.textContent = t("media_fetching", { percent: Math.floor(fraction * 10) * 10 });
  };
  entry.listeners.add(show);
  try {
    const shown = await entry.promise;
    status.textContent = "";
    return shown;
  } catch (error) {
    const damaged = error?.code === "damaged";
    slot.replaceChildren(
      h("p", { class: "media-error", role: "alert" }, t(damaged ? "media_error_damaged" : "media_error_fetch")),
    );
    return null;
  } finally {
    entry.listeners.delete(show);
  }
}

/** A voice note: a large play button, how far it is, and the speed. */
function player(url, durationMs, from) {
  const audio = new Audio(url);
  audio.preload = "auto";
  const total = Number.isFinite(durationMs) && durationMs > 0 ? durationMs / 1000 : null;
  const bar = h("progress", { max: "1000", value: "0", "aria-label": t("media_voice_progress", { from }) });
  const time = h("span", { class: "voice-time" }, total ? clock(total) : "");
  const playLabel = h("span", {}, t("media_voice_play"));
  const playIcon = h("span", { "aria-hidden": "true" }, "▶");
  const play = h("button", { type: "button", class: "primary voice-play", dataset: { focusKey: "media" } }, playIcon, playLabel);
  const speedText = h("span", {}, "1×");
  const speed = h(
    "button",
    { type: "button", class: "voice-speed", "aria-pressed": "false" },
    h("span", { class: "visually-hidden" }, `${t("media_voice_speed")} `),
    speedText,
  );
  const node = h("div", { class: "voice-note", dataset: { state: "paused" } }, play, h("div", { class: "voice-track" }, bar, time), speed);

  const length = () => (Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : total);
  function draw() {
    const playing = !audio.paused && !audio.ended;
    node.dataset.state = playing ? "playing" : "paused";
    playIcon.textContent = playing ? "❚❚" : "▶";
    playLabel.textContent = t(playing ? "media_voice_pause" : "media_voice_play");
    const whole = length();
    if (whole) {
      bar.value = Math.min(1000, Math.round((audio.currentTime / whole) * 1000));
      time.textContent = `${clock(audio.currentTime)} / ${clock(whole)}`;
    }
  }
  play.addEventListener("click", () => {
    if (audio.paused || audio.ended) audio.play().catch(() => draw());
    else audio.pause();
  });
  speed.addEventListener("click", () => {
    const next = SPEEDS[(SPEEDS.indexOf(audio.playbackRate) + 1) % SPEEDS.length] ?? 1;
    audio.playbackRate = next;
    speed.setAttribute("aria-pressed", next === 1 ? "false" : "true");
    speedText.textContent = next === 1 ? "1×" : t("media_voice_faster");
  });
  for (const name of ["play", "pause", "ended", "timeupdate"]) audio.addEventListener(name, draw);
  return node;
}

/** Full screen: the picture, zoom with two fingers or the buttons, close with Escape. */
function viewer(url, alt, opener) {
  let step = 0;
  let scale = 1;
  const image = h("img", { src: url, alt, class: "viewer-image", draggable: "false" });
  // Focusable: a zoomed picture scrolls with the arrow keys too.
  const stage = h("div", { class: "viewer-stage", tabindex: "0" }, image);
  const zoomIn = h("button", { type: "button", onclick: () => zoomTo(step + 1) }, h("span", { "aria-hidden": "true" }, "+ "), t("media_zoom_in"));
  const zoomOut = h("button", { type: "button", onclick: () => zoomTo(step - 1) }, h("span", { "aria-hidden": "true" }, "− "), t("media_zoom_out"));
  const close = h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, t("media_close"));
  const dialog = h(
    "dialog",
    { class: "media-viewer", "aria-label": alt },
    h("div", { class: "viewer-bar" }, zoomOut, zoomIn, close),
    stage,
  );
  function apply(value) {
    scale = Math.min(ZOOM_STEPS.at(-1), Math.max(1, value));
    image.style.transform = `scale(${scale})`;
    zoomOut.disabled = scale <= 1;
    zoomIn.disabled = scale >= ZOOM_STEPS.at(-1);
  }
  function zoomTo(next) {
    step = Math.min(ZOOM_STEPS.length - 1, Math.max(0, next));
    apply(ZOOM_STEPS[step]);
  }
  // Pinch: the distance between two fingers sets the scale.
  const fingers = new Map();
  let pinch = null;
  stage.addEventListener("pointerdown", (event) => {
    fingers.set(event.pointerId, event);
    if (fingers.size === 2) pinch = { distance: spread(), scale };
  });
  stage.addEventListener("pointermove", (event) => {
    if (!fingers.has(event.pointerId)) return;
    fingers.set(event.pointerId, event);
    if (pinch && fingers.size === 2) apply((pinch.scale * spread()) / pinch.distance);
  });
  const lift = (event) => {
    fingers.delete(event.pointerId);
    if (fingers.size < 2) pinch = null;
  };
  stage.addEventListener("pointerup", lift);
  stage.addEventListener("pointercancel", lift);
  function spread() {
    const [a, b] = [...fingers.values()];
    return Math.max(1, Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY));
  }
  dialog.addEventListener("close", () => {
    dialog.remove();
    opener.focus();
  });
  document.body.append(dialog);
  apply(1);
  dialog.showModal();
  close.focus();
}
