/**
 * Close codes of the graphql-ws endpoint beyond those of the protocol itself (4400 bad request,
 * 4408 no `connection_init` in time, 4409 duplicate subscription id, 4429 duplicate init) and
 * of WebSocket (1001 server going away, 1009 message over WS_MAX_PAYLOAD_BYTES).
 */
export enum RealtimeCloseCode {
  /** Missing, malformed, invalid or expired token; also sent when an open socket's token expires. Reconnect with a fresh token. */
  Unauthorized = 4401,
  /** The client could not keep up (unsent bytes over WS_MAX_BUFFERED_BYTES, or a subscription 1000 events behind). Reconnect and resume with afterSequence. */
  SlowConsumer = 4008,
  /** The user already has WS_MAX_SOCKETS_PER_USER sockets open on this instance. */
  TooManyConnections = 4029,
  /** The server could not complete authentication (e.g. the database is down). Retry later. */
  InternalError = 4500,
}
