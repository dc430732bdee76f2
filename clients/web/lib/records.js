/**
 * Message records as the store keeps them, and the views the UI gets: pure functions, no
 * I/O. A record is keyed `${author account}|${message id}`; receipts, reactions and check-in
 * answers are records of their own that `views` folds into their targets.
 */

export const HIDDEN_KINDS = new Set(["receipt", "reaction"]); // folded into their targets
const DURATION = /^(\d{1,9})([ywdhms])$/;
const UNIT_SECONDS = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1 };

/** Seconds from a policy's "30d", or null for "off" (or anything not understood). */
export function timerSeconds(value) {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === "string" ? DURATION.exec(value.trim()) : null;
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]] : null;
}

/** The record of a message written on this device (status 'queued' until the relay has it). */
export function outgoingRecord(message, account, device, order) {
  return {
    key: `${account}|${message.id}`,
    id: message.id,
    conversationId: message.conversation,
    order,
    kind: message.kind,
    fields: message.fields,
    sentAt: message.sentAt,
    receivedAt: message.sentAt,
    outgoing: true,
    from: account,
    fromDevice: device,
    status: "queued",
    read: true,
  };
}

/**
 * The record of a received message: from another account (filed under that account) or a
 * copy from one of our own other devices (`own`: filed under the conversation it names).
 */
export function incomingRecord(message, { author, device, own, order, receivedAt }) {
  return {
    key: `${author}|${message.id}`,
    id: message.id,
    conversationId: own ? message.conversation : author,
    order,
    kind: message.kind,
    fields: message.fields,
    sentAt: message.sentAt,
    receivedAt,
    outgoing: own,
    from: author,
    fromDevice: device,
    read: own,
    ...(own ? { status: "sent" } : {}),
  };
}

/** The message ids a record folds into (a reaction's, a receipt's, an answer's targets). */
export function foldTargets(record) {
  if (record.kind === "reaction") return [record.fields.of];
  if (record.kind === "checkin_answer") return [record.fields.checkin];
  if (record.kind === "receipt") return record.fields.of;
  return [];
}

/** Records → what the UI shows: receipts and reactions folded into their targets. Pure. */
export function views(records, ownAccount) {
  const sorted = [...records].sort((a, b) => a.order - b.order);
  const shown = [];
  const byId = new Map();
  for (const record of sorted) {
    if (HIDDEN_KINDS.has(record.kind)) continue;
    const view = { ...record, reactions: {}, answers: {} };
    delete view.key;
    shown.push(view);
    if (!byId.has(record.id)) byId.set(record.id, view);
  }
  for (const record of sorted) {
    if (record.kind === "reaction") {
      const target = byId.get(record.fields.of);
      if (target) target.reactions[record.from] = record.fields.emoji;
    } else if (record.kind === "checkin_answer") {
      const target = byId.get(record.fields.checkin);
      if (target && target.kind === "checkin") target.answers[record.from] = record.fields.answer;
    } else if (record.kind === "receipt" && record.from !== ownAccount) {
      for (const id of record.fields.of) {
        const target = byId.get(id);
        // A read receipt: read implies delivered, whatever the relay said before.
        if (target && target.outgoing && ["sent", "delivered"].includes(target.status)) {
          target.status = "read";
        }
      }
    }
  }
  return shown;
}

