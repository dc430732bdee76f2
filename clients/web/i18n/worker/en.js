// Strings only the worker's and admin's screens use (caseload, admin): loaded with
// loadPart("worker") when one of those screens opens, so a caregiver's first load
// does not carry them.

export default {
  desk_error_field_allowed: "This is not right: {field}. {allowed}",
  policy_allowed_most: "Choose at most {value}.",
  policy_allowed_least: "Choose at least {value}.",
  policy_allowed_between: "Choose between {low} and {high}.",
  policy_allowed_positive: "Choose a time longer than 0.",
  admin_invite_link_label: "Cannot scan? Open this link on your colleague's phone or computer:",
  admin_invite_choose: "First choose what you are inviting someone as.",
  chart_latest: "Latest answer: {answer} ({date})",
  caseload_filter_label: "Show",
  caseload_filter_all: "Everyone",
  caseload_filter_wants_call: "Would like a call",
  caseload_filter_no_answer: "No answer to question yet",
  caseload_filter_mood_down: "Mood is going down",
  caseload_filtered: "{shown} of {total} caregivers",
  caseload_filtered_none: "Nobody right now.",
  badge_call_retry: "Call again",
  call_actions_label: "Calling {name} back",
  call_done: "Called",
  call_retry: "Not reached, try later",
  call_done_said: "Noted: you called {name}. {name} sees it too.",
  call_retry_said: "Noted: you will try {name} again later. {name} sees it too.",
  caseload_gone_erased: "{name} erased their account. You can no longer send messages.",
  caseload_gone_left: "{name} is no longer on your cases. You can no longer send messages.",
  caseload_gone_dismiss: "Remove from the list",
  caseload_gone_dismissed: "{name} was removed from the list.",
  caseload_closed_title: "Closed cases",
};
