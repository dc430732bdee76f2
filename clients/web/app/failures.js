// What a failure means for the person, not for the developer.

/** The relay could not be reached or the connection dropped: "try again with a connection". */
export function isOffline(failure) {
  return failure?.code === "connection_lost" || failure?.name === "ConnectionLost";
}
