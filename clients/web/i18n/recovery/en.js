// Recovery (app/screens/recovery.js, app/screens/empty.js, issue 20).
// A part of its own, so nobody downloads these words until a phone lost Steuntje.
export default {
  recovery_title: "New phone, or everything lost?",
  recovery_intro:
    "Does {name} have a new phone, or is Steuntje empty on their phone? Then make a recovery code. With it, {name} comes back into the same conversation.",
  recovery_warning:
    "Careful: give the code only to {name}. Do it together, at the table or in a video call, and check that you are really talking to {name}.",
  recovery_old_gone:
    "The old phone can do nothing after that. Old messages do not come back on the new phone.",
  recovery_make: "Make recovery code",
  recovery_making: "Making the recovery code…",
  recovery_ready: "Recovery code ready",
  recovery_scan: "Let {name} scan this code with the new phone's camera.",
  recovery_qr_label: "QR code to come back into Steuntje",
  recovery_link_label: "Scanning does not work? Send this link, for example by text message or e-mail:",
  recovery_valid_until: "Can be used once, valid until {date}. A new code makes this one invalid.",
  recovery_failed: "The recovery code was not made. Please try again.",
  recovery_not_permitted: "Only a support worker of {name} can make a recovery code.",
  recovery_offline: "There is no connection. A recovery code can only be made with a connection.",
  recovery_done: "Done! {name} has a new phone.",
  recovery_compare: "Compare the new safety number",
  recovery_back: "Back to the conversation",
  recovery_needs_approval:
    "Your organisation wants a colleague to approve this recovery code first. Then {name} can use it. Give your colleague this number:",
  recovery_id_label: "Recovery number:",
  approve_title: "Approve a recovery",
  approve_intro:
    "Did a colleague make a recovery code for a caregiver? Your organisation wants a second support worker to approve it. Only then does the code work.",
  approve_label: "Recovery number",
  approve_hint: "Your colleague gives you this number, for example K7QF-2M9X.",
  approve_button: "Approve",
  approve_done: "Approved. The recovery code works now.",
  approve_not_yours: "You cannot do this: a colleague must approve a recovery code you made yourself.",
  approve_unknown: "We do not know this recovery number. Check it together with your colleague.",
  approve_used: "This recovery code was already used.",
  approve_expired: "This recovery code has expired. Your colleague can make a new one.",
  approve_revoked: "This recovery code no longer works. Your colleague can make a new one.",
  approve_failed: "Approving did not work. Please try again.",
  empty_title: "Steuntje is empty on this phone",
  empty_ask: "Ask your support worker for a new code.",
  empty_why:
    "Your old messages were only on your old phone. They do not come back, unless you still have Steuntje on another device.",
  back_title: "Welcome back",
  back_body: "You are coming back into your own conversation with your support worker.",
  back_old_messages:
    "Old messages do not come back: they were only on your old phone. Your old phone can do nothing in Steuntje after this, unless you choose below to keep it.",
  storage_title: "Keeping Steuntje on this phone",
  storage_not_kept:
    "Your browser does not promise to keep Steuntje. If your phone runs out of space, or you do not open Steuntje for a long time, the browser may delete everything of Steuntje.",
  storage_home_screen: "Put Steuntje on your home screen. Then it is kept better.",
  storage_iphone:
    "On an iPhone: tap the share button (a square with an arrow up) and choose 'Add to Home Screen'. Then Safari does not delete Steuntje after 7 days.",
  storage_if_lost: "Is Steuntje empty anyway? Ask your support worker for a new code. Then you come back into the same conversation.",
  back_wrong_account: "This link was not copied correctly. Ask your support worker for a new code.",
  back_keep_old: "My old phone still works: keep it",
  back_not_approved:
    "A second support worker still has to approve this code. Ask your support worker about it, then try again.",
};
