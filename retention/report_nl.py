"""The Art. 30 table in Dutch, for the officer's and admin's screens and the page for the
register (issue 19 item 6). The English table (retention/report.py) stays the one source of
the figures: this module words the same rows again, row by row, with the same policy numbers.
A test checks that every English row has its Dutch row, so a new table cannot be left out.

Table and column names stay as they are (they name what is in the database); the rest is
plain Dutch. The legal basis is, as in English, a suggestion the controller confirms.
"""

from __future__ import annotations

import re

from retention.delays import PurgeSchedule, crypto_shred_delay, worst_case_delay
from retention.durations import describe, describe_at_most
from retention.lifetimes import LIFETIMES, Lifetime
from retention.policy import OFF, OrganisationPolicy

_UNITS = {
    "year": ("jaar", "jaar"),
    "week": ("week", "weken"),
    "day": ("dag", "dagen"),
    "hour": ("uur", "uur"),
    "minute": ("minuut", "minuten"),
    "second": ("seconde", "seconden"),
}
_AMOUNT = re.compile(r"(\d+) (year|week|day|hour|minute|second)s?")


def dutch(text: str) -> str:
    """durations.describe's words in Dutch: "7 days" → "7 dagen", "1 hour" → "1 uur"."""

    def word(match: re.Match[str]) -> str:
        count = int(match.group(1))
        one, many = _UNITS[match.group(2)]
        return f"{count} {one if count == 1 else many}"

    return _AMOUNT.sub(word, text)


def said(seconds: int) -> str:
    return dutch(describe(seconds))


_SERVICE = (
    "Art. 6 lid 1 sub b of e AVG: de ondersteuning leveren"
    " (de verwerkingsverantwoordelijke bevestigt)"
)
_SECURITY = "Art. 32 AVG (beveiliging)"
_NONE = "geen persoonsgegevens"
_HOURLY = "de taak die elk uur opruimt"

