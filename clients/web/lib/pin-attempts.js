/**
 * Wrong PINs: a growing wait (issue 14 item 15). No DOM, no network; used by the lock screen
 * only, so a first visit never downloads it (kept apart from lock.js, which the messenger
 * loads on every start).
 *
 * Five tries are free; then each wrong PIN makes the next try wait: 30 s, 1 min, 2 min, …,
 * at most an hour. The count survives a reload (it is kept in the `storage` given, the app
 * uses localStorage) and a right PIN resets it. This slows a finder who guesses at the
 * screen; someone who copies the browser profile can still guess offline (lock.js).
 */
export const FREE_PIN_TRIES = 5;
export const FIRST_WAIT_S = 30;
export const LONGEST_WAIT_S = 3600;

/** Seconds to wait after `failures` wrong PINs in a row (0 while tries are free). Pure. */
export function pinWait(failures) {
  if (!(failures >= FREE_PIN_TRIES)) return 0;
  return Math.min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_PIN_TRIES));
}

/**
 * Wrong PINs in a row and when the last one was. `storage` has getItem/setItem/removeItem
 * (localStorage, or a Map-backed stand-in in tests); `now()` gives milliseconds.
 */
export class PinAttempts {
  #storage;
  #key;
  #now;
  #memory = null; // the same count, for when storage refuses (a private window)

  constructor(storage, key = "steuntje.pinAttempts", now = () => Date.now()) {
    this.#storage = storage;
    this.#key = key;
    this.#now = now;
  }

  /** Milliseconds before the next try is allowed (0: now). */
  waitMs() {
    const { failures, last } = this.#read();
    const until = last + pinWait(failures) * 1000;
    return Math.max(0, until - this.#now());
  }

  /** Count a wrong PIN; returns the wait it causes in milliseconds. */
  failed() {
    const { failures } = this.#read();
    this.#write({ failures: failures + 1, last: this.#now() });
    return this.waitMs();
  }

  /** The right PIN: the count starts again. */
  succeeded() {
    this.#memory = null;
    try {
      this.#storage.removeItem(this.#key);
    } catch {
      // No storage: nothing was counted.
    }
  }

  #read() {
    try {
      const value = JSON.parse(this.#storage.getItem(this.#key) || "null");
      if (Number.isInteger(value?.failures) && Number.isFinite(value?.last)) return value;
    } catch {
      // Unreadable or no storage: what this page counted.
    }
    return this.#memory ?? { failures: 0, last: 0 };
  }

  #write(value) {
    this.#memory = value;
    try {
      this.#storage.setItem(this.#key, JSON.stringify(value));
    } catch {
      // No storage: the wait then holds for this page only.
    }
  }
}
