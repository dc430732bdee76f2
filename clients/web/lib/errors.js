/**
 * The library's errors, one root:
 *
 *   Error
 *   ├── RelayError       the relay refused: .code (PROTOCOL §7), .details (retry_after_ms, …)
 *   ├── ConnectionLost   no reply: the connection dropped first, or the relay is unreachable
 *   ├── UntrustedBundle  a prekey bundle that is not the device asked for
 *   ├── InvalidMessage   a kind or fields that docs/messages.md does not allow
 *   └── LockError        the PIN lock: .code 'locked', 'wrong_pin', 'bad_pin', 'no_pin'
 *
 * Messages never carry content, keys or tokens.
 */

export class RelayError extends Error {
  constructor(code, message = "", details = {}) {
    super(message ? `${code}: ${message}` : code);
    this.name = "RelayError";
    this.code = code;
    this.details = details;
  }

  static fromReply(reply) {
    const error = reply && typeof reply === "object" ? reply.error : null;
    if (!error || typeof error !== "object") {
      return new RelayError("malformed_reply", "the relay's reply was not understood");
    }
    const details = {};
    for (const [key, value] of Object.entries(error)) {
      if (key !== "code" && key !== "message") details[key] = value;
    }
    return new RelayError(String(error.code), String(error.message ?? ""), details);
  }
}

export class ConnectionLost extends Error {
  constructor(message = "connection lost") {
    super(message);
    this.name = "ConnectionLost";
    this.code = "connection_lost";
  }
}

export class UntrustedBundle extends Error {
  constructor(message = "the relay's bundle belongs to another device") {
    super(message);
    this.name = "UntrustedBundle";
    this.code = "untrusted_bundle";
  }
}

export class InvalidMessage extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidMessage";
    this.code = "invalid_message";
  }
}

export class LockError extends Error {
  constructor(code, message = code) {
    super(message);
    this.name = "LockError";
    this.code = code;
  }
}

/** Refusals after which reconnecting cannot help: the device must register again. */
export const FATAL_CODES = new Set([
  "device_revoked",
  "unknown_device",
  "account_disabled",
  "wrong_relay",
]);
