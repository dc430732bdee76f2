// What a worker wants to see at a glance, worked out from one conversation's messages on
// this device (the relay knows none of it): last contact, an unanswered check-in, the
// mood answers over time and whether they went down, an open call-me request.
//
// A "Bel me" stays open until the worker answers it with a `callback` (docs/messages.md):
// "done" after the call, "retry" when they could not reach the caregiver (then it shows as
// "try again later" until a "done"). Opening the chat or writing something does not close it.

const CONTACT_KINDS = new Set(["text", "nudge", "checkin", "checkin_answer", "call_me", "callback"]);

export function insights(messages, myAccount) {
  let lastContact = 0;
  // Positions in the conversation (oldest first), not clock times: two messages in the
  // same second must still count in the order they were written.
  let lastOutgoing = -1;
  let lastCallMe = -1;
  let lastCallback = null; // {position, status} of the worker's latest answer to a call-me
  let lastHardDay = -1;
  let lastCheckin = null;
  const moods = new Map(); // check-in id → {at, value}
  messages.forEach((message, position) => {
    if (!CONTACT_KINDS.has(message.kind)) return;
    lastContact = Math.max(lastContact, message.sentAt || 0);
    if (message.outgoing) lastOutgoing = position;
    if (message.kind === "call_me" && !message.outgoing) lastCallMe = position;
    if (message.kind === "callback" && message.outgoing) lastCallback = { position, status: message.fields.status };
    if (message.kind === "nudge" && !message.outgoing && message.fields.template === "hard_day") {
      lastHardDay = position;
    }
    if (message.kind === "checkin" && message.outgoing) {
      if (!lastCheckin || message.sentAt >= lastCheckin.sentAt) lastCheckin = message;
      for (const [account, value] of Object.entries(message.answers || {})) {
        if (account !== myAccount && !moods.has(message.id)) {
          moods.set(message.id, { at: message.sentAt, value: Number(value) });
        }
      }
    }
    if (message.kind === "checkin_answer" && !message.outgoing) {
      moods.set(message.fields.checkin, { at: message.sentAt, value: Number(message.fields.answer) });
    }
  });
  const series = [...moods.values()].filter((point) => point.value >= 1).sort((a, b) => a.at - b.at);
  const answered = lastCheckin && (moods.has(lastCheckin.id) ||
    Object.keys(lastCheckin.answers || {}).some((account) => account !== myAccount));
  const last = series.at(-1);
  const before = series.at(-2);
  return {
    lastContact,
    waitingForAnswer: Boolean(lastCheckin && !answered),
    series,
    moodDown: Boolean(last && ((before && last.value < before.value) || last.value <= 2)),
    // Asked for a call, and the worker has not answered that request yet.
    wantsCall: lastCallMe >= 0 && lastCallMe > (lastCallback?.position ?? -1),
    // Answered "could not reach you, will try later", and not called since.
    callRetry: lastCallMe >= 0 && lastCallback?.position > lastCallMe && lastCallback.status === "retry",
    hardDay: lastHardDay > lastOutgoing,
  };
}
