"""The Dutch wording of the Art. 30 table's rows for the tables of later features (groups,
notifications, attachments, reach figures), in the same form as retention/report_nl_core.py."""

from __future__ import annotations

from retention.report_nl_words import HOURLY, NONE, SECURITY, SERVICE

# table → (waarom, hoe lang, wat verwijdert het, grondslag, stand van zaken)
FEATURE_TABLES: dict[str, tuple[str, str, str, str, str]] = {
    "groups": (
        "een groep is, net als een dossier, een eenheid voor bewaren en doorsturen",
        "",
        "",
        f"{SERVICE}: lotgenotencontact (toestemming van de leden, die zelf meedoen)",
        f"uitgevoerd: sluiten (group_close), verwijderen van gesloten groepen door {HOURLY}",
    ),
    "group_members": (
        "wie in de groep mag sturen en ontvangen, met welke rol; de enige koppeling tussen"
        " een groepsidentiteit en een account",
        "zolang de persoon in de groep zit",
        "weggaan, verwijderen door een gespreksleider, wissen, verwijderen van de groep",
        f"{SERVICE}; Art. 9 lid 2 sub a AVG: mantelzorgers doen zelf mee aan een groep",
        "uitgevoerd: weggaan, verwijderen, wissen, verwijderen met een gesloten groep",
    ),
    "group_handles": (
        "een groepsbericht afleveren bij het echte apparaat achter een groepsnaam",
        "zolang het lidmaatschap; gaat mee weg met een ingetrokken apparaat",
        "weggaan, verwijderen, wissen, intrekken van het apparaat, verwijderen van de groep",
        f"{SERVICE}: afleveren",
        "uitgevoerd: met het lidmaatschap, en bij intrekken van het apparaat",
    ),
    "group_log": (
        "het ondertekende ledenlogboek dat elk lid controleert voor het versleutelt; geen namen",
        "",
        "",
        f"{SECURITY}: leden controleren wie kan meelezen",
        "uitgevoerd: verwijderd met de groep",
    ),
    "group_signed_prekeys": (
        "end-to-end gesprekken beginnen met een groepsnaam",
        "zolang het lidmaatschap; vervangen bij vernieuwen",
        "weggaan, verwijderen, wissen, intrekken",
        f"{SECURITY}: end-to-end versleuteling",
        "uitgevoerd",
    ),
    "group_one_time_prekeys": (
        "voorwaartse geheimhouding van het eerste bericht, per groepsnaam",
        "tot één keer uitgegeven, of het lidmaatschap eindigt",
        "ophalen, weggaan, verwijderen, wissen, intrekken",
        f"{SECURITY}: voorwaartse geheimhouding",
        "uitgevoerd",
    ),
    "push_subscriptions": (
        "een gesloten telefoon wekken met een melding zonder inhoud: waar de pushdienst van"
        " de browser meldingen aanneemt, de sleutels om ze te versleutelen, stille uren",
        "tot het apparaat zich afmeldt of niet meer vernieuwt (60 dagen nadat de app laatst"
        " open was), de pushdienst zegt dat hij weg is (404/410), of het apparaat ingetrokken"
        " of gewist is",
        "afmelden; 404/410 van de pushdienst; intrekken; wissen; de taak die elk uur opruimt",
        f"{SERVICE}: meldingen die de persoon zelf aanzette",
        "uitgevoerd: afmelden, 404/410, intrekken, wissen, opruimen na verlopen",
    ),
    "blobs": (
        "de administratie van een bijlage: wie hoeveel bytes uploadde, voor het maximum,"
        " uploads die verder gaan na een onderbreking, en de bewaartermijn",
        "tot elk ontvangend apparaat blob_done meldde, of de laatste verloopdatum van de"
        " berichten die hem noemen (24 uur als geen bericht dat doet); een bewaarplicht houdt"
        " hem vast zoals die berichten",
        "blob_done van de laatste lezer; de taak die elk uur opruimt; wissen van de uploader",
        f"{SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd",
    ),
    "blob_chunks": (
        "de versleutelde bijlage in stukken, opgeslagen onder een sleutel van die dag",
        "zolang de bijlage",
        "met de bijlage; de sleutel van die dag wordt vernietigd zodra er niets meer onder"
        " versleuteld is",
        f"{SERVICE}; de inhoud is end-to-end versleuteld, de relay kan hem niet lezen",
        "uitgevoerd",
    ),
    "blob_readers": (
        "welke ontvangende apparaten een bijlage mogen ophalen, het dossier of de groep voor"
        " bewaarplichten, en wie hem al heeft",
        "zolang de bijlage",
        "met de bijlage; wissen of verwijderen van het apparaat",
        f"{SERVICE}: afleveren",
        "uitgevoerd",
    ),
    "blob_secret": (
        "de sleutel van de upload- en downloadbewijzen van 10 minuten, gedeeld door alle nodes",
        "zolang de installatie bestaat",
        "nooit (geen persoonsgegevens)",
        NONE,
        "uitgevoerd",
    ),
    "reach_lists": (
        "de vaste lijsten van wijken en teams van de organisatie, voor de cijfers",
        "tot een beheerder de lijsten wijzigt",
        "een beheerder (reach_lists_set)",
        f"{NONE} (de wijken en teams van de organisatie)",
        "uitgevoerd",
    ),
    "reach_case_areas": (
        "de wijk die een ondersteuner aan het dossier gaf, uit de lijst van de organisatie",
        "zolang het dossier (gaat mee weg), of tot een ondersteuner de wijk weghaalt",
        "case_set_area; verwijderen van het dossier (gesloten, gewist)",
        f"{SERVICE}: verantwoording aan de gemeente per wijk",
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
        f"{NONE} (een groep en een maand)",
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
        f"{NONE} (beschermde totalen, ondertekend)",
        "uitgevoerd: opruimen na 7 jaar",
    ),
}
