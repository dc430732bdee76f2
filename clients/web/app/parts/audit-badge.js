// The officer's proof badge (issue 19 item 3): checks what a log screen shows against the
// organisation's log key this device pinned when the officer joined, and against the last
// checkpoint this device verified, then says "Gecontroleerd ✓" or, in red, what failed.
// The relay supplies only hashes and a signed note (audit_proof); each entry's leaf hash is
// computed here from the entry as shown (crypto/audit-proof.js). What it does and does not
// prove: SECURITY.md, "The officer's proof badge".

import { h } from "../dom.js";
import { loadPart, t } from "../i18n.js";

const BATCH = 500; // audit_proof's most indexes per request (PROTOCOL.md §4.13)

/** The words for a failed check, from AuditProofError's kind (shared with the verify page). */
export function failureWords(error) {
  const index = Number.isInteger(error?.index) ? error.index : null;
  switch (error?.kind) {
    case "changed":
      return index === null ? t("proof_changed_some") : t("proof_changed", { index });
    case "missing":
      return index === null ? t("proof_missing_some") : t("proof_missing", { index });
    case "other_key":
      return t("proof_other_key");
    case "bad_signature":
      return t("proof_bad_signature");
    case "rollback":
      return t("proof_rollback");
    case "unsigned":
      return t("proof_unsigned");
    default:
      return t("proof_malformed");
  }
}

/** A red badge: role=alert, the failure in plain words, then what to do. */
export function failedBadge(error) {
  return h(
    "div",
    {
      class: "error audit-badge",
      role: "alert",
      "data-proof": error?.kind || "malformed",
      // The technical reason, for whoever investigates (no personal data: codes and indexes).
      "data-detail": String(error?.message ?? error),
    },
    h("p", {}, h("strong", {}, t("proof_failed_title")), " ", failureWords(error)),
    h("p", {}, t("proof_failed_advice")),
  );
}

/** A green badge: the last item the signed log covers and the key's short form. */
export function okBadge(last, fingerprint, detail = t("proof_ok_detail")) {
  const words =
    last < 0 ? t("proof_ok_empty", { key: fingerprint }) : t("proof_ok", { last, key: fingerprint });
  return h(
    "div",
    { class: "notice audit-badge", role: "status", "data-proof": "ok" },
    h("p", {}, h("strong", {}, words)),
    detail ? h("p", {}, detail) : null,
  );
}

/**
 * Check `entries` (as audit_query returned them) and fill `slot` with the badge.
 * `contiguous`: an unfiltered page after index `after`, where a gap is a missing entry.
 */
export async function checkShown(slot, app, { entries, contiguous = false, after = -1 }) {
  await loadPart("audit-proof");
  slot.replaceChildren(h("p", { class: "hint" }, t("proof_checking")));
  const proof = await import("../../crypto/audit-proof.js");
  const m = app.messenger;
  const trust = await m.auditTrust();
  if (!trust?.key) {
    slot.replaceChildren(h("p", { class: "notice audit-badge", role: "status" }, t("proof_no_key")));
    return;
  }
  try {
    const key = proof.parseVerifierKey(trust.key);
    let kept = trust.kept ? { size: trust.kept.size, root: proof.fromBase64(trust.kept.root) } : null;
    let checkpoint = null;
    // At most 500 indexes per request (a timeline may hold more): each batch is checked on
    // its own and extends the checkpoint the batch before it was checked against.
    for (let start = 0, from = after; start < entries.length || checkpoint === null; ) {
      const batch = entries.slice(start, start + BATCH);
      const request = { indices: batch.filter((e) => !e.removed).map((e) => e.index) };
      if (kept) request.from_size = kept.size;
      let reply;
      try {
        reply = await m.request("audit_proof", request);
      } catch {
        slot.replaceChildren(h("p", { class: "notice audit-badge", role: "status" }, t("proof_unreachable")));
        return;
      }
      checkpoint = proof.verifyShown({ entries: batch, reply, key, kept, contiguous, after: from });
      kept = { size: checkpoint.size, root: checkpoint.root };
      start += BATCH;
      from = batch.length ? batch[batch.length - 1].index : from;
    }
    // Keep the newest checkpoint verified here: the next check must extend it.
    if (!trust.kept || checkpoint.size > trust.kept.size) {
      const root = proof.toBase64(checkpoint.root);
      await m.setAuditTrust({ key: trust.key, kept: { size: checkpoint.size, root, note: checkpoint.note } });
    }
    slot.replaceChildren(okBadge(checkpoint.size - 1, proof.keyFingerprint(key)));
  } catch (error) {
    if (error?.name !== "AuditProofError") console.error("audit check", error?.name);
    slot.replaceChildren(failedBadge(error));
  }
}
