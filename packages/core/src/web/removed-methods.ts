/**
 * Client requests the 2026-07-28 revision removed (its changelog: the `initialize` handshake, `ping`,
 * `logging/setLevel`, and `resources/subscribe`/`unsubscribe`, replaced by `subscriptions/listen`). A modern
 * request for one is answered `404` / `-32601` at the edge, as SDK v2 answers it, before any plugin parses its
 * params: a plugin would otherwise judge (and refuse with another error) a request the revision has no meaning for.
 */
export const REMOVED_MODERN_REQUESTS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);
