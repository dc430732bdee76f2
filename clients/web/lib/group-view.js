/**
 * What the UI sees of a group: pure functions over what groups.js stores (no I/O).
 *
 * System lines ("Anna doet mee") are message records of kind `system`, written when this
 * device applies a log record (the log has no times: `at` is when this device saw it).
 * They hold the member id only; the display name is looked up when the line is shown, so
 * a name that arrives after the join still names the line.
 */
import { recordFields } from "../crypto/group-log.js";

export const isGroupId = (id) => typeof id === "string" && /^grp_[A-Za-z0-9_-]{22}$/.test(id);

/** The system line a log record makes, or null (a device added makes none). */
export function systemEvent(record) {
  const fields = recordFields(record);
  switch (fields.op) {
    case "create":
      return { event: "created", member: fields.by, by: fields.by };
    case "join":
      return { event: "joined", member: fields.by, by: fields.by };
    case "leave":
      return { event: "left", member: fields.member, by: fields.by };
    case "remove":
      return { event: "removed", member: fields.member, by: fields.by };
    case "role":
      return { event: "role", member: fields.member, by: fields.by, role: fields.role };
    case "mute":
      return { event: fields.until ? "muted" : "unmuted", member: fields.member, by: fields.by, until: fields.until };
    default:
      return null;
  }
}

/** A stored system record for log record `seq` of `groupId`. */
export function systemRecord(groupId, seq, line, order, now) {
  return {
    key: `system|${groupId}|${seq}`,
    id: `system-${seq}`,
    conversationId: groupId,
    order,
    kind: "system",
    fields: line,
    sentAt: now,
    receivedAt: now,
    outgoing: false,
    from: "system",
    read: true,
  };
}

/** A view of a system record as the UI gets it, named with the names this device holds. */
export function systemView(view, profiles) {
  const { event, member, by, role, until } = view.fields;
  return {
    kind: "system",
    id: view.id,
    conversationId: view.conversationId,
    order: view.order,
    event,
    member,
    name: profiles[member] ?? null,
    by: by ?? null,
    byName: by ? (profiles[by] ?? null) : null,
    ...(role ? { role } : {}),
    ...(until !== undefined ? { until } : {}),
    at: view.receivedAt,
  };
}

/** The policy as info() shows it. */
export function policyView(policy) {
  if (!policy) return null;
  return {
    envelope_lifetime: policy.envelope_lifetime ?? null,
    disappearing_timer: policy.disappearing_timer ?? null,
    disappearing_timer_s: policy.disappearing_timer_s ?? null,
  };
}

/**
 * The member ids the log admits but the relay no longer routes to: none of their handles is
 * in `active` (their account was erased or disabled, or their devices revoked). The log
 * cannot say so (nobody signed a leave), so this comes from the relay's `active` list; with
 * no list yet, nobody counts as gone.
 */
export function goneMembers(state, active) {
  if (!state || !Array.isArray(active)) return new Set();
  const routable = new Set(active);
  const gone = [...state.members.values()].filter((member) => !member.handles.some((handle) => routable.has(handle)));
  return new Set(gone.map((member) => member.id));
}

/** Members as info() shows them: facilitators first, then by name; who is gone last. */
export function memberViews(state, doc) {
  if (!state) return [];
  const gone = goneMembers(state, doc.active);
  const members = [...state.members.values()].map((member) => ({
    member: member.id,
    name: doc.profiles[member.id] ?? null,
    role: member.role,
    mutedUntil: member.mutedUntil,
    me: member.id === doc.member,
    gone: gone.has(member.id) && member.id !== doc.member,
  }));
  const rank = (m) => (m.gone ? 2 : m.role === "facilitator" ? 0 : 1);
  return members.sort((a, b) => rank(a) - rank(b) || String(a.name ?? "~").localeCompare(String(b.name ?? "~")));
}

/** How many take part: members the relay still routes to. */
export function memberCount(state, doc) {
  if (!state) return 0;
  const gone = goneMembers(state, doc.active);
  gone.delete(doc.member);
  return state.members.size - gone.size;
}
