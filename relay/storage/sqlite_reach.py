"""Reach figures' routing data (schema 15): the organisation's wijken and teams, a case's
wijk and a worker's team, the month a caregiver or group took part, what workers' devices
counted, and the frozen signed report per period (docs/accountability.md)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence

from reach import Caregiver, Contribution, Period, Population, month_end
from relay.storage.audit_store import AuditDraft, load_signing_key
from relay.storage.sqlite_base import SQLiteBase
from retention.lifetimes import REACH_ACTIVITY_KEEP_S, REACH_RELEASE_KEEP_S

# (population, key name, signing key, verifier key) -> the signed note
MakeReport = Callable[[Population, str, bytes, str], str]


class ReachSQL(SQLiteBase):
    async def reach_lists(self, org_id: str) -> dict[str, list[str]]:
        """{"areas": [...], "teams": [...]} in the admin's order."""
        return await self._read(lambda: _lists(self._reader_con(), org_id))

    async def set_reach_lists(
        self,
        org_id: str,
        areas: Sequence[str],
        teams: Sequence[str],
        now: int,
        audit: Sequence[AuditDraft] = (),
    ) -> None:
        def store(con: sqlite3.Connection) -> None:
            con.execute("DELETE FROM reach_lists WHERE org_id = ?", (org_id,))
            for kind, names in (("area", areas), ("team", teams)):
                for position, name in enumerate(names):
                    con.execute(
                        "INSERT INTO reach_lists (org_id, kind, name, position)"
                        " VALUES (?, ?, ?, ?)",
                        (org_id, kind, name, position),
                    )
            self._log(con, audit, now)

        await self._write(self._transaction, store)

    async def set_case_area(
        self, org_id: str, case_id: str, area: str | None, now: int, audit: Sequence[AuditDraft]
    ) -> bool:
        """Tag the case with a wijk (None: no wijk). False when the case is not the org's."""

        def store(con: sqlite3.Connection) -> bool:
            found = con.execute(
                "SELECT 1 FROM cases WHERE id = ? AND org_id = ?", (case_id, org_id)
            ).fetchone()
            if found is None:
                return False
            con.execute("DELETE FROM reach_case_areas WHERE case_id = ?", (case_id,))
            if area is not None:
                con.execute(
                    "INSERT INTO reach_case_areas (case_id, area) VALUES (?, ?)", (case_id, area)
                )
            self._log(con, audit, now)
            return True

        return await self._write(self._transaction, store)

    async def set_account_team(
        self, org_id: str, account_id: str, team: str | None, now: int, audit: Sequence[AuditDraft]
    ) -> bool:
        """Give a worker account a team (None: none). False when it is no worker of the org."""

        def store(con: sqlite3.Connection) -> bool:
            found = con.execute(
                "SELECT 1 FROM accounts WHERE id = ? AND org_id = ? AND role = 'worker'",
                (account_id, org_id),
            ).fetchone()
            if found is None:
                return False
            con.execute("DELETE FROM reach_account_teams WHERE account_id = ?", (account_id,))
            if team is not None:
                con.execute(
                    "INSERT INTO reach_account_teams (account_id, team) VALUES (?, ?)",
                    (account_id, team),
                )
            self._log(con, audit, now)
            return True

        return await self._write(self._transaction, store)

    async def account_teams(self, org_id: str) -> dict[str, str]:
        """worker account -> its team, for the admin's screen."""

        def read() -> dict[str, str]:
            rows = self._reader_con().execute(
                "SELECT t.account_id, t.team FROM reach_account_teams t"
                " JOIN accounts a ON a.id = t.account_id WHERE a.org_id = ?",
                (org_id,),
            )
            return dict(rows)

        return await self._read(read)

    async def case_areas(self, org_id: str) -> dict[str, str]:
        """case -> its wijk."""

        def read() -> dict[str, str]:
            rows = self._reader_con().execute(
                "SELECT r.case_id, r.area FROM reach_case_areas r"
                " JOIN cases c ON c.id = r.case_id WHERE c.org_id = ?",
                (org_id,),
            )
            return dict(rows)

        return await self._read(read)

    async def note_reach_activity(
        self, account_id: str, month: str, groups: Sequence[str] = ()
    ) -> None:
        """The account (and the groups it sent in) took part in this month."""

        def store(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT OR IGNORE INTO reach_activity (account_id, month) VALUES (?, ?)",
                (account_id, month),
            )
            for group_id in groups:
                con.execute(
                    "INSERT OR IGNORE INTO reach_group_activity (group_id, month) VALUES (?, ?)",
                    (group_id, month),
                )

        await self._write(self._transaction, store)

    async def reach_contribute(
        self, device_id: str, period: Period, checkins: int, questionnaires: int, now: int
    ) -> None:
        """Store what a worker's device counted for `period`, replacing its earlier count."""

        def store(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT INTO reach_contributions (device_id, period, period_end,"
                " checkins_answered, questionnaires_signed, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, period) DO UPDATE SET"
                " checkins_answered = excluded.checkins_answered,"
                " questionnaires_signed = excluded.questionnaires_signed,"
                " updated_at = excluded.updated_at",
                (device_id, period.key, period.end, checkins, questionnaires, now),
            )

        await self._write(self._transaction, store)

    async def reach_population(self, org_id: str, period: Period) -> Population:
        """The routing data a report for `period` would count (before any protection)."""
        return await self._read(lambda: _population(self._reader_con(), org_id, period))

    async def reach_release(
        self,
        org_id: str,
        period: Period,
        make: MakeReport,
        now: int,
        audit: Sequence[AuditDraft],
    ) -> tuple[str, bool]:
        """The period's signed report: the frozen one if it was released before, else a new
        one made by `make` and frozen, in one transaction with its audit entry. Returns
        (note, made now)."""

        def release(con: sqlite3.Connection) -> tuple[str, bool]:
            self._log(con, audit, now)
            row = con.execute(
                "SELECT note FROM reach_releases WHERE org_id = ? AND period = ?",
                (org_id, period.key),
            ).fetchone()
            if row is not None:
                return row[0], False
            store = self._audit_store(con)
            note = make(
                _population(con, org_id, period),
                store.origin,
                load_signing_key(self.audit_key_path),  # the organisation's key
                store.verifier_key,
            )
            con.execute(
                "INSERT INTO reach_releases (org_id, period, note, created_at) VALUES (?, ?, ?, ?)",
                (org_id, period.key, note, now),
            )
            return note, True

        return await self._write(self._transaction, release)

    async def purge_reach(self, now: int) -> int:
        """Delete activity and contributions 400 days after their period ended, releases
        after 7 years (retention/lifetimes.py). Returns the rows deleted."""

        def purge(con: sqlite3.Connection) -> int:
            removed = 0
            months = [
                row[0]
                for row in con.execute(
                    "SELECT DISTINCT month FROM reach_activity UNION"
                    " SELECT DISTINCT month FROM reach_group_activity"
                )
            ]
            for month in months:
                if month_end(month) + REACH_ACTIVITY_KEEP_S < now:
                    for table in ("reach_activity", "reach_group_activity"):
                        removed += con.execute(
                            f"DELETE FROM {table} WHERE month = ?",  # noqa: S608 (fixed names)
                            (month,),
                        ).rowcount
            removed += con.execute(
                "DELETE FROM reach_contributions WHERE period_end < ?",
                (now - REACH_ACTIVITY_KEEP_S,),
            ).rowcount
            removed += con.execute(
                "DELETE FROM reach_releases WHERE created_at < ?", (now - REACH_RELEASE_KEEP_S,)
            ).rowcount
            return removed

        return await self._write(self._transaction, purge)


def _lists(con: sqlite3.Connection, org_id: str) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {"areas": [], "teams": []}
    for kind, name in con.execute(
        "SELECT kind, name FROM reach_lists WHERE org_id = ? ORDER BY kind, position", (org_id,)
    ):
        lists["areas" if kind == "area" else "teams"].append(name)
    return lists


def _population(con: sqlite3.Connection, org_id: str, period: Period) -> Population:
    # 'YYYY-MM' sorts as time does: the period's months are one range.
    months = (period.months[0], period.months[-1])
    areas: defaultdict[str, set[str]] = defaultdict(set)
    for caregiver, area in con.execute(
        "SELECT c.caregiver_id, r.area FROM cases c JOIN reach_case_areas r ON r.case_id = c.id"
        " WHERE c.org_id = ?",
        (org_id,),
    ):
        areas[caregiver].add(area)
    teams: defaultdict[str, set[str]] = defaultdict(set)
    for caregiver, team in con.execute(
        "SELECT c.caregiver_id, t.team FROM cases c JOIN case_members m ON m.case_id = c.id"
        " JOIN reach_account_teams t ON t.account_id = m.account_id WHERE c.org_id = ?",
        (org_id,),
    ):
        teams[caregiver].add(team)
    caregivers = tuple(
        Caregiver(account, created_at, frozenset(areas[account]), frozenset(teams[account]))
        for account, created_at in con.execute(
            "SELECT id, created_at FROM accounts WHERE org_id = ? AND role = 'caregiver'",
            (org_id,),
        )
    )
    active = frozenset(
        row[0]
        for row in con.execute(
            "SELECT DISTINCT r.account_id FROM reach_activity r"
            " JOIN accounts a ON a.id = r.account_id"
            " WHERE a.org_id = ? AND r.month BETWEEN ? AND ?",
            (org_id, *months),
        )
    )
    group_members = tuple(
        row[0]
        for row in con.execute(
            "SELECT (SELECT count(DISTINCT m.account_id) FROM group_members m"
            "  WHERE m.group_id = g.id) FROM groups g WHERE g.org_id = ? AND g.id IN"
            " (SELECT group_id FROM reach_group_activity WHERE month BETWEEN ? AND ?)",
            (org_id, *months),
        )
    )
    contributions = tuple(
        Contribution(team, checkins, questionnaires)
        for team, checkins, questionnaires in con.execute(
            "SELECT t.team, c.checkins_answered, c.questionnaires_signed"
            " FROM reach_contributions c JOIN devices d ON d.id = c.device_id"
            " JOIN accounts a ON a.id = d.account_id"
            " LEFT JOIN reach_account_teams t ON t.account_id = a.id"
            " WHERE a.org_id = ? AND c.period = ?",
            (org_id, period.key),
        )
    )
    lists = _lists(con, org_id)
    return Population(
        caregivers,
        active,
        group_members,
        contributions,
        tuple(lists["areas"]),
        tuple(lists["teams"]),
    )
