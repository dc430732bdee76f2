"""The Art. 30 table in Dutch, for the officer's and admin's screens and the page for the
register (issue 19 item 6). The English table (retention/report.py) stays the one source of
the figures: this module words the same rows again, row by row, with the same policy numbers.
A test checks that every English row has its Dutch row, so a new table cannot be left out.

Table and column names stay as they are (they name what is in the database); the rest is
plain Dutch. The legal basis is, as in English, a suggestion the controller confirms.
"""

from __future__ import annotations

from retention.delays import PurgeSchedule, crypto_shred_delay, worst_case_delay
from retention.durations import describe_at_most
from retention.lifetimes import LIFETIMES, Lifetime
from retention.policy import OFF, OrganisationPolicy
from retention.report_nl_core import CORE_TABLES
from retention.report_nl_features import FEATURE_TABLES
from retention.report_nl_words import SECURITY, dutch, said

TABLES = {**CORE_TABLES, **FEATURE_TABLES}


def _table_row(entry: Lifetime, org: OrganisationPolicy, purge: str, shred: str) -> dict[str, str]:
    why, kept_for, deleted_by, basis, status = TABLES[entry.table]
    delay = "-"
    envelope = org.envelope_lifetime
    closed = said(org.closed_case_lifetime)
    if entry.table == "envelopes":
        kept_for = (
            "tot het ontvangende apparaat het bevestigt; niet afgeleverd hoogstens de"
            f" bewaartermijn van het dossier: {said(envelope.default)}, tenzij het dossier een"
            f" andere kiest, altijd tussen {said(envelope.minimum)} en {said(envelope.maximum)}"
        )
        deleted_by = "bevestiging (meteen); de opruimtaak (verborgen zodra het verloopt)"
        delay = f"{purge} na verlopen; in back-ups {shred} (sleutel van die dag vernietigd)"
    elif entry.table == "sent_ids":
        kept_for = "zolang het bericht erbij had kunnen wachten (dezelfde termijn)"
        deleted_by, delay = "de opruimtaak", f"{purge} na verlopen"
    elif entry.table == "invites":
        kept_for = f"tot {said(org.invite_grace)} na het verlopen, gebruikt of niet"
        deleted_by, delay = "de opruimtaak", f"{purge} daarna"
    elif entry.table == "cases":
        kept_for = (
            f"zolang het dossier open is; verwijderd {closed} na het sluiten, tenzij er een"
            " bewaarplicht voor geldt"
        )
        deleted_by, delay = "de opruimtaak", f"{purge} daarna"
    elif entry.table in ("groups", "group_log"):
        kept_for = (
            f"zolang de groep open is; verwijderd {closed} na het sluiten, tenzij een"
            " bewaarplicht haar noemt"
        )
        deleted_by, delay = "de opruimtaak", f"{purge} daarna"
    elif entry.table == "case_members":
        kept_for = (
            f"zolang het account in het dossier zit; verwijderd met een gesloten dossier"
            f" ({closed} na het sluiten)"
        )
        deleted_by, delay = f"{deleted_by}; de opruimtaak", f"{purge} daarna"
    elif entry.table == "audit_entries":
        kept_for = (
            f"de inhoud {said(org.audit_retention)}, daarna alleen de hash, zodat het logboek"
            " te controleren blijft"
        )
    return {
        "data": f"{entry.table}: {', '.join(entry.columns)}",
        "kept_for": kept_for,
        "why": why,
        "legal_basis": basis,
        "deleted_by": deleted_by,
        "worst_case_delay": delay,
        "status": status,
    }


def _row(*cells: str) -> dict[str, str]:
    keys = ("data", "kept_for", "why", "legal_basis", "deleted_by", "worst_case_delay", "status")
    return dict(zip(keys, cells, strict=True))


def _timer_text(org: OrganisationPolicy) -> str:
    timer = org.disappearing_timer
    default = "uit" if timer.default == OFF else said(timer.default)
    off = ', of "uit"' if timer.off_allowed else ""
    return (
        f"de verdwijntijd van het dossier: {default}, tenzij het dossier een andere kiest,"
        f" altijd tussen {said(timer.minimum)} en {said(timer.maximum)}{off}"
    )


