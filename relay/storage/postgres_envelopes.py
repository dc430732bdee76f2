"""The group commit on PostgreSQL, in a constant number of statements per batch.

The shared implementation (sqlite_envelopes.py) runs one statement per envelope: free on
SQLite, which is a function call away, but a network round trip each on PostgreSQL, where
it doubled the relay's CPU per envelope (docs/scaling.md, Figures). This one keeps its
rules and results exactly (the contract tests run both) and sends arrays instead:

1. the recipients' counters, from rows already locked by `begin`;
2. every acknowledgement as one DELETE over `unnest`;
3. which (sender, envelope id) pairs were seen before, in one SELECT; the per-envelope
   decisions (unknown device, mailbox full, duplicate, stored) then happen in Python, in
   batch order, as the shared code makes them;
4. the new dedup rows, the envelopes and the counters, one statement each.

Step 3 reads before step 4 writes, so another node could record the same (sender, id)
in between (a client resending through two nodes at once). Then step 4 inserts fewer
dedup rows than planned; the transaction is rolled back and run again, and the second run
sees that row as a duplicate.

Acknowledgements do not wait for other nodes. A device's row is locked by every node that
numbers envelopes for it, and its acknowledgements usually come in through another node
(the one it is connected to). So an acknowledgement deletes the envelopes (rows no other
node touches) and moves `acked_seq` only if the device's row is free right now (SKIP
LOCKED); otherwise the new `acked_seq` is kept and written with this node's next batch.
`acked_seq` only bounds the mailbox size and seeds a new connection's cursor, so lagging
by one batch changes nothing a device sees.
"""

from __future__ import annotations

from typing import Any

from relay.storage.base import NewEnvelope, StoredEnvelope, StoreOutcome, StoreResult
from relay.storage.epoch_keys import epoch_of, seal
from relay.storage.postgres_base import _SHARED_DEVICES, PostgresBase
from relay.storage.sqlite_envelopes import held_copy, resend_outcome

ATTEMPTS = 3


class _RaceLost(Exception):
    """Another node recorded one of this batch's envelope ids first: run the batch again."""


