/** A tiny event emitter: `on(name, fn)` returns an unsubscribe function. A listener that
 * throws does not stop the others (the error is reported to the console without data). */
export class Emitter {
  #listeners = new Map();

  on(name, listener) {
    if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
    this.#listeners.get(name).add(listener);
    return () => this.#listeners.get(name)?.delete(listener);
  }

  emit(name, payload) {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        console.error(`listener for ${name} failed:`, error?.name ?? "error");
      }
    }
  }
}
