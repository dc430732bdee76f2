/**
 * Invite links (PROTOCOL §4.2, §4.7): `https://relay.example/#invite=TOKEN&fp=DEVICE_ID`.
 * The token and the inviting device's id travel in the URL fragment, which browsers never
 * send to a server. `fp` is the inviting device's Ed25519 identity key (its device id): the
 * new device pins it, so the session with the person it met face to face is verified.
 */

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;
const ACCOUNT_ID = /^acc_[A-Za-z0-9_-]{22}$/;

/** {relayUrl (or null), token, fingerprint (or null), account (or null)} from a link or a
 * bare token. `account` is set for a recovery link (`…&account=ID`, PROTOCOL §4.2): the app
 * repeats it to the relay, which refuses the link for any other account. */
export function parseInvite(invite) {
  const text = String(invite ?? "").trim();
  if (!text.includes("#")) return { relayUrl: null, token: text, fingerprint: null, account: null };
  const hash = text.indexOf("#");
  const fields = new URLSearchParams(text.slice(hash + 1));
  const token = fields.get("invite");
  if (!token) return { relayUrl: null, token: "", fingerprint: null, account: null };
  let relayUrl = null;
  try {
    relayUrl = new URL(text.slice(0, hash)).origin;
  } catch {
    relayUrl = null;
  }
  const fingerprint = fields.get("fp");
  const account = fields.get("account");
  return {
    relayUrl,
    token,
    fingerprint: fingerprint && DEVICE_ID.test(fingerprint) ? fingerprint : null,
    account: account && ACCOUNT_ID.test(account) ? account : null,
  };
}

export const looksLikeToken = (token) => TOKEN.test(token);

/** The relay's link with the inviting device's id appended. */
export function withFingerprint(link, deviceId) {
  return `${link}${link.includes("#") ? "&" : "#"}fp=${deviceId}`;
}