class EnvelopesPG(PostgresBase):
    async def apply_batch(
        self,
        stores: list[NewEnvelope],
        acks: list[tuple[str, int]],
        now: int,
        mailbox_limit: int,
    ) -> list[StoreResult]:
        """As `Storage.apply_batch`, beside other nodes' batches: the shared write lock,
        then the rows of every device it numbers, locked in id order; sequence numbers come
        from `devices.mailbox_seq`, read and bumped under that lock. Acknowledgements never
        wait for a lock (module docstring)."""
        token = _SHARED_DEVICES.set(tuple(sorted({env.to_device for env in stores})))
        try:
            for attempt in range(ATTEMPTS):
                # Acknowledgements a locked row made wait (module docstring) go along.
                pending = dict(self._deferred_acks)
                for device, upto in acks:
                    pending[device] = max(upto, pending.get(device, 0))
                try:
                    results, deferred = await self._write(
                        self._transaction,
                        lambda con, pending=pending: self._apply(
                            con, stores, list(pending.items()), now, mailbox_limit
                        ),
                    )
                except _RaceLost:
                    if attempt == ATTEMPTS - 1:
                        raise
                    continue
                self._deferred_acks = deferred
                return results
            raise AssertionError("unreachable")
        finally:
            _SHARED_DEVICES.reset(token)

    def _apply(
        self,
        con: Any,
        stores: list[NewEnvelope],
        acks: list[tuple[str, int]],
        now: int,
        mailbox_limit: int,
    ) -> tuple[list[StoreResult], dict[str, int]]:
        """(one result per store, acknowledgements whose `acked_seq` must wait)."""
        recipients = sorted({env.to_device for env in stores})  # rows locked by `begin`
        counters: dict[str, list[int]] = {
            device: [mailbox_seq, acked_seq]
            for device, mailbox_seq, acked_seq in con.execute(
                "SELECT id, mailbox_seq, acked_seq FROM devices"
                " WHERE id = ANY(?::text[]) AND status = 'active'",
                (recipients,),
            )
        }
        deferred: dict[str, int] = {}
        if acks:
            # Only what could have been delivered (see sqlite_envelopes.py).
            con.execute(
                "DELETE FROM envelopes e USING unnest(?::text[], ?::bigint[]) AS a(device, upto)"
                " WHERE e.to_device = a.device AND e.seq <= a.upto AND e.expires_at > ?",
                ([d for d, _ in acks], [upto for _, upto in acks], now),
            )
            others = {}
            for device, upto in acks:
                state = counters.get(device)
                if state is not None:
                    state[1] = max(state[1], upto)
                elif device not in recipients:
                    others[device] = upto
            if others:
                deferred = self._move_acked(con, others)

        seen = self._already_sent(con, stores)
        # (sender, id) -> (recipient, body) stored by this batch (see sqlite_envelopes.py)
        batch_copies: dict[tuple[str, str], tuple[str, bytes]] = {}
        results: list[StoreResult] = []
        rows: list[tuple[Any, ...]] = []
        for env in stores:
            state = counters.get(env.to_device)
            if state is None:
                results.append(StoreResult(StoreOutcome.UNKNOWN_DEVICE))
                continue
            if state[0] - state[1] >= mailbox_limit:
                results.append(StoreResult(StoreOutcome.MAILBOX_FULL))
                continue
            pair = (env.from_device, env.envelope_id)
            if pair in seen:
                first = batch_copies.get(pair) or held_copy(con, self.keyring, env)
                results.append(StoreResult(resend_outcome(first, env)))
                continue
            seen.add(pair)
            batch_copies[pair] = (env.to_device, env.body)
            state[0] += 1
            epoch = epoch_of(env.expires_at)
            key = self.keyring.key(epoch, create=True)
            sealed = seal(key, env.body, env.to_device, env.from_device, env.envelope_id)  # type: ignore[arg-type]
            rows.append((env, state[0], sealed, epoch))
            stored = StoredEnvelope(
                env.to_device, state[0], env.from_device, env.envelope_id, env.body
            )
            results.append(StoreResult(StoreOutcome.STORED, stored))
        if rows:
            self._insert(con, rows, now)
        if counters:
            con.execute(
                "UPDATE devices d SET mailbox_seq = u.mailbox_seq, acked_seq = u.acked_seq"
                " FROM unnest(?::text[], ?::bigint[], ?::bigint[])"
                " AS u(id, mailbox_seq, acked_seq) WHERE d.id = u.id",
                (
                    list(counters),
                    [state[0] for state in counters.values()],
                    [state[1] for state in counters.values()],
                ),
            )
        return results, deferred

    @staticmethod
    def _move_acked(con: Any, acks: dict[str, int]) -> dict[str, int]:
        """Raise `acked_seq` of the devices whose rows are free; return the others."""
        devices = sorted(acks)
        moved = {
            row[0]
            for row in con.execute(
                "UPDATE devices d SET acked_seq = greatest(d.acked_seq, u.upto)"
                " FROM unnest(?::text[], ?::bigint[]) AS u(id, upto)"
                " WHERE d.id = u.id AND d.id IN (SELECT id FROM devices WHERE id = ANY(?::text[])"
                " AND status = 'active' ORDER BY id FOR UPDATE SKIP LOCKED)"
                " RETURNING d.id",
                (devices, [acks[d] for d in devices], devices),
            )
        }
        active = {
            row[0]
            for row in con.execute(
                "SELECT id FROM devices WHERE id = ANY(?::text[]) AND status = 'active'",
                (devices,),
            )
        }
        return {d: upto for d, upto in acks.items() if d not in moved and d in active}

    @staticmethod
    def _already_sent(con: Any, stores: list[NewEnvelope]) -> set[tuple[str, str]]:
        if not stores:
            return set()
        return {
            (sender, envelope_id)
            for sender, envelope_id in con.execute(
                "SELECT s.from_device, s.envelope_id FROM sent_ids s"
                " JOIN unnest(?::text[], ?::text[]) AS n(sender, envelope_id)"
                " ON s.from_device = n.sender AND s.envelope_id = n.envelope_id",
                ([e.from_device for e in stores], [e.envelope_id for e in stores]),
            )
        }

    @staticmethod
    def _insert(con: Any, rows: list[tuple[NewEnvelope, int, bytes, int]], now: int) -> None:
        envelopes = [env for env, _, _, _ in rows]
        recorded = con.execute(
            "INSERT INTO sent_ids (from_device, envelope_id, expires_at)"
            " SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[]) ON CONFLICT DO NOTHING",
            (
                [e.from_device for e in envelopes],
                [e.envelope_id for e in envelopes],
                [e.expires_at for e in envelopes],
            ),
        ).rowcount
        if recorded != len(rows):
            raise _RaceLost
        con.execute(
            "INSERT INTO envelopes (to_device, seq, from_device, envelope_id, body,"
            " created_at, expires_at, case_id, epoch)"
            " SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bytea[],"
            " ?::bigint[], ?::bigint[], ?::text[], ?::bigint[])",
            (
                [e.to_device for e in envelopes],
                [seq for _, seq, _, _ in rows],
                [e.from_device for e in envelopes],
                [e.envelope_id for e in envelopes],
                [sealed for _, _, sealed, _ in rows],
                [now] * len(rows),
                [e.expires_at for e in envelopes],
                [e.case_id for e in envelopes],
                [epoch for _, _, _, epoch in rows],
            ),
        )
