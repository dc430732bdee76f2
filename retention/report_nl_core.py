"""The Dutch wording of the Art. 30 table's rows for the relay's core tables (accounts,
devices, cases, envelopes, prekeys, holds, audit, policies): why, how long, what deletes it,
the legal basis and the status, per table. The figures that depend on the policy are filled
in by retention/report_nl.py."""

from __future__ import annotations

from retention.report_nl_words import HOURLY, NONE, SECURITY, SERVICE

# table → (waarom, hoe lang, wat verwijdert het, grondslag, stand van zaken)
CORE_TABLES: dict[str, tuple[str, str, str, str, str]] = {
    "installation": (
        "apparaten ondertekenen elke aanmelding met het relay-nummer, zodat een handtekening"
        " nergens anders werkt",
        "zolang de installatie bestaat",
        "nooit (geen persoonsgegevens)",
        NONE,
        "uitgevoerd",
    ),
    "organisations": (
        "elk account, dossier en elke uitnodiging hoort bij één organisatie",
        "zolang de organisatie Steuntje gebruikt",
        "een beheerder van de server",
        f"{NONE} (noemt de organisatie)",
        "uitgevoerd (een beheerder van de server verwijdert een organisatie)",
    ),
    "accounts": (
        "wie mag inloggen en met welke rol; geen e-mail of telefoonnummer; de dag van de"
        " laatste keer inloggen en een vlag bij niet-gebruik, zodat ongebruikte accounts weg"
        " kunnen; de naam die de beheerder een medewerker gaf (nooit een mantelzorger:"
        " mantelzorgers blijven naamloos)",
        "tot het account gewist wordt; ingetrokken accounts blijven als lege plek bestaan",
        f"wissen; {HOURLY} (een gesloten dossier na de termijn, een ongebruikt account)",
        f"{SERVICE}; {SECURITY}: toegang regelen",
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
        f"{SERVICE}; {SECURITY}: inloggen",
        "wissen door de mantelzorger of op verzoek van een functionaris: uitgevoerd",
    ),
    "invites": (
        "een uitnodiging werkt één keer en een tweede gebruik wordt herkend; wie haar maakte,"
        " zodat ze met dat apparaat of account vervalt; een herstel-uitnodiging wordt"
        " gecontroleerd tegen het dossier van de ondersteuner",
        "tot 7 dagen na het verlopen (gebruikt of niet)",
        HOURLY,
        f"{SECURITY}: een uitnodiging werkt één keer; {SERVICE}",
        "uitgevoerd met de standaard van 7 dagen; een andere termijn: gepland",
    ),
    "cases": (
        "wie aan wie mag sturen: een mantelzorger en de ondersteuners in het dossier; wie het"
        " sloot, zodat een bericht aan een gesloten dossier zegt wanneer en door wie",
        "tot het dossier gesloten is en de bewaartermijn voorbij is",
        f"{HOURLY} verwijdert een gesloten dossier en het account van de mantelzorger",
        f"{SERVICE}; Art. 9 lid 2 sub h AVG als een dossier iets over zorg laat zien",
        f"uitgevoerd: sluiten (case_close), en verwijderen van gesloten dossiers door {HOURLY}",
    ),
    "case_members": (
        "het team van het dossier: alleen wie mag sturen",
        "zolang het account in het dossier zit",
        "overdracht, wissen",
        f"{SERVICE}; Art. 9 lid 2 sub h AVG als een dossier iets over zorg laat zien",
        "uitgevoerd: overdracht, wissen, verwijderen met een gesloten dossier",
    ),
    "envelopes": (
        "bewaren en doorsturen: versleutelde berichten die wachten op een apparaat dat offline"
        " is (opgeslagen onder de sleutel van die dag); het dossier, zodat een bewaarplicht"
        " het kan vasthouden",
        "",
        "",
        f"{SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd, per dossier binnen de grenzen van de organisatie",
    ),
    "sent_ids": (
        "een bericht dat opnieuw gestuurd wordt na een verloren bevestiging, komt niet twee"
        " keer aan",
        "",
        "",
        f"{SERVICE}; Art. 5 lid 1 sub d AVG: elk bericht komt één keer aan",
        "uitgevoerd, per dossier binnen de grenzen van de organisatie",
    ),
    "signed_prekeys": (
        "anderen beginnen een versleuteld gesprek met een apparaat dat offline is (X3DH)",
        "zolang het apparaat actief is; vervangen bij vernieuwen, gewist bij intrekken",
        "vernieuwen, intrekken",
        f"{SECURITY}: end-to-end versleuteling",
        "uitgevoerd",
    ),
    "one_time_prekeys": (
        "voorwaartse geheimhouding voor het eerste bericht van een gesprek (X3DH)",
        "tot één ophaler hem kreeg (dan meteen gewist), of het apparaat ingetrokken is",
        "ophalen, intrekken",
        f"{SECURITY}: voorwaartse geheimhouding",
        "uitgevoerd",
    ),
    "legal_holds": (
        "een functionaris zet het opruimen van een dossier stil vanwege een wettelijke plicht"
        " (Art. 17 lid 3 sub b, e)",
        "zolang de bewaarplicht geldt, daarna nog een jaar",
        HOURLY,
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
        f"Art. 5 lid 2 AVG (verantwoording); {SECURITY}; NEN 7513",
        "uitgevoerd: geschreven bij elke vastgelegde handeling, inhoud verwijderd na de"
        " bewaartermijn van het logboek",
    ),
    "audit_nodes": (
        "hashes van de Merkle-boom, zodat bewijzen en controlepunten snel zijn",
        "zolang het logboek bestaat",
        "nooit (hashes van hashes, geen persoonsgegevens)",
        f"{NONE} (hashes)",
        "uitgevoerd",
    ),
    "audit_checkpoints": (
        "ondertekende controlepunten waarmee een functionaris een export controleert",
        "zolang het logboek bestaat",
        "nooit (een aantal, een hash en een handtekening)",
        f"{NONE} (hashes en een handtekening)",
        "uitgevoerd (elke minuut ondertekend, en na handelingen van een functionaris of"
        " beheerder, opruimen, wissen en bewaarplichten)",
    ),
    "audit_subject_keys": (
        "de sleutel achter de schuilnaam van een persoon in het logboek",
        "tot de persoon gewist wordt: dan verwijderd, zodat de regels niet meer aan die"
        " persoon te koppelen zijn",
        "wissen",
        f"Art. 5 lid 2 AVG (verantwoording); {SECURITY}",
        "uitgevoerd: wissen verwijdert ze",
    ),
    "policies": (
        "de bewaarinstellingen van de organisatie en van dossiers (geen persoonsgegevens)",
        "zolang de organisatie of het dossier bestaat",
        "een beheerder; wissen sluit het dossier van de mantelzorger",
        f"{NONE} (instellingen)",
        "uitgevoerd",
    ),
}
