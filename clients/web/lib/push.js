// Notifications that reach a closed phone (docs/notifications.md, PROTOCOL.md §4.16).
//
// The relay pushes only {v, t, h}: a type and an opaque hint, HMAC(hint key, conversation
// id). The hint key is made here and never leaves this device except to the relay; the
// service worker gets a table hint -> where to open, and the words to show, through a small
// entry in Cache Storage (it cannot read IndexedDB settings). Nothing here touches the DOM.

import { b64url, unb64url } from "./bytes.js";

export const DEFAULT_QUIET = Object.freeze({ from: "22:00", until: "08:00" });
const STATE_CACHE = "steuntje-push"; // the service worker reads the same name (sw.js)
const STATE_URL = "/push-state";
const DAY_MINUTES = 1440;

/** Can this browser show pushed notifications at all (now, as opened)? */
export function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** An iPhone or iPad whose Safari only allows notifications for an app on the home screen. */
export function needsHomeScreen(ua = navigator.userAgent, standalone = isStandalone()) {
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  return ios && !standalone;
}

function isStandalone() {
  return window.matchMedia?.("(display-mode: standalone)").matches || navigator.standalone === true;
}

/** "22:30" -> 1350 (minutes after midnight); null for anything else. */
export function minutesOf(text) {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text ?? "");
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/**
 * Local quiet hours as the relay wants them: minutes after 00:00 UTC. `offset` is
 * Date#getTimezoneOffset() (UTC minus local, -60 in Amsterdam in winter); the app sends
 * them again on every open, so a change to summer time follows within a day.
 */
export function quietUtc(quiet, offset = new Date().getTimezoneOffset()) {
  const from = minutesOf(quiet?.from);
  const until = minutesOf(quiet?.until);
  if (from === null || until === null || from === until) return {};
  const utc = (minute) => (((minute + offset) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return { quiet_from: utc(from), quiet_until: utc(until) };
}

/** The opaque hint the relay puts in a push for this conversation (relay/push/payload.py). */
export async function hintFor(hintKey, conversationId) {
  const key = await crypto.subtle.importKey("raw", hintKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(conversationId));
  return b64url(new Uint8Array(mac).slice(0, 12));
}

/** What the service worker reads: the words to show and where each hint opens. */
export async function writeWorkerState(state) {
  const cache = await caches.open(STATE_CACHE);
  await cache.put(STATE_URL, new Response(JSON.stringify(state), { headers: { "content-type": "application/json" } }));
}

export async function readWorkerState() {
  const cache = await caches.open(STATE_CACHE);
  const found = await cache.match(STATE_URL);
  return found ? found.json() : null;
}

/** This device's hint key (32 random bytes), made once and kept in the app's settings. */
async function hintKeyOf(messenger) {
  const saved = messenger.settings().pushHintKey;
  if (saved) return unb64url(saved);
  const key = crypto.getRandomValues(new Uint8Array(32));
  await messenger.setSetting("pushHintKey", b64url(key));
  return key;
}

/** Every conversation this device has: 1:1 by account id, groups by group id. */
async function conversationsOf(messenger) {
  const found = (await messenger.conversations()).map((c) => ({ id: c.id, hash: `#/chat/${encodeURIComponent(c.id)}` }));
  try {
    for (const group of await messenger.groups.list()) {
      found.push({ id: group.id, hash: `#/group/${encodeURIComponent(group.id)}` });
    }
  } catch {
    // Groups not loaded (none joined on this device): 1:1 conversations only.
  }
  return found;
}

/**
 * Refresh the service worker's table (after joining a conversation, at every open) and
 * return the hints of muted conversations. `words` are the notification texts in the
 * app's language: {title, message, group}.
 */
export async function refreshWorkerState(messenger, words) {
  const key = await hintKeyOf(messenger);
  const prefs = messenger.settings().push ?? {};
  const muted = new Set(prefs.muted ?? []);
  const open = {};
  const mutedHints = [];
  for (const conversation of await conversationsOf(messenger)) {
    const hint = await hintFor(key, conversation.id);
    open[hint] = conversation.hash;
    if (muted.has(conversation.id)) mutedHints.push(hint);
  }
  await writeWorkerState({ words, open });
  return { key, mutedHints };
}

/**
 * Switch notifications on: ask the browser (the person taps "Allow"), subscribe with the
 * relay's VAPID key and tell the relay where to push, the quiet hours and what is muted.
 * Returns "on", "denied" (the person or the browser said no) or "failed".
 */
export async function enable(messenger, words, prefs = {}) {
  if (!supported()) return "failed";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  // Quiet hours chosen before stay; else the caller's default (null: none).
  const saved = messenger.settings().push ?? {};
  const quiet = saved.quiet !== undefined ? saved.quiet : prefs.quiet === undefined ? DEFAULT_QUIET : prefs.quiet;
  await messenger.setSetting("push", { ...saved, on: true, quiet });
  return (await renew(messenger, words)) ? "on" : "failed";
}

/** Send the subscription again (at every open, and after a settings change). */
export async function renew(messenger, words) {
  const prefs = messenger.settings().push;
  if (!prefs?.on || !supported() || Notification.permission !== "granted") return false;
  const { key, mutedHints } = await refreshWorkerState(messenger, words);
  try {
    const registration = await navigator.serviceWorker.ready;
    const { key: serverKey } = await messenger.request("push_key", {});
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: unb64url(serverKey),
      });
    }
    const json = subscription.toJSON();
    await messenger.request("push_subscribe", {
      endpoint: json.endpoint,
      p256dh: json.keys.p256dh,
      auth: json.keys.auth,
      hint_key: b64url(key),
      muted: mutedHints,
      ...quietUtc(prefs.quiet),
    });
    return true;
  } catch {
    return false; // no push service reachable (or the relay refused it): nothing changes
  }
}

/** Switch notifications off on this device, at the browser and at the relay. */
export async function disable(messenger) {
  await messenger.setSetting("push", { ...(messenger.settings().push ?? {}), on: false });
  try {
    const registration = await navigator.serviceWorker.ready;
    await (await registration.pushManager.getSubscription())?.unsubscribe();
  } catch {
    // No worker or no subscription: nothing to undo in the browser.
  }
  await messenger.request("push_unsubscribe", {});
}