# table → (waarom, hoe lang, wat verwijdert het, grondslag, stand van zaken)
TABLES: dict[str, tuple[str, str, str, str, str]] = {
    "installation": (
        "apparaten ondertekenen elke aanmelding met het relay-nummer, zodat een handtekening"
        " nergens anders werkt",
        "zolang de installatie bestaat",
        "nooit (geen persoonsgegevens)",
        _NONE,
        "uitgevoerd",
    ),
    "organisations": (
        "elk account, dossier en elke uitnodiging hoort bij één organisatie",
        "zolang de organisatie Steuntje gebruikt",
        "een beheerder van de server",
        f"{_NONE} (noemt de organisatie)",
        "uitgevoerd (een beheerder van de server verwijdert een organisatie)",
    ),
    "accounts": (
        "wie mag inloggen en met welke rol; geen e-mail of telefoonnummer; de dag van de"
        " laatste keer inloggen en een vlag bij niet-gebruik, zodat ongebruikte accounts weg"
        " kunnen; de naam die de beheerder een medewerker gaf (nooit een mantelzorger:"
        " mantelzorgers blijven naamloos)",
        "tot het account gewist wordt; ingetrokken accounts blijven als lege plek bestaan",
        f"wissen; {_HOURLY} (een gesloten dossier na de termijn, een ongebruikt account)",
        f"{_SERVICE}; {_SECURITY}: toegang regelen",
        "uitgevoerd: wissen door de mantelzorger of op verzoek van een functionaris;"
        " verwijderen met een gesloten dossier en na niet-gebruik",
    ),
    "devices": (
        "de publieke sleutel van een apparaat bewijst wie het is en wijst de brievenbus aan;"
        " wanneer, door wie en waarom het is ingetrokken; de naam die het apparaat zichzelf"
        " gaf; de dag dat het laatst gezien is (gewist na de bewaartermijn van gebruiksgegevens"
        " en bij intrekken)",
        "tot het account gewist wordt; ingetrokken sleutels blijven, zodat ze nooit meer"
        " kunnen inloggen",
        "wissen van het account (op verzoek, met een gesloten dossier, na niet-gebruik)",
        f"{_SERVICE}; {_SECURITY}: inloggen",
        "wissen door de mantelzorger of op verzoek van een functionaris: uitgevoerd",
    ),
    "invites": (
        "een uitnodiging werkt één keer en een tweede gebruik wordt herkend; wie haar maakte,"
        " zodat ze met dat apparaat of account vervalt; een herstel-uitnodiging wordt"
        " gecontroleerd tegen het dossier van de ondersteuner",
        "tot 7 dagen na het verlopen (gebruikt of niet)",
        _HOURLY,
        f"{_SECURITY}: een uitnodiging werkt één keer; {_SERVICE}",
        "uitgevoerd met de standaard van 7 dagen; een andere termijn: gepland",
    ),
    "cases": (
        "wie aan wie mag sturen: een mantelzorger en de ondersteuners in het dossier; wie het"
        " sloot, zodat een bericht aan een gesloten dossier zegt wanneer en door wie",
        "tot het dossier gesloten is en de bewaartermijn voorbij is",
        f"{_HOURLY} verwijdert een gesloten dossier en het account van de mantelzorger",
        f"{_SERVICE}; Art. 9 lid 2 sub h AVG als een dossier iets over zorg laat zien",
        f"uitgevoerd: sluiten (case_close), en verwijderen van gesloten dossiers door {_HOURLY}",
    ),
    "case_members": (
        "het team van het dossier: alleen wie mag sturen",
        "zolang het account in het dossier zit",
        "overdracht, wissen",
        f"{_SERVICE}; Art. 9 lid 2 sub h AVG als een dossier iets over zorg laat zien",
        "uitgevoerd: overdracht, wissen, verwijderen met een gesloten dossier",
    ),
    "envelopes": (
        "bewaren en doorsturen: versleutelde berichten die wachten op een apparaat dat offline"
        " is (opgeslagen onder de sleutel van die dag); het dossier, zodat een bewaarplicht"
        " het kan vasthouden",
        "",
        "",
        f"{_SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd, per dossier binnen de grenzen van de organisatie",
    ),
    "sent_ids": (
        "een bericht dat opnieuw gestuurd wordt na een verloren bevestiging, komt niet twee"
        " keer aan",
        "",
        "",
        f"{_SERVICE}; Art. 5 lid 1 sub d AVG: elk bericht komt één keer aan",
        "uitgevoerd, per dossier binnen de grenzen van de organisatie",
    ),
    "signed_prekeys": (
        "anderen beginnen een versleuteld gesprek met een apparaat dat offline is (X3DH)",
        "zolang het apparaat actief is; vervangen bij vernieuwen, gewist bij intrekken",
        "vernieuwen, intrekken",
        f"{_SECURITY}: end-to-end versleuteling",
        "uitgevoerd",
    ),
    "one_time_prekeys": (
        "voorwaartse geheimhouding voor het eerste bericht van een gesprek (X3DH)",
        "tot één ophaler hem kreeg (dan meteen gewist), of het apparaat ingetrokken is",
        "ophalen, intrekken",
        f"{_SECURITY}: voorwaartse geheimhouding",
        "uitgevoerd",
    ),
    "legal_holds": (
        "een functionaris zet het opruimen van een dossier stil vanwege een wettelijke plicht"
        " (Art. 17 lid 3 sub b, e)",
        "zolang de bewaarplicht geldt, daarna nog een jaar",
        _HOURLY,
        "Art. 17 lid 3 sub e AVG (rechtsvorderingen); Art. 6 lid 1 sub c of f AVG",
        "uitgevoerd voor elk bereik (berichten, dossier, accounts, logboek); wissen wacht;"
        " het record gaat een jaar na het einde weg",
    ),
    "pending_erasures": (
        "een verzoek om te wissen tijdens een bewaarplicht wordt uitgevoerd als die afloopt",
        "tot het wissen is uitgevoerd",
        "de taak die elk uur loopt, zodra geen bewaarplicht meer geldt voor het account",
        "Art. 17 AVG, zoals beperkt door Art. 17 lid 3 tijdens een bewaarplicht",
        "uitgevoerd",
    ),
    "audit_entries": (
        "verantwoording: wie deed wat met wiens gegevens, wanneer en met welke uitkomst;"
        " alleen schuilnamen, nooit inhoud",
        "",
        "de taak die elk uur opruimt (verwijdert de inhoud van de regel, houdt de hash)",
        f"Art. 5 lid 2 AVG (verantwoording); {_SECURITY}; NEN 7513",
        "uitgevoerd: geschreven bij elke vastgelegde handeling, inhoud verwijderd na de"
        " bewaartermijn van het logboek",
    ),
    "audit_nodes": (
        "hashes van de Merkle-boom, zodat bewijzen en controlepunten snel zijn",
        "zolang het logboek bestaat",
        "nooit (hashes van hashes, geen persoonsgegevens)",
        f"{_NONE} (hashes)",
        "uitgevoerd",
    ),
    "audit_checkpoints": (
        "ondertekende controlepunten waarmee een functionaris een export controleert",
        "zolang het logboek bestaat",
        "nooit (een aantal, een hash en een handtekening)",
        f"{_NONE} (hashes en een handtekening)",
        "uitgevoerd (elke minuut ondertekend, en na handelingen van een functionaris of"
        " beheerder, opruimen, wissen en bewaarplichten)",
    ),
    "audit_subject_keys": (
        "de sleutel achter de schuilnaam van een persoon in het logboek",
        "tot de persoon gewist wordt: dan verwijderd, zodat de regels niet meer aan die"
        " persoon te koppelen zijn",
        "wissen",
        f"Art. 5 lid 2 AVG (verantwoording); {_SECURITY}",
        "uitgevoerd: wissen verwijdert ze",
    ),
    "policies": (
        "de bewaarinstellingen van de organisatie en van dossiers (geen persoonsgegevens)",
        "zolang de organisatie of het dossier bestaat",
        "een beheerder; wissen sluit het dossier van de mantelzorger",
        f"{_NONE} (instellingen)",
        "uitgevoerd",
    ),
    "groups": (
        "een groep is, net als een dossier, een eenheid voor bewaren en doorsturen",
        "",
        "",
        f"{_SERVICE}: lotgenotencontact (toestemming van de leden, die zelf meedoen)",
        f"uitgevoerd: sluiten (group_close), verwijderen van gesloten groepen door {_HOURLY}",
    ),
    "group_members": (
        "wie in de groep mag sturen en ontvangen, met welke rol; de enige koppeling tussen"
        " een groepsidentiteit en een account",
        "zolang de persoon in de groep zit",
        "weggaan, verwijderen door een gespreksleider, wissen, verwijderen van de groep",
        f"{_SERVICE}; Art. 9 lid 2 sub a AVG: mantelzorgers doen zelf mee aan een groep",
        "uitgevoerd: weggaan, verwijderen, wissen, verwijderen met een gesloten groep",
    ),
    "group_handles": (
        "een groepsbericht afleveren bij het echte apparaat achter een groepsnaam",
        "zolang het lidmaatschap; gaat mee weg met een ingetrokken apparaat",
        "weggaan, verwijderen, wissen, intrekken van het apparaat, verwijderen van de groep",
        f"{_SERVICE}: afleveren",
        "uitgevoerd: met het lidmaatschap, en bij intrekken van het apparaat",
    ),
    "group_log": (
        "het ondertekende ledenlogboek dat elk lid controleert voor het versleutelt; geen namen",
        "",
        "",
        f"{_SECURITY}: leden controleren wie kan meelezen",
        "uitgevoerd: verwijderd met de groep",
    ),
    "group_signed_prekeys": (
        "end-to-end gesprekken beginnen met een groepsnaam",
        "zolang het lidmaatschap; vervangen bij vernieuwen",
        "weggaan, verwijderen, wissen, intrekken",
        f"{_SECURITY}: end-to-end versleuteling",
        "uitgevoerd",
    ),
    "group_one_time_prekeys": (
        "voorwaartse geheimhouding van het eerste bericht, per groepsnaam",
        "tot één keer uitgegeven, of het lidmaatschap eindigt",
        "ophalen, weggaan, verwijderen, wissen, intrekken",
        f"{_SECURITY}: voorwaartse geheimhouding",
        "uitgevoerd",
    ),
    "push_subscriptions": (
        "een gesloten telefoon wekken met een melding zonder inhoud: waar de pushdienst van"
        " de browser meldingen aanneemt, de sleutels om ze te versleutelen, stille uren",
        "tot het apparaat zich afmeldt of niet meer vernieuwt (60 dagen nadat de app laatst"
        " open was), de pushdienst zegt dat hij weg is (404/410), of het apparaat ingetrokken"
        " of gewist is",
        "afmelden; 404/410 van de pushdienst; intrekken; wissen; de taak die elk uur opruimt",
        f"{_SERVICE}: meldingen die de persoon zelf aanzette",
        "uitgevoerd: afmelden, 404/410, intrekken, wissen, opruimen na verlopen",
    ),
    "blobs": (
        "de administratie van een bijlage: wie hoeveel bytes uploadde, voor het maximum,"
        " uploads die verder gaan na een onderbreking, en de bewaartermijn",
        "tot elk ontvangend apparaat blob_done meldde, of de laatste verloopdatum van de"
        " berichten die hem noemen (24 uur als geen bericht dat doet); een bewaarplicht houdt"
        " hem vast zoals die berichten",
        "blob_done van de laatste lezer; de taak die elk uur opruimt; wissen van de uploader",
        f"{_SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd",
    ),
    "blob_chunks": (
        "de versleutelde bijlage in stukken, opgeslagen onder een sleutel van die dag",
        "zolang de bijlage",
        "met de bijlage; de sleutel van die dag wordt vernietigd zodra er niets meer onder"
        " versleuteld is",
        f"{_SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd",
    ),
    "blob_readers": (
        "welke ontvangende apparaten een bijlage mogen ophalen, het dossier of de groep voor"
        " bewaarplichten, en wie hem al heeft",
        "zolang de bijlage",
        "met de bijlage; wissen of verwijderen van het apparaat",
        f"{_SERVICE}: afleveren",
        "uitgevoerd",
    ),
    "blob_secret": (
        "de sleutel van de upload- en downloadbewijzen van 10 minuten, gedeeld door alle nodes",
        "zolang de installatie bestaat",
        "nooit (geen persoonsgegevens)",
        _NONE,
        "uitgevoerd",
    ),
    "reach_lists": (
        "de vaste lijsten van wijken en teams van de organisatie, voor de cijfers",
        "tot een beheerder de lijsten wijzigt",
        "een beheerder (reach_lists_set)",
        f"{_NONE} (de wijken en teams van de organisatie)",
        "uitgevoerd",
    ),
    "reach_case_areas": (
        "de wijk die een ondersteuner aan het dossier gaf, uit de lijst van de organisatie",
        "zolang het dossier (gaat mee weg), of tot een ondersteuner de wijk weghaalt",
        "case_set_area; verwijderen van het dossier (gesloten, gewist)",
        f"{_SERVICE}: verantwoording aan de gemeente per wijk",
        "uitgevoerd: verwijderd met het dossier",
    ),
    "reach_account_teams": (
        "het team dat een beheerder een ondersteuner gaf, uit de lijst van de organisatie",
        "zolang het account, of tot een beheerder het wijzigt",
        "account_set_team; wissen van het account",
        "gegevens van de organisatie over haar eigen medewerkers",
        "uitgevoerd: verwijderd met het account",
    ),
    "reach_activity": (
        "een mantelzorger deed die maand mee aan een gesprek: het aantal bereikt; een maand,"
        " geen tijdstip",
        "400 dagen na het einde van de maand, of wissen",
        "de taak die elk uur opruimt; wissen van het account",
        "Art. 6 lid 1 sub c of e AVG: verantwoording aan de gemeente, alleen als beschermde"
        " aantallen (de verwerkingsverantwoordelijke bevestigt)",
        "uitgevoerd: opruimen 400 dagen na de maand, wissen",
    ),
    "reach_group_activity": (
        "iemand stuurde die maand een bericht in de groep: het aantal actieve groepen",
        "400 dagen na het einde van de maand, of verwijderen van de groep",
        "de taak die elk uur opruimt; verwijderen van de groep",
        f"{_NONE} (een groep en een maand)",
        "uitgevoerd: opruimen, verwijderen van de groep",
    ),
    "reach_contributions": (
        "wat het apparaat van een ondersteuner telde voor een periode (alleen aantallen)",
        "400 dagen na het einde van de periode; vervangen door de volgende telling",
        "de taak die elk uur opruimt; wissen van het account",
        "Art. 6 lid 1 sub c of e AVG: verantwoording aan de gemeente, alleen aantallen",
        "uitgevoerd: opruimen, wissen",
    ),
    "reach_releases": (
        "het ondertekende, beschermde rapport per periode, vastgelegd zodat een tweede rapport"
        " niet één persoon kan verschillen van het eerste",
        "7 jaar (zo lang bewaart men de boekhouding van een subsidie)",
        "de taak die elk uur opruimt",
        f"{_NONE} (beschermde totalen, ondertekend)",
        "uitgevoerd: opruimen na 7 jaar",
    ),
}


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
            f"{_SECURITY}; Art. 6 lid 1 sub f AVG",
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
            f"Art. 5 lid 2 AVG (verantwoording); {_SECURITY}; NEN 7513 (logging van toegang)",
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
            f"{_SECURITY}; Art. 17 AVG (wissen reikt tot in back-ups)",
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
            f"{_SECURITY}; Art. 17 AVG",
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
        f"{_SECURITY}; Art. 17 AVG",
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
