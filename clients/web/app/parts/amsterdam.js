// Times as a Dutch office reads them: the relay stores UTC; the officer reads Amsterdam time
// with its offset ("25-10-2026 02:30 +01:00"), so the hour that happens twice when summer
// time ends stays two different times. Days typed in a date field are Amsterdam days:
// midnight to midnight there, 23 or 25 hours long when the clocks change.

const ZONE = "Europe/Amsterdam";

const wallClock = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** The Amsterdam wall clock at a moment (ms): {year, month, day, hour, minute, second}. */
function wall(ms) {
  const parts = {};
  for (const { type, value } of wallClock.formatToParts(new Date(ms))) parts[type] = Number(value);
  return parts;
}

/** Amsterdam's offset from UTC at a moment, in minutes (60 in winter, 120 in summer). */
function offsetMinutes(ms) {
  const p = wall(ms);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

const two = (n) => String(n).padStart(2, "0");

/** "+02:00" */
function offsetText(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  const size = Math.abs(minutes);
  return `${sign}${two(Math.floor(size / 60))}:${two(size % 60)}`;
}

/** Unix seconds as "25-10-2026 02:30 +01:00" (Amsterdam, with the offset). */
export function formatAmsterdam(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  const ms = unixSeconds * 1000;
  const p = wall(ms);
  return `${two(p.day)}-${two(p.month)}-${p.year} ${two(p.hour)}:${two(p.minute)} ${offsetText(offsetMinutes(ms))}`;
}

/** Unix seconds of midnight in Amsterdam at the start of a date field's day ("2026-10-25"). */
export function amsterdamMidnight(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
  if (!match) return null;
  const utcMidnight = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Midnight there is midnight UTC minus the offset; the offset is read at the answer, twice,
  // so a day that starts just before a clock change still lands on its own midnight.
  let guess = utcMidnight - offsetMinutes(utcMidnight) * 60000;
  guess = utcMidnight - offsetMinutes(guess) * 60000;
  return guess / 1000;
}

/** [start, end) in Unix seconds of an Amsterdam day; end is the next day's midnight. */
export function amsterdamDay(value) {
  const start = amsterdamMidnight(value);
  if (start === null) return null;
  const next = new Date(Date.UTC(...value.split("-").map((n, i) => Number(n) - (i === 1 ? 1 : 0))) + 86400000);
  return [start, amsterdamMidnight(next.toISOString().slice(0, 10))];
}
