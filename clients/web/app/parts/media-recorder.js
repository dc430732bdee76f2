// The voice-note recorder behind "🎤 Inspreken": hold the button to record and let go to
// send, or tap to start and tap again to send (for people who cannot hold a finger
// still); slide the finger away, or tap "Stop, niet sturen", to throw it away. The
// seconds count on screen and in a live region. MediaRecorder records Opus (WebM or Ogg,
// whichever this browser has); nothing is kept after sending or cancelling.
//
// The button lives in chat.js so that a caregiver's chat does not load this module until
// the first touch; chat.js hands over that first touch (`press`).

import { h } from "../dom.js";
import { t } from "../i18n.js";

const HOLD_MS = 500; // held at least this long: letting go sends; shorter: a tap
const SLIDE_PX = 80; // a finger this far from where it pressed: cancel
const MAX_MS = 5 * 60_000; // a voice note stops (and is sent) after five minutes
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];

// idle ─press─▶ starting ─mic on─▶ holding ─let go ≥ HOLD_MS─▶ (sent) idle
//                                   │        └let go sooner───▶ tapped ─tap─▶ (sent) idle
//                                   └slide / stop, niet sturen─▶ (cancelled) idle
const STATES = Object.freeze({
  idle: ["starting"],
  starting: ["holding", "tapped", "idle"],
  holding: ["tapped", "idle"],
  tapped: ["idle"],
});

export function recordingType() {
  return TYPES.find((type) => globalThis.MediaRecorder?.isTypeSupported?.(type)) ?? "";
}

/** "0:07" */
export function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/**
 * Make `button` a recorder. `onRecorded({bytes, type, duration_ms})` gets a finished voice
 * note; `say(text, onScreen)` tells screen readers (and, with onScreen, the bar). Returns
 * {press(event, {released, clicked})} for the touch that loaded this module, and {destroy}.
 */
export function attach(button, { onRecorded, say }) {
  let state = "idle";
  let recorder = null;
  let stream = null;
  let chunks = [];
  let startedAt = 0;
  let pressedAt = 0;
  let origin = null;
  let ticker = null;
  let suppressClick = false;
  let pendingStop = null; // "send" / "cancel" asked for before the microphone was on
  let startMode = "holding"; // what "starting" becomes once the microphone is on
  let stopping = false;

  const label = button.querySelector(".label") ?? button;
  const idleText = label.textContent;
  const time = h("span", { class: "record-time", role: "status", "aria-live": "polite" });
  const cancel = h(
    "button",
    { type: "button", class: "danger record-cancel", hidden: true, onclick: () => stop("cancel") },
    t("media_record_cancel"),
  );
  const hint = h("p", { class: "hint record-hint", hidden: true });
  const panel = h("div", { class: "record-panel" }, time, hint, cancel);
  // Below the row of buttons, not squeezed in beside them.
  (button.closest(".quick-actions") ?? button).after(panel);
  button.style.touchAction = "none"; // a held finger must not scroll the page (pointercancel)

  function go(next) {
    if (!STATES[state].includes(next)) throw new Error(`recorder: ${state} → ${next}`);
    state = next;
    const on = state !== "idle";
    button.classList.toggle("recording", on);
    label.textContent = on ? t("media_record_send") : idleText;
    cancel.hidden = !on;
    hint.hidden = state !== "holding" && state !== "tapped";
    hint.textContent = state === "holding" ? t("media_record_hint_hold") : t("media_record_hint_tap");
    if (!on) time.textContent = "";
  }

  async function start(mode) {
    go("starting");
    pendingStop = null;
    startMode = mode;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      go("idle");
      say(t("media_record_no_microphone"), true);
      return;
    }
    const type = recordingType();
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    chunks = [];
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) chunks.push(event.data);
    });
    recorder.start(250);
    startedAt = performance.now();
    go(startMode);
    say(t("media_record_started"));
    tick();
    ticker = setInterval(tick, 250);
    if (pendingStop) stop(pendingStop);
  }

  function tick() {
    const elapsed = performance.now() - startedAt;
    const text = t("media_record_time", { time: clock(elapsed) });
    if (time.textContent !== text) time.textContent = text; // once a second: calm for readers
    if (elapsed >= MAX_MS) stop("send");
  }

  async function stop(how) {
    if (state === "starting") {
      pendingStop = how;
      return;
    }
    if (state === "idle" || stopping) return; // a second stop (a double tap, the time limit)
    stopping = true;
    clearInterval(ticker);
    const duration = Math.round(performance.now() - startedAt);
    const active = recorder;
    const finished = new Promise((resolve) => active.addEventListener("stop", resolve, { once: true }));
    active.stop();
    await finished;
    stream.getTracks().forEach((track) => track.stop());
    const type = (active.mimeType || recordingType() || "audio/webm").split(";")[0];
    const recorded = new Blob(chunks, { type });
    recorder = null;
    stream = null;
    chunks = [];
    stopping = false;
    go("idle");
    if (how === "cancel" || recorded.size === 0) {
      say(t("media_record_cancelled"), true);
      return;
    }
    onRecorded({ bytes: new Uint8Array(await recorded.arrayBuffer()), type, duration_ms: duration });
  }

  function pointerDown(event) {
    if (event.button !== 0 || state !== "idle") return;
    pressedAt = performance.now();
    origin = { x: event.clientX, y: event.clientY };
    try {
      button.setPointerCapture(event.pointerId); // a sliding finger still reports to us
    } catch {
      // The pointer already ended (a replayed touch): nothing to capture.
    }
    start("holding");
  }

  function pointerUp() {
    if (origin === null) return;
    origin = null;
    suppressClick = true; // the click that follows this pointerup is this same touch
    if (performance.now() - pressedAt >= HOLD_MS) stop("send");
    else if (state === "holding") go("tapped");
    else if (state === "starting") startMode = "tapped"; // a tap: keeps recording once on
  }

  function pointerMove(event) {
    if (origin === null) return;
    if (Math.hypot(event.clientX - origin.x, event.clientY - origin.y) > SLIDE_PX) {
      origin = null;
      suppressClick = true;
      stop("cancel");
    }
  }

  function click() {
    if (suppressClick) {
      suppressClick = false;
      return;
    }
    // A keyboard, a switch, or the second tap.
    if (state === "idle") start("tapped");
    else stop("send");
  }

  button.addEventListener("pointerdown", pointerDown);
  button.addEventListener("pointerup", pointerUp);
  button.addEventListener("pointermove", pointerMove);
  button.addEventListener("pointercancel", () => origin !== null && ((origin = null), stop("cancel")));
  button.addEventListener("click", click);
  // Escape throws a recording away, as "Stop, niet sturen" does.
  button.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state !== "idle") stop("cancel");
  });

  return {
    /** The touch (or click) that loaded this module, and what became of it meanwhile. */
    press(event, { released = false, clicked = false } = {}) {
      if (event.type !== "pointerdown" || clicked) {
        click(); // a keyboard, or a tap that ended (click and all) while this module loaded
        return;
      }
      pointerDown(event);
      if (released) pointerUp(); // let go while this module loaded: its click is still to come
    },
    destroy() {
      if (state !== "idle") stop("cancel");
      panel.remove();
    },
  };
}
