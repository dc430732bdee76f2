// Recovery (app/screens/recovery.js, app/screens/empty.js, issue 20): plain Dutch (B1).
// A part of its own, so nobody downloads these words until a phone lost Steuntje.
export default {
  recovery_title: "Nieuwe telefoon of alles kwijt?",
  recovery_intro:
    "Heeft {name} een nieuwe telefoon, of is Steuntje leeg op de telefoon? Maak dan een herstelcode. Daarmee komt {name} terug in hetzelfde gesprek.",
  recovery_warning:
    "Let op: geef de code alleen aan {name} zelf. Doe het samen, aan tafel of in een videogesprek, en kijk goed of je echt met {name} praat.",
  recovery_old_gone:
    "De oude telefoon kan daarna niets meer. Oude berichten komen niet terug op de nieuwe telefoon.",
  recovery_make: "Maak herstelcode",
  recovery_making: "Herstelcode maken…",
  recovery_ready: "Herstelcode klaar",
  recovery_scan: "Laat {name} deze code scannen met de camera van de nieuwe telefoon.",
  recovery_qr_label: "QR-code om terug te komen in Steuntje",
  recovery_link_label: "Lukt scannen niet? Stuur deze link, bijvoorbeeld per sms of mail:",
  recovery_valid_until: "Eén keer te gebruiken, geldig tot {date}. Een nieuwe code maakt deze ongeldig.",
  recovery_failed: "De herstelcode is niet gemaakt. Probeer het nog eens.",
  recovery_not_permitted: "Alleen een ondersteuner van {name} kan een herstelcode maken.",
  recovery_offline: "Er is geen verbinding. Een herstelcode maken kan alleen met verbinding.",
  recovery_done: "Gelukt! {name} heeft een nieuwe telefoon.",
  recovery_compare: "Vergelijk het nieuwe veiligheidsnummer",
  recovery_back: "Terug naar het gesprek",
  recovery_needs_approval:
    "Je organisatie wil dat een collega deze herstelcode eerst goedkeurt. Daarna kan {name} de code gebruiken. Geef je collega dit nummer:",
  recovery_id_label: "Herstelnummer:",
  approve_title: "Herstel goedkeuren",
  approve_intro:
    "Heeft een collega een herstelcode gemaakt voor een mantelzorger? Je organisatie wil dat een tweede ondersteuner die goedkeurt. Pas daarna werkt de code.",
  approve_label: "Herstelnummer",
  approve_hint: "Je collega geeft je dit nummer, bijvoorbeeld K7QF-2M9X.",
  approve_button: "Goedkeuren",
  approve_done: "Goedgekeurd. De herstelcode werkt nu.",
  approve_not_yours: "Dit kan niet: een herstelcode die je zelf hebt gemaakt, moet een collega goedkeuren.",
  approve_unknown: "Dit herstelnummer kennen we niet. Kijk samen met je collega of het goed is.",
  approve_used: "Deze herstelcode is al gebruikt.",
  approve_expired: "Deze herstelcode is verlopen. Je collega kan een nieuwe maken.",
  approve_revoked: "Deze herstelcode werkt niet meer. Je collega kan een nieuwe maken.",
  approve_failed: "Goedkeuren is niet gelukt. Probeer het nog eens.",
  empty_title: "Steuntje is leeg op deze telefoon",
  empty_ask: "Vraag je ondersteuner om een nieuwe code.",
  empty_why:
    "Je oude berichten stonden alleen op je oude telefoon. Die komen niet terug, behalve als je Steuntje nog op een ander apparaat hebt.",
  back_title: "Welkom terug",
  back_body: "Je komt terug in je eigen gesprek met je ondersteuner.",
  back_old_messages:
    "Oude berichten komen niet terug: die stonden alleen op je oude telefoon. Je oude telefoon kan daarna niets meer in Steuntje, behalve als je hieronder kiest om hem te houden.",
  storage_title: "Steuntje bewaren op deze telefoon",
  storage_not_kept:
    "Je browser belooft niet dat hij Steuntje bewaart. Raakt je telefoon vol, of open je Steuntje lang niet, dan kan de browser alles van Steuntje wissen.",
  storage_home_screen: "Zet Steuntje op je beginscherm. Dan blijft het beter bewaard.",
  storage_iphone:
    "Op een iPhone: tik op de deelknop (een vierkantje met een pijl omhoog) en kies 'Zet op beginscherm'. Dan wist Safari Steuntje niet na 7 dagen.",
  storage_if_lost: "Is Steuntje toch leeg? Vraag je ondersteuner om een nieuwe code. Dan kom je terug in hetzelfde gesprek.",
  back_wrong_account: "Deze link is niet goed overgenomen. Vraag je ondersteuner om een nieuwe code.",
  back_keep_old: "Mijn oude telefoon werkt nog: houd hem aan",
  back_not_approved:
    "Een tweede ondersteuner moet deze code nog goedkeuren. Vraag je ondersteuner ernaar en probeer het daarna nog eens.",
};
