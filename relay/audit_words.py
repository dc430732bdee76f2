"""What audit log codes mean in plain Dutch (B1), and times as a Dutch office reads them.

The log itself stores codes only (audit/events.py: closed lists, so no free text can carry
a name into it). Officers, exports and a person's own download show these words beside
the codes; a test keeps every code of audit/events.py covered here. Times are stored in
UTC; people read them in Europe/Amsterdam, with the offset, so that a time on either side
of a daylight-saving change is never ambiguous.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

EVENTS_NL: dict[str, str] = {
    "account.registered": "account gemaakt",
    "account.status_changed": "account uitgezet, weer aangezet of gesloten",
    "device.registered": "apparaat toegevoegd aan een account",
    "device.revoked": "apparaat ingetrokken",
    "account.display_name_set": "naam van een medewerker ingesteld of gewist",
    "device.label_set": "naam van een apparaat ingesteld of gewist",
    "invite.created": "uitnodiging gemaakt",
    "invite.redeemed": "uitnodiging gebruikt",
    "recovery.created": "herstel-uitnodiging gemaakt voor een account",
    "recovery.redeemed": "herstel-uitnodiging gebruikt: nieuw apparaat in plaats van de oude",
    "recovery.approved": "herstel-uitnodiging goedgekeurd door een tweede medewerker",
    "recovery.expired": "herstel-uitnodiging verlopen zonder gebruik",
    "recovery.voided": "herstel-uitnodiging vervallen door een nieuwere",
    "auth.failed_summary": "mislukte pogingen om in te loggen (opgeteld)",
    "case.created": "dossier gemaakt",
    "case.member_added": "iemand toegevoegd aan een dossier",
    "case.handed_over": "dossier overgedragen aan een andere ondersteuner",
    "case.closed": "dossier gesloten",
    "case.reopened": "gesloten dossier weer geopend",
    "account.flagged_inactive": "ongebruikt account gemarkeerd om te verwijderen",
    "audit.queried": "iemand zocht in het logboek",
    "audit.exported": "logboek (of een deel) gedownload",
    "reach.reported": "bereikcijfers over een periode opgevraagd (beschermd)",
    "purge.ran": "verlopen gegevens gewist",
    "export.made": "gegevens over een persoon gedownload (inzage)",
    "erasure.done": "account en alle gegevens erover gewist",
    "legal_hold.placed": "bewaarplicht ingesteld: niets van dit dossier wordt gewist",
    "legal_hold.lifted": "bewaarplicht opgeheven",
    "policy.changed": "bewaar- of toegangsbeleid veranderd",
    "group.created": "lotgenotengroep gestart",
    "group.member_joined": "iemand kwam in een groep",
    "group.device_added": "deelnemer voegde een apparaat toe aan een groep",
    "group.member_left": "iemand ging uit een groep",
    "group.member_removed": "begeleider haalde iemand uit een groep",
    "group.role_changed": "begeleider veranderde iemands rol in een groep",
    "group.member_muted": "begeleider zette iemand even stil in een groep",
    "group.closed": "groep gesloten",
    "group.removed": "gesloten groep verwijderd",
}
ROLES_NL: dict[str, str] = {
    "caregiver": "mantelzorger",
    "worker": "mantelzorgondersteuner",
    "officer": "privacy-functionaris",
    "admin": "beheerder",
    "system": "Steuntje zelf (automatisch)",
}
REASONS_NL: dict[str, str] = {
    "care_handover": "overdracht van zorg",
    "staff_change": "wijziging in personeel",
    "client_request": "verzoek van de cliënt",
    "data_subject_request": "verzoek van de persoon zelf (AVG)",
    "consent_withdrawn": "toestemming ingetrokken",
    "legal_obligation": "wettelijke plicht",
    "court_order": "bevel van de rechter",
    "incident_investigation": "onderzoek naar een incident",
    "security_incident": "beveiligingsincident",
    "suspected_misuse": "vermoeden van misbruik",
    "account_compromised": "account mogelijk in verkeerde handen",
    "left_organisation": "uit dienst of weg bij de organisatie",
    "routine_review": "gewone controle",
    "retention_policy": "bewaarbeleid",
    "policy_update": "beleid aangepast",
    "not_given": "geen reden opgegeven",
}
OUTCOMES_NL: dict[str, str] = {
    "success": "gelukt",
    "denied": "geweigerd",
    "invalid": "ongeldig",
    "not_found": "niet gevonden",
    "conflict": "botsing",
    "rate_limited": "te vaak geprobeerd",
    "expired": "verlopen",
    "error": "fout",
}
OBJECT_TYPES_NL: dict[str, str] = {
    "account": "account",
    "device": "apparaat",
    "invite": "uitnodiging",
    "case": "dossier",
    "team": "team",
    "policy": "beleid",
    "legal_hold": "bewaarplicht",
    "export": "download",
    "group": "groep",
}

# Before/after values (audit/change.py): which setting, in the words of the policy screen.
CHANGE_FIELDS_NL: dict[str, str] = {
    "envelope_lifetime.default": "Bewaartermijn berichten",
    "envelope_lifetime.minimum": "Bewaartermijn berichten, minstens",
    "envelope_lifetime.maximum": "Bewaartermijn berichten, hoogstens",
    "disappearing_timer.default": "Verdwijntijd berichten",
    "disappearing_timer.minimum": "Verdwijntijd berichten, minstens",
    "disappearing_timer.maximum": "Verdwijntijd berichten, hoogstens",
    "disappearing_timer.off_allowed": "Verdwijnen uitzetten mag",
    "metadata_lifetime": "Bewaartermijn gebruiksgegevens",
    "inactive_accounts.flag_after": "Ongebruikt account gemarkeerd na",
    "inactive_accounts.remove_after": "Gemarkeerd account verwijderd na",
    "closed_case_lifetime": "Gesloten dossier bewaard",
    "audit_retention": "Bewaartermijn logboek",
    "invite_grace": "Uitnodiging geldig na verlopen",
    "recovery_issuers": "Wie herstel mag geven",
    "case.envelope_lifetime": "Bewaartermijn berichten (dit dossier)",
    "case.disappearing_timer": "Verdwijntijd berichten (dit dossier)",
    "account.status": "Status account",
}
CHANGE_VALUES_NL: dict[str, str] = {
    "off": "uit",
    "unset": "zoals de organisatie",
    "yes": "ja",
    "no": "nee",
    "case_workers": "ondersteuners van het dossier",
    "case_workers_with_approval": "ondersteuners, met een tweede die goedkeurt",
    "active": "actief",
    "disabled": "uitgezet",
    "revoked": "ingetrokken",
}
_UNITS = ((86_400, "dag", "dagen"), (3_600, "uur", "uur"), (60, "minuut", "minuten"))


def _amount(seconds: int) -> tuple[int, str, str]:
    for size, one, many in _UNITS:
        if seconds and seconds % size == 0:
            return seconds // size, one, many
    return seconds, "seconde", "seconden"


def change_value(value: int | str) -> str:
    """One value in words: "7 dagen", "uit", "actief"."""
    if isinstance(value, str):
        return CHANGE_VALUES_NL.get(value, value)
    number, one, many = _amount(value)
    return f"{number} {one if number == 1 else many}"


def change_text(field: str, before: int | str, after: int | str) -> str:
    """ "Bewaartermijn berichten: 14 → 7 dagen" (one unit written once when both share it)."""
    label = CHANGE_FIELDS_NL.get(field, field)
    if isinstance(before, int) and isinstance(after, int):
        old, new = _amount(before), _amount(after)
        if old[1:] == new[1:] and new[0] != 1:
            return f"{label}: {old[0]} → {new[0]} {new[2]}"
    return f"{label}: {change_value(before)} → {change_value(after)}"


def word(words: dict[str, str], code: str | None) -> str:
    """The Dutch words for a code; the code itself if there are none (never empty)."""
    if code is None:
        return ""
    return words.get(code, code)


def amsterdam(seconds: int) -> str:
    """A stored UTC time as Amsterdam reads it, with the offset: 29-03-2026 03:30 +02:00."""
    moment = datetime.fromtimestamp(seconds, AMSTERDAM)
    offset = moment.strftime("%z")
    return f"{moment:%d-%m-%Y %H:%M} {offset[:3]}:{offset[3:]}"


def amsterdam_iso(seconds: int) -> str:
    """ISO 8601 in Amsterdam time with the offset, for spreadsheets: 2026-03-29T03:30:00+02:00."""
    return datetime.fromtimestamp(seconds, AMSTERDAM).isoformat()


def amsterdam_day(day: date) -> tuple[int, int]:
    """[start, end) of one calendar day in Amsterdam as Unix seconds: 23 or 25 hours long
    on the days the clocks change, which a filter by UTC days would cut wrongly."""
    start = datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=AMSTERDAM)
    return int(start.timestamp()), int(end.timestamp())
