// The fixed choices the app offers: nudge emojis and templates, the faces of a check-in.
// Template ids travel inside the ciphertext; each reader sees the text in their own language
// (i18n key "nudge_<id>"), so a Dutch worker's nudge reads in English on an English phone.

export const NUDGE_EMOJIS = ["💛", "🌷", "☀️", "👍", "🤗", "☕"];

export const NUDGE_TEMPLATES = [
  "thinking_of_you",
  "good_luck_today",
  "well_done",
  "take_care",
  "proud_of_you",
  "here_for_you",
];

/** What a caregiver can send back: thanks, and a way to say "today is hard" in two taps. */
export const NUDGE_TEMPLATES_CAREGIVER = ["thank_you", "all_good", "thinking_of_you", "hard_day"];

// The faces and the heart are shown as pictures (Twemoji, vendor/README.md), so they look
// the same on every phone whatever its emoji font; the emoji itself still travels.
const picture = (code) => `/app/vendor/twemoji-${code}-16.0.1.svg`;

/** A caregiver answers with a tap on one of these; value 1 (bad) … 5 (good). */
export const FACES = [
  { value: 1, emoji: "😢", key: "face_1", image: picture("1f622") },
  { value: 2, emoji: "🙁", key: "face_2", image: picture("1f641") },
  { value: 3, emoji: "😐", key: "face_3", image: picture("1f610") },
  { value: 4, emoji: "🙂", key: "face_4", image: picture("1f642") },
  { value: 5, emoji: "😄", key: "face_5", image: picture("1f604") },
];

export const CHECKIN_SCALE = 5;

/**
 * The worker's answer to a caregiver's "Bel me" (kind "callback", lib/messages.js):
 * {status: "done"} after the call, {status: "retry"} when they could not reach them. The
 * caregiver's "Je ondersteuner belt je terug" stays until one of these arrives.
 */
export const CALLBACK_KIND = "callback";
export const CALLBACK_DONE = "done";
export const CALLBACK_RETRY = "retry";
export const HEART = "💛";
export const HEART_IMAGE = picture("1f49b");

export function face(value) {
  return FACES.find((item) => item.value === value) || null;
}
