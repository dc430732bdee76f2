/**
 * Attachments in transit (PROTOCOL §4.17, docs/e2e.md §15): a picture, voice note or file
 * is encrypted on this device with a fresh key (crypto/attachment.js), uploaded as an opaque
 * blob with resumable PATCHes, and announced in an ordinary `attachment` message that holds
 * the key. A receiver fetches the blob (resuming with `Range`), checks its size, SHA-256 and
 * key commitment before anything is decrypted, keeps the result in IndexedDB under the PIN
 * seal (messenger.saveMedia; the disappearing timer sweeps it) and says `blob_done`.
 *
 * Loaded with import() only when an attachment is sent or opened: the caregiver's first
 * load carries none of it. No DOM; logs nothing. Errors: AttachmentFailure with a `code`
 * (`too_large`, `damaged` with the crypto `reason`, or a relay code), or ConnectionLost
 * is never thrown: a lost connection waits for the relay and resumes.
 */
import { b64url, concat, unb64url } from "./bytes.js";
import { ConnectionLost, RelayError } from "./errors.js";
import { isGroupId } from "./groups-gate.js";
import { ATTACHMENT_TYPES } from "./messages.js";

export const MAX_PLAIN_BYTES = 25 * 1024 * 1024; // the relay's default limit (PROTOCOL §6)
const PATCH_BYTES = 1024 * 1024; // PROTOCOL §4.17 recommends PATCHes of 1 MiB
const TUS = { "Tus-Resumable": "1.0.0" };
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
const OPTIONAL = ["name", "preview", "width", "height", "duration_ms"];

export class AttachmentFailure extends Error {
  constructor(code, reason = null) {
    super(reason ? `${code}: ${reason}` : code);
    this.name = "AttachmentFailure";
    this.code = code;
    this.reason = reason;
  }
}

const loadCrypto = () => import("../crypto/attachment.js");
const blobUrl = (messenger, id) => new URL(`/blobs/${encodeURIComponent(id)}`, messenger.relayUrl).href;

