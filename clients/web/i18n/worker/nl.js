// Strings only the worker's and admin's screens use (caseload, admin): loaded with
// loadPart("worker") when one of those screens opens, so a caregiver's first load
// does not carry them.

export default {
  desk_error_field_allowed: "Dit klopt niet: {field}. {allowed}",
  policy_allowed_most: "Kies hoogstens {value}.",
  policy_allowed_least: "Kies minstens {value}.",
  policy_allowed_between: "Kies tussen {low} en {high}.",
  policy_allowed_positive: "Kies een tijd langer dan 0.",
  admin_invite_link_label: "Lukt scannen niet? Open deze link op de telefoon of computer van je collega:",
  admin_invite_choose: "Kies eerst als wat je iemand uitnodigt.",
  chart_latest: "Laatste antwoord: {answer} ({date})",
  caseload_filter_label: "Laat zien",
  caseload_filter_all: "Iedereen",
  caseload_filter_wants_call: "Wil gebeld worden",
  caseload_filter_no_answer: "Nog geen antwoord op vraag",
  caseload_filter_mood_down: "Stemming gaat omlaag",
  caseload_filtered: "{shown} van de {total} mantelzorgers",
  caseload_filtered_none: "Niemand op dit moment.",
  badge_call_retry: "Nog een keer bellen",
  call_actions_label: "Terugbellen naar {name}",
  call_done: "Gebeld",
  call_retry: "Niet bereikt, probeer later",
  call_done_said: "Genoteerd: je hebt {name} gebeld. {name} ziet het ook.",
  call_retry_said: "Genoteerd: je probeert {name} later nog eens. {name} ziet het ook.",
  caseload_gone_erased: "{name} heeft het account gewist. Berichten sturen kan niet meer.",
  caseload_gone_left: "{name} staat niet meer in je dossiers. Berichten sturen kan niet meer.",
  caseload_gone_dismiss: "Weghalen uit de lijst",
  caseload_gone_dismissed: "{name} is uit de lijst gehaald.",
  caseload_closed_title: "Gesloten dossiers",
};
