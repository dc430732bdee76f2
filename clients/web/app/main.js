// The app shell: opens the messenger (clients/web/lib), picks the screen for the URL and
// the person's role, and keeps the header, connection banner and live region up to date.
// Screens are loaded only when needed, so a caregiver's phone never downloads the caseload.

import { fill, h } from "./dom.js";
import { formatTime, loadLanguage, loadPart, t } from "./i18n.js";

const SCREENS = {
  join: () => import("./screens/join.js"),
  noinvite: () => import("./screens/noinvite.js"),
  home: () => import("./screens/home.js"),
  chat: () => import("./screens/chat.js"),
  caseload: () => import("./screens/caseload.js"),
  invite: () => import("./screens/invite.js"),
  checkin: () => import("./screens/checkin.js"),
  settings: () => import("./screens/settings.js"),
  safety: () => import("./screens/safety.js"),
  gone: () => import("./screens/gone.js"),
  lock: () => import("./screens/lock.js"),
  officer: () => import("./screens/officer.js"),
  "officer-holds": () => import("./screens/officer-holds.js"),
  "officer-requests": () => import("./screens/officer-requests.js"),
  "officer-person": () => import("./screens/officer-person.js"),
  art30: () => import("./screens/art30.js"),
  admin: () => import("./screens/admin.js"),
  "admin-invite": () => import("./screens/admin-invite.js"),
  "admin-policy": () => import("./screens/admin-policy.js"),
  "admin-cases": () => import("./screens/admin-cases.js"),
  reach: () => import("./screens/reach.js"),
  groups: () => import("./screens/groups.js"),
  group: () => import("./screens/group.js"),
  "group-members": () => import("./screens/group-members.js"),
  "group-invite": () => import("./screens/group-invite.js"),
  "group-join": () => import("./screens/group-join.js"),
  recovery: () => import("./screens/recovery.js"),
  questionnaire: () => import("./screens/questionnaire.js"),
  "questionnaire-evidence": () => import("./screens/questionnaire-evidence.js"),
  "questionnaire-verify": () => import("./screens/questionnaire-verify.js"),
  "questionnaire-send": () => import("./screens/questionnaire-send.js"),
};

// The desk roles (privacy officer, organisation admin): their screens by first path part,
// the first one is where they land. Settings and safety numbers are shared with everyone.
const DESK_ROUTES = {
  officer: {
    "": "officer",
    person: "officer-person",
    holds: "officer-holds",
    requests: "officer-requests",
    register: "art30",
  },
  admin: {
    "": "admin",
    invite: "admin-invite",
    policy: "admin-policy",
    cases: "admin-cases",
    reach: "reach",
    register: "art30",
  },
};

const app = {
  messenger: null,
  me: null,
  screen: null, // {destroy()} of the screen on show
  state: "offline",
  go,
  announce,
  render,
  nameOf,
  time: formatTime,
  pendingInvite: null, // invite link from the URL fragment (this tab's sessionStorage)
  pendingGroup: null, // {link, name} of a group invitation being answered (sessionStorage)
  pendingNames: [], // names typed for invites not yet redeemed: [{name}], in memory only
  knownAccounts: null, // accounts of the conversations seen so far
  naming: null, // the promise of the latest nameNewcomers run
  elsewhere: false, // another tab of the app took this device's connection
  installPrompt: null, // the browser's "add to home screen" offer, shown as a button in Settings
};

// Chrome offers installation with an event; Settings turns it into one plain button.
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  app.installPrompt = event;
});
window.addEventListener("appinstalled", () => {
  app.installPrompt = null;
});

/**
 * A caregiver who joins gets the name the worker typed for the invite, but only when that
 * is the one invite waiting: with two open invites nobody can tell who joined first, and a
 * wrong name could send one person's message to another. Then the worker names them in the
 * caseload by hand.
 */
async function nameNewcomers() {
  const m = app.messenger;
  const conversations = await m.conversations();
  const known = app.knownAccounts;
  app.knownAccounts = new Set(conversations.map((item) => item.id));
  if (!known) return [];
  const fresh = conversations.filter((item) => item.role === "caregiver" && !known.has(item.id));
  if (fresh.length === 0) return [];
  if (fresh.length === 1 && app.pendingNames.length === 1 && !fresh[0].name) {
    const { name } = app.pendingNames[0];
    if (name) await m.setName(fresh[0].id, name);
  }
  app.pendingNames = [];
  return fresh;
}