/** Until the messenger is online again (it reconnects by itself). */
function online(messenger) {
  if (messenger.state === "online") return Promise.resolve();
  return new Promise((resolve) => {
    const off = messenger.on("status", ({ state }) => {
      if (state === "online") {
        off();
        resolve();
      }
    });
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lost network (fetch's TypeError) or a lost socket: worth waiting and resuming. */
const isLost = (error) => error instanceof ConnectionLost || error instanceof TypeError;

async function problemOf(response) {
  try {
    const body = await response.json();
    return { code: String(body.code ?? "internal_error"), offset: body.offset };
  } catch {
    return { code: response.status === 412 ? "malformed" : "internal_error" };
  }
}

/** Retry `step` after lost connections, with backoff, until it returns. */
async function resilient(messenger, step) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await step(attempt);
    } catch (error) {
      if (!isLost(error)) throw error;
      await pause(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
      await online(messenger);
    }
  }
}

// -- sending ---------------------------------------------------------------------------

/**
 * Encrypt `media` ({bytes, type} + optional name, preview, width, height, duration_ms),
 * upload it, keep it on this device, and send the `attachment` message to the conversation
 * (a case conversation, or a group id: then to every member).
 * `onProgress(fraction)` follows the upload. Resolves to messenger.send's view.
 *
 * `to` may also be a list of conversations (a worker's selection of caregivers): the file
 * is encrypted and uploaded once, and each conversation gets its own message naming that
 * one blob (the relay lets every recipient device fetch it, PROTOCOL §4.17). Resolves to
 * the list of views, in the same order.
 */
export async function sendAttachment(messenger, to, media, { onProgress = () => {} } = {}) {
  const conversations = Array.isArray(to) ? to : [to];
  if (conversations.length === 0) throw new AttachmentFailure("no_recipients");
  if (media.bytes.length > MAX_PLAIN_BYTES) throw new AttachmentFailure("too_large");
  // Refused before uploading: the message could not name this type (lib/messages.js).
  if (!ATTACHMENT_TYPES.includes(media.type)) throw new AttachmentFailure("type_not_allowed");
  const { newKey, commitment, Encryptor } = await loadCrypto();
  const key = newKey();
  const encryptor = new Encryptor(key);
  const blob = concat([encryptor.push(media.bytes), encryptor.finish()]);
  onProgress(0);
  const created = await resilient(messenger, () => messenger.request("blob_create", { size: blob.length }));
  await upload(messenger, created.blob, created.upload_token, blob, onProgress);
  // One's own picture shows at once, from this device, without downloading it again (one
  // copy for a selection, kept by the first conversation's timer; the others' messages find
  // it by its blob id, or fetch it again once that copy is swept).
  await messenger.saveMedia({
    key: created.blob,
    conversationId: conversations[0],
    receivedAt: messenger.now(), // the clock the message's record and the sweep use
    type: media.type,
    bytes: media.bytes,
  });
  const fields = {
    blob: created.blob,
    key: b64url(key),
    commit: b64url(commitment(key)),
    sha256: encryptor.sha256,
    size: blob.length,
    plain_size: media.bytes.length,
    type: media.type,
  };
  for (const name of OPTIONAL) if (media[name] !== undefined && media[name] !== null) fields[name] = media[name];
  const views = [];
  for (const conversationId of conversations) {
    // A peer-support group's members get it through the group (docs/groups.md), the same message.
    if (isGroupId(conversationId)) views.push(await messenger.groups.send(conversationId, "attachment", fields));
    else views.push(await messenger.send(conversationId, "attachment", fields));
  }
  return Array.isArray(to) ? views : views[0];
}

/** PATCH `bytes` from wherever the relay is (HEAD after a lost connection). */
async function upload(messenger, id, firstToken, bytes, onProgress) {
  let token = firstToken;
  let offset = 0;
  const renew = async () => {
    const renewed = await messenger.request("blob_create", { blob: id });
    token = renewed.upload_token;
    offset = Number(renewed.offset) || 0;
  };
  await resilient(messenger, async (attempt) => {
    if (attempt > 0) {
      // Resuming: ask how much arrived. An expired token is renewed over the socket.
      const head = await fetch(blobUrl(messenger, id), {
        method: "HEAD",
        headers: { ...TUS, Authorization: `Bearer ${token}` },
        cache: "no-store",
      });
      if (head.status === 401) await renew();
      else if (head.ok) offset = Number(head.headers.get("Upload-Offset")) || 0;
      else throw new AttachmentFailure((await problemOf(head)).code);
    }
    while (offset < bytes.length) {
      const end = Math.min(bytes.length, offset + PATCH_BYTES);
      const response = await fetch(blobUrl(messenger, id), {
        method: "PATCH",
        headers: {
          ...TUS,
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(offset),
        },
        // A Blob, not the typed array itself: in Chromium 20 PATCHes of 1 MiB went up in
        // about half the time this way (1.3-1.9 s against 2.5-3.3 s, test relay, 2 cores).
        body: new Blob([bytes.subarray(offset, end)]),
        cache: "no-store",
      });
      if (response.status === 204) {
        offset = Number(response.headers.get("Upload-Offset")) || end;
        onProgress(offset / bytes.length);
        continue;
      }
      const problem = await problemOf(response);
      if (problem.code === "offset_mismatch" && Number.isInteger(problem.offset)) offset = problem.offset;
      else if (problem.code === "bad_token") await renew();
      else throw new AttachmentFailure(problem.code);
    }
  });
}

// -- receiving -------------------------------------------------------------------------

/** Whether a message's fields name an attachment this app can try to open. */
export function describes(fields) {
  return Boolean(fields && typeof fields.blob === "string" && typeof fields.key === "string");
}

/**
 * The attachment of `message` as {bytes, type}: from this device when it is kept here,
 * else downloaded (`onProgress(fraction)`), checked, decrypted, kept and `blob_done`.
 * AttachmentFailure("damaged", reason) when the blob is not what the message promised:
 * nothing of it is returned or kept.
 */
export async function openAttachment(messenger, message, { onProgress = () => {} } = {}) {
  const fields = message.fields;
  const kept = await messenger.savedMedia(fields.blob);
  if (kept) return { bytes: kept.bytes, type: kept.type };
  const { decryptBytes } = await loadCrypto();
  const blob = await download(messenger, fields, onProgress);
  let bytes;
  try {
    bytes = decryptBytes(unb64url(fields.key), unb64url(fields.commit), blob, {
      sha256: fields.sha256,
      size: fields.size,
    });
  } catch (error) {
    // One opaque outcome for the person; the reason stays in the error for tests.
    throw new AttachmentFailure("damaged", error?.reason ?? "invalid");
  }
  await messenger.saveMedia({
    key: fields.blob,
    conversationId: message.conversationId,
    receivedAt: message.receivedAt ?? messenger.now(),
    type: fields.type,
    bytes,
  });
  // Stored: the relay may forget it for this device. A lost reply is harmless (it expires).
  messenger.request("blob_done", { blob: fields.blob }).catch(() => {});
  return { bytes, type: fields.type };
}

/** A new download token, then GET from `received` on (PROTOCOL §4.17). */
async function getFrom(messenger, fields, received) {
  let ticket;
  try {
    ticket = await messenger.request("blob_fetch", { blob: fields.blob });
  } catch (error) {
    if (error instanceof RelayError) throw new AttachmentFailure(error.code);
    throw error;
  }
  if (Number(ticket.size) !== fields.size) throw new AttachmentFailure("damaged", "size_mismatch");
  const headers = { Authorization: `Bearer ${ticket.download_token}` };
  if (received > 0) headers.Range = `bytes=${received}-`;
  return fetch(blobUrl(messenger, fields.blob), { headers, cache: "no-store" });
}

/** GET the whole blob, resuming with `Range: bytes=n-` after a lost connection. */
async function download(messenger, fields, onProgress) {
  const parts = [];
  let received = 0;
  const total = fields.size;
  await resilient(messenger, async () => {
    let response = await getFrom(messenger, fields, received);
    if (response.status === 401 && (await problemOf(response)).code === "bad_token") {
      // The token's ten minutes ran out before it was used (a phone asleep between the
      // two steps): once more with a new one. A second refusal is not about time (a
      // revoked device), and fails below.
      response = await getFrom(messenger, fields, received);
    }
    if (response.status === 200 && received > 0) {
      parts.length = 0; // the relay ignored the Range: start again
      received = 0;
    } else if (response.status !== 200 && response.status !== 206) {
      throw new AttachmentFailure((await problemOf(response)).code);
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.length > total) throw new AttachmentFailure("damaged", "trailing_data");
      parts.push(value);
      received += value.length;
      onProgress(received / total);
    }
    if (received < total) throw new TypeError("the download ended early"); // resume
  });
  return concat(parts);
}
