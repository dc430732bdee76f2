// A worker's device tells the relay what only it can know for the reach figures
// (docs/accountability.md, "Reach figures"): for each period, how many caregivers answered
// a check-in it sent, and how many signed questionnaires it received. Two numbers per
// period, never who: the relay adds them up per team. Messages disappear from the phone
// with their timer, so a count is never lowered once sent (the relay keeps the latest).

const SETTING = "reachSent"; // {period: [checkins, questionnaires]} as last sent

/** The current and previous month, quarter and year, each {key, start, end} in Unix
 * seconds (local time, as the relay's Amsterdam periods for a Dutch phone). */
export function periodsAround(now = new Date()) {
  const at = (year, month) => Math.floor(new Date(year, month, 1).getTime() / 1000);
  const year = now.getFullYear();
  const month = now.getMonth();
  const quarter = Math.floor(month / 3);
  const periods = [];
  for (const back of [0, 1]) {
    const first = new Date(year, month - back, 1);
    const key = `${first.getFullYear()}-${String(first.getMonth() + 1).padStart(2, "0")}`;
    periods.push({ key, start: at(first.getFullYear(), first.getMonth()), end: at(first.getFullYear(), first.getMonth() + 1) });
    const q = new Date(year, (quarter - back) * 3, 1);
    const qKey = `${q.getFullYear()}-Q${Math.floor(q.getMonth() / 3) + 1}`;
    periods.push({ key: qKey, start: at(q.getFullYear(), q.getMonth()), end: at(q.getFullYear(), q.getMonth() + 3) });
    periods.push({ key: String(year - back), start: at(year - back, 0), end: at(year - back + 1, 0) });
  }
  return periods;
}

/** From each caregiver conversation's message views: the caregivers who answered a
 * check-in sent in [start, end), and the signed questionnaires received in it. Pure. */
export function countFor(conversations, start, end) {
  const within = (time) => time >= start && time < end;
  let checkins = 0;
  let questionnaires = 0;
  for (const views of conversations) {
    const answered = views.some(
      (view) => view.kind === "checkin" && view.outgoing && within(view.sentAt) && Object.keys(view.answers ?? {}).length > 0,
    );
    if (answered) checkins += 1;
    questionnaires += views.filter(
      (view) => view.kind === "questionnaire_answer" && !view.outgoing && within(view.receivedAt),
    ).length;
  }
  return { checkins_answered: checkins, questionnaires_signed: questionnaires };
}

/** Count and send what grew since the last time; failures wait for the next start. */
export async function contribute(messenger, now = new Date()) {
  const caregivers = (await messenger.conversations()).filter((entry) => entry.role === "caregiver");
  const conversations = await Promise.all(caregivers.map((entry) => messenger.messages(entry.id)));
  const sent = { ...(messenger.settings()[SETTING] ?? {}) };
  for (const period of periodsAround(now)) {
    const counts = countFor(conversations, period.start, period.end);
    const [checkins, questionnaires] = sent[period.key] ?? [0, 0];
    const best = {
      checkins_answered: Math.max(counts.checkins_answered, checkins),
      questionnaires_signed: Math.max(counts.questionnaires_signed, questionnaires),
    };
    if (best.checkins_answered === checkins && best.questionnaires_signed === questionnaires) continue;
    await messenger.request("reach_contribute", { period: period.key, ...best });
    sent[period.key] = [best.checkins_answered, best.questionnaires_signed];
  }
  // Only the periods still around are kept: the setting stays small.
  const current = new Set(periodsAround(now).map((period) => period.key));
  await messenger.setSetting(
    SETTING,
    Object.fromEntries(Object.entries(sent).filter(([key]) => current.has(key))),
  );
}