def _other_rows(org: OrganisationPolicy, purge: str, shred: str, backend: str) -> list[dict]:
    inactive = org.inactive_accounts
    return [
        _row(
            "berichten op de apparaten van mensen (leesbaar, in de app)",
            _timer_text(org),
            "niet langer bewaren dan nodig, op telefoons en laptops, per dossier",
            "als de berichten; de verdwijntijd voert Art. 5 lid 1 sub e AVG uit (opslagbeperking)",
            "elk apparaat, met de verdwijntijd (de relay kan dat niet: hij ziet nooit inhoud)",
            "als de app weer draait nadat de tijd om is",
            "uitgevoerd in de Python-client en de web-app (terwijl ze draaien en bij de"
            " volgende start)",
        ),
        _row(
            "gegevens van de server: laatst gezien, tellers",
            f"{said(org.metadata_lifetime)} na het schrijven",
            "misbruik voorkomen en de dienst laten werken",
            f"{SECURITY}; Art. 6 lid 1 sub f AVG",
            "de opruimtaak",
            f"{purge} daarna",
            "alleen de dag van de laatste keer inloggen wordt bewaard (accounts.active_day),"
            " zolang het account bestaat: zo worden ongebruikte accounts gevonden",
        ),
        _row(
            "ongebruikte accounts van mantelzorgers",
            f"gemarkeerd na {said(inactive.flag_after)} zonder verbinding, en gemeld;"
            f" verwijderd {said(inactive.remove_after)} na de markering, tenzij ze verbinden"
            " of er een bewaarplicht geldt voor een van hun dossiers",
            "een account dat niemand gebruikt, hoort niet te blijven bestaan",
            "als de accounts; verwijderen voert Art. 5 lid 1 sub e AVG uit (opslagbeperking)",
            "de opruimtaak (wissen, zoals op verzoek)",
            f"{purge} na de meldtermijn",
            "uitgevoerd: gemarkeerd (hun ondersteuners zien het), verwijderd na de meldtermijn",
        ),
        _row(
            "regels in het logboek (wie deed wat, met schuilnamen; nooit inhoud)",
            f"de regel {said(org.audit_retention)}, daarna alleen de hash, zodat het logboek"
            " te controleren blijft; langer zolang een bewaarplicht voor het dossier geldt",
            "verantwoording: elke toegang tot persoonsgegevens is achteraf na te gaan",
            f"Art. 5 lid 2 AVG (verantwoording); {SECURITY}; NEN 7513 (logging van toegang)",
            "de opruimtaak (verwijdert de inhoud van de regel, houdt de hash in de Merkle-boom)",
            f"{purge} daarna",
            "uitgevoerd (inhoud verwijderd na de bewaartermijn, hashes bewaard)",
        ),
        _row(
            "dagsleutels (één per dag; ze versleutelen opgeslagen berichten)",
            "tot het laatste bericht dat ermee te ontsleutelen is verlopen is, en geen"
            " bewaarplicht ervoor geldt",
            "crypto-shredding: door een sleutel te vernietigen wordt elke kopie van die dag,"
            " ook in back-ups, onleesbaar",
            f"{SECURITY}; Art. 17 AVG (wissen reikt tot in back-ups)",
            "de opruimtaak",
            f"{purge} nadat het laatste bericht van die dag verliep",
            "uitgevoerd: één sleutel per verloopdag, in bestanden apart van de database",
        ),
        _leftovers_row(backend, purge, shred),
        _row(
            "back-ups van de database",
            "zolang de beheerder ze bewaart; docs/deploy.md raadt niet langer dan de"
            " bewaartermijn van berichten aan",
            "herstel na een defecte schijf of machine",
            "Art. 32 lid 1 sub c AVG (beschikbaarheid herstellen na een incident)",
            "het wisselschema van de back-ups; vernietigde dagsleutels maken verlopen"
            " berichten in back-ups onleesbaar",
            f"{shred} na verlopen (de dagsleutel wordt vernietigd)",
            "uitgevoerd via de dagsleutels, als sleutelbestanden niet samen met de database"
            " in de back-up gaan",
        ),
    ]


def _leftovers_row(backend: str, purge: str, shred: str) -> dict[str, str]:
    if backend == "sqlite":
        return _row(
            "kopieën van verwijderde rijen in het databasebestand en het write-ahead log",
            "geen: verwijderde rijen worden met nullen overschreven (SQLite secure_delete)"
            " en het write-ahead log wordt na elke opruimronde ingevoegd en ingekort",
            "een verwijderde rij mag niet terug te halen zijn van de schijf",
            f"{SECURITY}; Art. 17 AVG",
            "de database zelf; de opruimtaak kort het write-ahead log in",
            f"{purge} na verwijderen",
            "uitgevoerd (getest door de ruwe bestanden te doorzoeken)",
        )
    return _row(
        "kopieën van verwijderde rijen in PostgreSQL: tabelpagina's, write-ahead log (WAL),"
        " WAL-archieven, replica's",
        "niet begrensd door de relay: een verwijderde rij blijft in de tabelpagina's tot"
        " (auto)vacuum de ruimte vrijgeeft en die opnieuw gebruikt wordt; WAL blijft tot een"
        " checkpoint het segment hergebruikt, en zolang een archief, back-up of replica het"
        " bewaart",
        "een verwijderde rij hoort niet terug te halen te zijn van de schijf",
        f"{SECURITY}; Art. 17 AVG",
        "PostgreSQL (autovacuum, checkpoints; de relay draait geen VACUUM en kan het WAL niet"
        " inkorten); berichten zijn versleuteld met de sleutel van hun verloopdag, die de"
        " opruimtaak vernietigt",
        f"berichten: onleesbaar {shred} na verlopen (de dagsleutel wordt vernietigd);"
        " andere rijen: geen grens die de relay kan beloven",
        "deels uitgevoerd: crypto-shredding dekt alleen berichten; PostgreSQL kan niet veilig"
        " verwijderen, dus bewaar WAL-archieven en back-ups niet langer dan de bewaartermijn"
        " van berichten (docs/scaling.md)",
    )


def report_nl(
    org: OrganisationPolicy, schedule: PurgeSchedule, backend: str
) -> list[dict[str, str]]:
    """The rows of retention/report.py's `report`, in the same order, in Dutch."""
    purge = f"hoogstens {dutch(describe_at_most(worst_case_delay(schedule)))}"
    shred = f"hoogstens {dutch(describe_at_most(crypto_shred_delay(org, schedule)))}"
    rows = [_table_row(entry, org, purge, shred) for entry in LIFETIMES]
    return rows + _other_rows(org, purge, shred, backend)