/** The invite screen tells the shell that an invite is out (with or without a name). */
app.inviteMade = (name) => {
  app.pendingNames.push({ name });
};
app.nameNewcomers = nameNewcomers;

/** Navigate to "#/…"; the hashchange handler draws the screen. */
function go(path) {
  if (location.hash === `#${path}`) {
    render();
  } else {
    location.hash = path;
  }
}

/** Read out a short status ("Verstuurd", "Nieuw bericht van Ans") in the live region. */
function announce(text) {
  const region = document.getElementById("announcer");
  // Clear first so the same words twice are read twice.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** The local name of another account, or a role word when none was given. */
async function nameOf(conversation) {
  if (conversation.name) return conversation.name;
  return conversation.role === "caregiver" ? t("unnamed_caregiver") : t("your_worker");
}

function route() {
  const hash = location.hash.replace(/^#/, "");
  // Checking evidence needs no account (a municipality's officer), nor a connection.
  if (hash === "/verify-questionnaires") return { screen: "questionnaire-verify" };
  if (app.gone) return { screen: "gone" };
  if (app.me && app.messenger.locked) return { screen: "lock" };
  if (!app.me) {
    if (app.pendingInvite) return { screen: "join" };
    return app.pendingGroup ? { screen: "group-join" } : { screen: "noinvite" };
  }
  const [, first = "", second = ""] = hash.split("/");
  const caregiver = app.me.role === "caregiver";
  const desk = DESK_ROUTES[app.me.role];
  if (desk && first !== "settings" && first !== "safety") {
    return { screen: desk[first] || desk[""] };
  }
  switch (first) {
    case "chat":
      return second ? { screen: "chat", id: decodeURIComponent(second) } : { screen: "home" };
    case "invite":
      return caregiver ? { screen: "home" } : { screen: "invite" };
    case "checkin":
      return caregiver ? { screen: "home" } : { screen: "checkin", to: second };
    case "questionnaire": {
      const message = hash.split("/")[3] || "";
      return { screen: "questionnaire", id: decodeURIComponent(second), message: decodeURIComponent(message) };
    }
    case "questionnaires":
      return caregiver ? { screen: "home" } : { screen: "questionnaire-send", to: second };
    case "evidence":
      return caregiver ? { screen: "home" } : { screen: "questionnaire-evidence" };
    case "recovery":
      return caregiver ? { screen: "home" } : { screen: "recovery", id: decodeURIComponent(second) };
    case "groups":
      return { screen: "groups" };
    case "group": {
      if (!second) return { screen: "groups" };
      const id = decodeURIComponent(second);
      const part = hash.split("/")[3] || "";
      if (part === "members") return { screen: "group-members", id };
      if (part === "invite" && !caregiver) return { screen: "group-invite", id };
      return { screen: "group", id };
    }
    case "group-join":
      return { screen: "group-join" };
    case "settings":
      return { screen: "settings" };
    case "safety":
      return { screen: "safety", id: decodeURIComponent(second) };
    default:
      return { screen: caregiver ? "home" : "caseload" };
  }
}

/** The recovery screen, and the join screen opened from a recovery link (issue 20). */
function needsRecoveryWords(screen) {
  return screen === "recovery" || (screen === "join" && /[#&]account=/.test(app.pendingInvite || ""));
}

let renderCount = 0;

/**
 * Draw the screen for the current URL. A screen is built off-page and swapped in whole, so a
 * newer navigation that finishes first is never mixed with an older one. Each screen may
 * return {destroy} to unsubscribe from the messenger.
 */
async function render() {
  const ticket = ++renderCount;
  const where = route();
  const [module] = await Promise.all([
    SCREENS[where.screen](),
    GROUP_SCREENS.includes(where.screen) ? loadPart("groups") : null, // their own strings
    needsRecoveryWords(where.screen) ? loadPart("recovery") : null,
  ]);
  const view = h("div", { class: "screen" });
  const screen = (await module.show(view, app, where)) || null;
  if (ticket !== renderCount) {
    screen?.destroy?.(); // a newer navigation won
    return;
  }
  app.screen?.destroy?.();
  app.screen = screen;
  drawHeader(where.screen);
  const main = document.getElementById("main");
  fill(main, view);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Steuntje` : "Steuntje";
  // After a navigation (not the first draw) move focus into the new screen, for keyboard and
  // screen-reader users; a screen may name the field that should have it. Focus must not
  // scroll: a conversation opens at its newest message (after a PIN too), not at the top.
  const wanted = main.querySelector("[data-autofocus]");
  if (wanted) wanted.focus();
  else if (ticket > 1) main.focus({ preventScroll: true });
  // A conversation opens at its newest message, above the bar at the bottom (the end of the
  // page); a screen that follows its own end says how.
  if (screen?.reveal) screen.reveal();
  else if (main.querySelector(".messages > li")) {
    window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "instant" });
  }
}

const DESK_NAV = {
  officer: [
    ["#/", "nav_audit", ["officer"]],
    ["#/person", "nav_person", ["officer-person"]],
    ["#/holds", "nav_holds", ["officer-holds"]],
    ["#/requests", "nav_requests", ["officer-requests"]],
    ["#/register", "nav_register", ["art30"]],
  ],
  admin: [
    ["#/", "nav_accounts", ["admin"]],
    ["#/invite", "nav_admin_invite", ["admin-invite"]],
    ["#/cases", "nav_cases", ["admin-cases"]],
    ["#/policy", "nav_policy", ["admin-policy"]],
    ["#/reach", "nav_reach", ["reach"]],
    ["#/register", "nav_register", ["art30"]],
  ],
};

function deskNav(role) {
  return [
    ...DESK_NAV[role].map(([href, key, screens]) => [href, t(key), screens]),
    ["#/settings", t("nav_settings"), ["settings", "safety"]],
  ];
}

const GROUP_SCREENS = ["groups", "group", "group-members", "group-invite", "group-join"];

function drawHeader(screen) {
  const nav = document.getElementById("nav");
  if (!app.me || app.gone || app.messenger.locked) {
    fill(nav);
    nav.hidden = true;
    return;
  }
  if (app.gone) {
    nav.hidden = true;
    return;
  }
  const items = DESK_NAV[app.me.role]
    ? deskNav(app.me.role)
    : app.me.role === "caregiver"
      ? [
          ["#/", t("nav_messages"), ["home", "chat"]],
          ["#/groups", t("nav_groups"), GROUP_SCREENS],
          ["#/settings", t("nav_settings"), ["settings", "safety"]],
        ]
      : [
          ["#/", t("nav_caseload"), ["caseload", "chat", "checkin"]],
          ["#/invite", t("nav_invite"), ["invite"]],
          ["#/groups", t("nav_groups"), GROUP_SCREENS],
          ["#/settings", t("nav_settings"), ["settings", "safety"]],
        ];
  nav.hidden = false;
  nav.setAttribute("aria-label", t("nav_label"));
  fill(
    nav,
    h(
      "ul",
      {},
      items.map(([href, label, screens]) =>
        h("li", {}, h("a", { href, "aria-current": screens.includes(screen) ? "page" : null }, label)),
      ),
    ),
  );
}

// "Verbinden…" for a moment; when it takes longer, or the phone says it is offline, say
// plainly that there is no connection and that what they send will wait.
const SLOW_CONNECT_MS = 4000;
let slowTimer = null;

function drawConnection(state) {
  const banner = document.getElementById("connection");
  window.clearTimeout(slowTimer);
  let text = "";
  let action = null;
  if (app.me && !app.gone && !app.messenger?.locked && state !== "online") {
    const offline = state === "offline" || navigator.onLine === false;
    if (app.elsewhere) {
      // Another tab took the device over; one tap takes it back.
      text = t("connection_elsewhere");
      action = h("button", { type: "button", onclick: useHere }, t("connection_use_here"));
    } else {
      text = offline ? t("connection_offline") : t("connection_connecting");
    }
    if (!offline && !app.elsewhere) {
      slowTimer = window.setTimeout(() => {
        if (app.state !== "online") fill(banner, t("connection_offline"));
      }, SLOW_CONNECT_MS);
    }
  }
  fill(banner, text, action ? " " : null, action);
  banner.hidden = !text;
}

function useHere() {
  app.elsewhere = false;
  drawConnection("connecting");
  app.messenger.connect();
}

// The invite link lives in this tab only (sessionStorage) until joining worked, so a
// reload or a language switch on the join screen does not lose it; never in the URL bar.
const INVITE_KEY = "steuntje.invite";

function readInviteFromFragment() {
  const hash = location.hash.replace(/^#/, "");
  let link = null;
  if (/(^|&)invite=/.test(hash)) {
    link = location.href;
    history.replaceState(null, "", `${location.pathname}${location.search}#/`);
    try {
      sessionStorage.setItem(INVITE_KEY, link);
    } catch {
      // No storage: the link stays in memory for this page only.
    }
  } else {
    try {
      link = sessionStorage.getItem(INVITE_KEY);
    } catch {
      link = null;
    }
  }
  return link;
}

function forgetInvite() {
  app.pendingInvite = null;
  try {
    sessionStorage.removeItem(INVITE_KEY);
  } catch {
    // Nothing stored.
  }
}

// A group invitation ("#group=…", docs/groups.md §2.3) is handled the same way: kept in this
// tab until joining worked, the address bar set to the join screen. The card in a case
// conversation hands over the group's name too.
const GROUP_KEY = "steuntje.group";

function keepGroupLink(pending) {
  app.pendingGroup = pending;
  try {
    sessionStorage.setItem(GROUP_KEY, JSON.stringify(pending));
  } catch {
    // No storage: the link stays in memory for this page only.
  }
}

/** Take a "#group=…" link out of the address bar; true if there was one. */
function readGroupFromFragment() {
  const hash = location.hash.replace(/^#/, "");
  if (/(^|&)group=/.test(hash)) {
    keepGroupLink({ link: location.href, name: "" });
    history.replaceState(null, "", `${location.pathname}${location.search}#/group-join`);
    return true;
  }
  if (!app.pendingGroup) {
    try {
      const stored = JSON.parse(sessionStorage.getItem(GROUP_KEY) || "null");
      if (stored?.link) app.pendingGroup = stored;
    } catch {
      app.pendingGroup = null;
    }
  }
  return false;
}

app.joinGroup = (pending) => {
  if (!pending?.link) return;
  keepGroupLink(pending);
  go("/group-join");
};

app.forgetGroupLink = () => {
  app.pendingGroup = null;
  try {
    sessionStorage.removeItem(GROUP_KEY);
  } catch {
    // Nothing stored.
  }
};

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  // A tapped notification (sw.js): open the conversation it names, nothing else.
  navigator.serviceWorker.addEventListener("message", (event) => {
    const hash = event.data?.type === "open" ? event.data.hash : null;
    if (typeof hash === "string" && /^#\/(chat|group)\/[^/]+$/.test(hash)) location.hash = hash;
  });
  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      // Files this page loaded before the worker existed (library, crypto, vendored code).
      const urls = performance
        .getEntriesByType("resource")
        .map((entry) => entry.name)
        .filter((name) => name.startsWith(`${location.origin}/app/`));
      registration.active?.postMessage({ type: "cache", urls });
    })
    .catch(() => {
      // No worker (an old relay or a private window): the app still works online.
    });
}

async function start() {
  await loadLanguage();
  document.getElementById("skip-link").textContent = t("skip_to_content");
  document.getElementById("skip-link").addEventListener("click", (event) => {
    // A plain "#main" would change the route; move focus instead.
    event.preventDefault();
    document.getElementById("main").focus();
  });
  app.pendingInvite = readInviteFromFragment();
  readGroupFromFragment();
  const main = document.getElementById("main");
  fill(main, h("h1", { class: "visually-hidden" }, "Steuntje"), h("p", { class: "hint" }, t("loading")));

  let openMessenger;
  try {
    ({ openMessenger } = await import("../lib/messenger.js"));
    app.messenger = await openMessenger({ relayUrl: location.origin, storeName: "steuntje" });
  } catch (error) {
    console.error("could not start", error?.name);
    fill(main, h("h1", {}, t("start_failed_title")), h("p", {}, t("start_failed_body")));
    return;
  }
  const m = app.messenger;
  app.me = m.registered ? m.me : null;
  // A caregiver opens on the conversation: fetch its code while the connection starts
  // (home.js imports it lazily so a first visit's join screen does not).
  // All of its modules at once: imported one by one, each would wait for its parent's
  // round trip first (on a slow phone line about 150 ms a level).
  if (app.me?.role === "caregiver") {
    Promise.all([
      SCREENS.chat(),
      import("./parts/messages.js"),
      import("./parts/nudge.js"),
      import("./parts/disappear-note.js"),
      import("./content.js"),
    ]).catch(() => {});
  }
  if (app.me) forgetInvite(); // already in: an old or second invite link is not needed
  document.body.classList.toggle("role-caregiver", app.me?.role === "caregiver");
  document.body.classList.toggle("role-desk", Boolean(DESK_ROUTES[app.me?.role]));
  m.on("status", ({ state }) => {
    const wasOnline = app.state === "online";
    app.state = state;
    if (state === "online") app.elsewhere = false;
    drawConnection(state);
    if (state === "online" && !wasOnline && app.me) announce(t("connection_back"));
  });
  m.on("revoked", () => app.erased());
  m.on("replaced", () => {
    app.elsewhere = true;
    drawConnection(m.state);
  });
  if (app.me && !m.locked) {
    m.connect();
  }
  m.on("locked", () => {
    drawConnection(app.state);
    render();
  });
  watchBackground();
  app.naming = Promise.resolve();
  m.on("conversation", () => {
    if (app.me && app.me.role !== "caregiver") {
      app.naming = app.naming.then(nameNewcomers).catch(() => {});
    }
  });
  if (app.me && app.me.role !== "caregiver" && !m.locked) await nameNewcomers();
  app.state = m.state;
  drawConnection(m.state);
  window.addEventListener("online", () => drawConnection(app.state));
  window.addEventListener("offline", () => drawConnection(app.state));
  window.addEventListener("hashchange", () => {
    readGroupFromFragment();
    render();
  });
  await render();
  registerServiceWorker();
  // A worker's device adds what only it knows to the reach figures: two numbers a period.
  // Only once connected: offline the module may not be in the worker's cache yet, and the
  // numbers could not be sent anyway (an app opened offline must load without an error).
  if (app.me?.role === "worker" && !m.locked) {
    whenOnline(m, () =>
      import("./parts/reach-contribute.js").then((part) => part.contribute(m)).catch(() => {}),
    );
  }
  // Notifications switched on: renew the subscription and the worker's table (lazily, so a
  // first visit never loads it).
  if (app.me && app.messenger.settings().push?.on) {
    whenOnline(m, () =>
      import("./parts/notifications.js").then((part) => part.renew(app)).catch(() => {}),
    );
  }
}

/** Run `work` once the messenger is connected (now, or at its first "online"). */
function whenOnline(m, work) {
  if (m.state === "online") return void work();
  const stop = m.on("status", ({ state }) => {
    if (state !== "online") return;
    stop();
    work();
  });
}

/** Called by the join screen once registration worked. */
app.joined = async () => {
  app.me = app.messenger.me;
  forgetInvite();
  if (app.me.role !== "caregiver") await nameNewcomers();
  app.pendingInvite = null;
  document.body.classList.toggle("role-caregiver", app.me.role === "caregiver");
  document.body.classList.toggle("role-desk", Boolean(DESK_ROUTES[app.me.role]));
  drawConnection(app.messenger.state);
  go("/");
  // Ask once, in plain words, whether the phone may say that something arrived. Only the
  // people messages are for: an officer's or admin's desk receives none.
  if (app.me.role === "caregiver" || app.me.role === "worker") {
    import("./parts/notifications.js").then((part) => part.askOnce(app)).catch(() => {});
  }
};

/** The account was erased here, or this device was revoked: nothing more to do. */
app.erased = () => {
  app.gone = true;
  app.me = null;
  document.body.classList.remove("role-caregiver");
  drawConnection("online");
  render();
};

/** The lock screen got the right PIN. */
app.unlocked = async () => {
  app.messenger.connect();
  drawConnection(app.messenger.state);
  if (app.me.role !== "caregiver") await nameNewcomers();
  await render();
};

// With a PIN set, the app locks itself after some minutes out of sight (phone in a pocket,
// another app on top), so a phone left on a table does not show the conversation.
const LOCK_AFTER_MS = 5 * 60 * 1000;

function watchBackground() {
  let timer = null;
  document.addEventListener("visibilitychange", () => {
    window.clearTimeout(timer);
    const m = app.messenger;
    if (document.visibilityState === "hidden" && m.hasPin && !m.locked) {
      timer = window.setTimeout(() => m.lock(), LOCK_AFTER_MS);
    }
    // Back in view after a while: do not wait for the next reconnect attempt.
    if (document.visibilityState === "visible" && app.me && !m.locked && !app.elsewhere) {
      if (m.state !== "online") m.retryNow?.();
    }
  });
}

/** Called by settings after a language switch: redraw everything in the new language. */
app.relabel = async (lang) => {
  await loadLanguage(lang);
  document.getElementById("skip-link").textContent = t("skip_to_content");
  drawConnection(app.messenger?.state ?? "offline");
  await render();
};

start();
