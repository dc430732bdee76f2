"""The readable page of a GDPR access export (Art. 15/20), in plain Dutch (B1), addressing
the person as "je" like the app does, with Dutch words for roles and states.

Every value is escaped: the page is built from data, never from markup a client sent. The
web app makes its own page in the person's language, with the messages their device holds
(clients/web/app/parts/export-page.js); this one is what the relay alone can say.
"""

from __future__ import annotations

import html
from typing import Any

from relay.audit_words import EVENTS_NL, REASONS_NL, ROLES_NL, amsterdam, word

STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:1.125rem;line-height:1.5;max-width:42rem;"
    "margin:2rem auto;padding:0 1rem;color:#1a1a1a}h1,h2{line-height:1.25}"
    "table{border-collapse:collapse}td,th{border:1px solid #767676;padding:.25rem .5rem;"
    "text-align:left}"
)


_ROLES = {"facilitator": "begeleider", "member": "deelnemer"}
_ACCOUNT_ROLES = {
    "caregiver": "mantelzorger",
    "worker": "mantelzorgondersteuner",
    "officer": "privacy-functionaris",
    "admin": "beheerder",
}
_STATES = {"active": "actief", "disabled": "uitgezet", "revoked": "ingetrokken"}


def _word(words: dict[str, str], value: str) -> str:
    """The Dutch word for a role or state; the code itself if there is none yet."""
    return words.get(value, value)


def _when(seconds: int | None) -> str:
    """Amsterdam time with its offset (the UTC times stay in the JSON beside the page)."""
    return "—" if seconds is None else amsterdam(seconds)


def _row(label: str, value: object) -> str:
    return f"<tr><th scope='row'>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"


def _duration(seconds: int) -> str:
    """A lifetime in Dutch words: 7 dagen, 1 dag, 12 uur, 30 minuten."""
    for size, one, many in (
        (86_400, "dag", "dagen"),
        (3_600, "uur", "uur"),
        (60, "minuut", "minuten"),
    ):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {one if count == 1 else many}"
    return f"{seconds} seconden"


def render(export: dict[str, Any], generated_at: int) -> str:
    account = export["account"]
    waiting = html.escape(_duration(export["envelope_lifetime_s"]))  # the policy's, per case
    parts = [
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Wat Steuntje over jou bewaart</title><style>{STYLE}</style></head><body><main>",
        "<h1>Wat Steuntje over jou bewaart</h1>",
        f"<p>Gemaakt op {html.escape(_when(generated_at))}. Dit is alles wat de server van "
        "Steuntje over jou heeft. Je berichten zelf kan de server niet lezen: die zijn "
        "versleuteld en staan alleen op je telefoon of computer.</p>",
        "<h2>Je account</h2><table>",
        _row("Nummer", account["id"]),
        _row("Rol", _word(_ACCOUNT_ROLES, account["role"])),
        _row("Status", _word(_STATES, account["status"])),
        _row("Gemaakt op", _when(account["created_at"])),
        "</table>",
        f"<h2>Je apparaten ({len(export['devices'])})</h2>",
        "<p>Een apparaat is een telefoon, tablet of computer waarmee je Steuntje gebruikt.</p>",
        "<table><tr><th scope='col'>Sleutel</th><th scope='col'>Status</th>"
        "<th scope='col'>Toegevoegd op</th></tr>",
        *(
            f"<tr><td>{html.escape(d['id'][:12])}…</td>"
            f"<td>{html.escape(_word(_STATES, d['status']))}</td>"
            f"<td>{html.escape(_when(d['created_at']))}</td></tr>"
            for d in export["devices"]
        ),
        "</table>",
        "<h2>Berichten die nog op jou wachten</h2>",
        f"<p>{len(export['envelopes_waiting_for_you'])} versleutelde berichten wachten tot je "
        f"apparaat ze ophaalt. Daarna worden ze gewist. Na {waiting} worden ze ook gewist als "
        "niemand ze heeft opgehaald.</p>",
        "<h2>Berichten die je stuurde en die nog wachten</h2>",
        f"<p>{export['envelopes_you_sent_still_waiting']} versleutelde berichten van jou zijn nog "
        "niet opgehaald door de ontvanger.</p>",
        f"<h2>Je dossiers ({len(export['cases'])})</h2>",
        "<p>Een dossier verbindt je met je ondersteuner. Wie er in je dossier staat, zie je in "
        "de app.</p><table><tr><th scope='col'>Dossier</th><th scope='col'>Sinds</th>"
        "<th scope='col'>Mensen</th></tr>",
        *(
            f"<tr><td>{html.escape(c['id'])}</td><td>{html.escape(_when(c['you_joined_at']))}"
            f"</td><td>{c['members']}</td></tr>"
            for c in export["cases"]
        ),
        "</table>",
        f"<h2>Je groepen ({len(export.get('groups', []))})</h2>",
        "<p>In een lotgenotengroep kennen de anderen je alleen onder de naam die je daar koos. "
        "Die naam en de naam van de groep kan de server niet lezen; hij weet alleen dat je "
        "meedoet.</p><table><tr><th scope='col'>Groep</th><th scope='col'>Rol</th>"
        "<th scope='col'>Sinds</th><th scope='col'>Mensen</th></tr>",
        *(
            f"<tr><td>{html.escape(g['id'])}</td><td>{html.escape(_ROLES.get(g['role'], ''))}"
            f"</td><td>{html.escape(_when(g['you_joined_at']))}</td><td>{g['members']}</td></tr>"
            for g in export.get("groups", [])
        ),
        "</table>",
        *_log(export.get("audit", [])),
        "<h2>Wat je kunt doen</h2>",
        "<p>Je mag je account laten wissen. Dan zijn je apparaten, wachtende berichten aan jou, "
        "je dossiers, je plaats in groepen en sleutels weg. Berichten die je al stuurde, "
        f"blijven bij de ontvanger tot die ze ophaalt of tot ze na {waiting} verlopen.</p>",
        "</main></body></html>",
    ]
    return "".join(parts)


def _log(entries: list[dict[str, Any]]) -> list[str]:
    """The log's entries about the person: who did what with their data, when and why."""
    return [
        f"<h2>Wie iets met je gegevens deed ({len(entries)})</h2>",
        "<p>Steuntje schrijft in een logboek wie iets met je gegevens doet. Dit zijn de regels "
        "over jou. Je ziet de rol van wie het deed; wie dat precies was, kan de "
        "privacy-functionaris van je organisatie je vertellen.</p>",
        "<table><tr><th scope='col'>Wanneer</th><th scope='col'>Wat</th>"
        "<th scope='col'>Wie</th><th scope='col'>Waarom</th></tr>",
        *(
            f"<tr><td>{html.escape(_when(e['time']))}</td>"
            f"<td>{html.escape(word(EVENTS_NL, e['event']))}</td>"
            f"<td>{html.escape('jij' if e['by_you'] else word(ROLES_NL, e['by']))}</td>"
            f"<td>{html.escape(word(REASONS_NL, e['reason']) or '—')}</td></tr>"
            for e in entries
        ),
        "</table>",
    ]
