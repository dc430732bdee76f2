// Steuntje's service worker: keeps the app shell on the phone so the app opens without a
// connection (messages written offline wait in the outbox). It never touches the relay's
// WebSocket and never caches anything but the app's own files.
//
// VERSION changes whenever a file under clients/web/ changes: the relay replaces the line
// below with a hash of the app's files when it serves this worker (relay/webapp.py), and a
// changed worker fills a new cache and deletes the old one once it takes over.

const VERSION = "development";
const CACHE = `steuntje-shell-${VERSION}`;

// The shell every screen needs. Install fails (and the old worker stays) if one is missing.
const SHELL = [
  "/",
  "/app/manifest.webmanifest",
  "/app/styles/app.css",
  "/app/icons/icon.svg",
  "/app/icons/icon-192.png",
  "/app/app/main.js",
  "/app/app/dom.js",
  "/app/app/i18n.js",
  "/app/app/content.js",
  "/app/app/failures.js",
  "/app/i18n/nl.js",
  "/app/i18n/en.js",
  "/app/app/parts/messages.js",
  "/app/app/parts/nudge.js",
  "/app/app/parts/disappear-note.js", // chat.js imports it
  "/app/app/parts/case-closed.js", // chat.js imports it (a closed case explains itself)
  "/app/app/screens/join.js",
  "/app/app/screens/home.js",
  "/app/app/screens/chat.js",
  "/app/app/screens/settings.js",
  "/app/app/screens/safety.js",
  "/app/app/screens/noinvite.js",
  "/app/app/screens/gone.js",
  "/app/app/screens/lock.js",
  "/app/lib/pin-attempts.js", // the lock screen's alone: never loaded before it is needed
  // The check-in faces and the heart (app/content.js): a conversation shows them offline too.
  "/app/vendor/twemoji-1f622-16.0.1.svg",
  "/app/vendor/twemoji-1f641-16.0.1.svg",
  "/app/vendor/twemoji-1f610-16.0.1.svg",
  "/app/vendor/twemoji-1f642-16.0.1.svg",
  "/app/vendor/twemoji-1f604-16.0.1.svg",
  "/app/vendor/twemoji-1f49b-16.0.1.svg",
  // Peer-support groups: a caregiver opens them offline too (group-invite.js is workers').
  "/app/app/screens/groups.js",
  "/app/app/screens/group.js",
  "/app/app/screens/group-join.js",
  "/app/app/screens/group-members.js",
  "/app/app/parts/duration.js",
  "/app/app/parts/confirm.js",
  "/app/i18n/groups/nl.js",
  "/app/i18n/groups/en.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHELL);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("steuntje-shell-") && name !== CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

// The page tells the worker which of the app's files it loaded (the library, crypto and
// vendored files it imported before this worker existed), so they are cached as well.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter(isAppFile);
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.allSettled(urls.map((url) => cache.add(url)));
    })(),
  );
});

function isAppFile(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    return parsed.origin === self.location.origin && parsed.pathname.startsWith("/app/");
  } catch {
    return false;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(cacheFirst(request));
  }
  // Everything else (the WebSocket, /healthz, exports) goes straight to the network.
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put("/", response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match("/");
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// Notifications (docs/notifications.md). A push carries only {v, t, h}: a type and an
// opaque hint. The worker never decrypts or shows message content: it shows the same few
// words for everything, in the app's language, and opens the conversation the hint names
// in the table the app left in Cache Storage (lib/push.js). One tag for all arrivals, so
// several collapse into one notification.
const PUSH_STATE = "steuntje-push";
const PUSH_WORDS = {
  title: "Steuntje",
  message: "Nieuw bericht van je ondersteuner",
  group: "Nieuw bericht in je groep",
};

async function pushState() {
  try {
    const found = await (await caches.open(PUSH_STATE)).match("/push-state");
    return found ? await found.json() : {};
  } catch {
    return {};
  }
}

self.addEventListener("push", (event) => {
  event.waitUntil(
    (async () => {
      let push = {};
      try {
        push = event.data ? JSON.parse(event.data.text()) : {};
      } catch {
        push = {}; // not ours to read: still say something arrived
      }
      const state = await pushState();
      const words = { ...PUSH_WORDS, ...(state.words || {}) };
      const open = (state.open || {})[push.h] || "#/";
      await self.registration.showNotification(words.title, {
        body: push.t === "group" ? words.group : words.message,
        tag: "steuntje-new",
        renotify: true,
        icon: "/app/icons/icon-192.png",
        data: { open },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const hash = event.notification.data?.open || "#/";
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open) {
        open.postMessage({ type: "open", hash }); // main.js moves to the conversation
        await open.focus().catch(() => {});
      } else {
        await self.clients.openWindow(`/${hash}`);
      }
    })(),
  );
});
