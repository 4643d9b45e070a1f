/**
 * The request side of a MCP 2026-07-28 `subscriptions/listen`: `params.notifications.resourceSubscriptions`
 * names the URIs the client wants updates for. The principal may only subscribe to resources it may read, so
 * every other URI is dropped before the request reaches the server.
 *
 * Dropped rather than refused: the spec lets a server honor a subset of the requested filter (the
 * `notifications/subscriptions/acknowledged` it sends first echoes only what it honored, and SDK v2's
 * `honoredSubset` does exactly that), so a client must already cope with a narrower ack. A refusal would also
 * tell the client which URI it may not read exists; the narrowed ack says no more than a server without that
 * resource would.
 */
import { HiddenItems, type Pipeline, type PreparedRequest } from '../pipeline.js';
import { isPlainObject } from './jsonrpc-shape.js';
import { resourceItem } from './response-duties.js';

/**
 * The prepared request with `resourceSubscriptions` cut to what the principal may read (an entry that is not a
 * string cannot be judged and goes too; none left removes the field). Hidden URIs are recorded as one event.
 */
export async function narrowListenRequest(
  pipeline: Pipeline,
  prepared: PreparedRequest,
): Promise<PreparedRequest> {
  const params = prepared.request.params;
  const filter =
    isPlainObject(params) && isPlainObject(params.notifications) ? params.notifications : undefined;
  const uris = filter?.resourceSubscriptions;
  if (!filter || !Array.isArray(uris)) return prepared;
  const hidden = new HiddenItems();
  const kept: string[] = [];
  let unjudged = 0;
  for (const uri of uris) {
    if (typeof uri !== 'string') unjudged++;
    else if (await pipeline.itemVisible(prepared, resourceItem(uri), hidden)) kept.push(uri);
  }
  pipeline.recordHidden(prepared, hidden, 'subscriptions/listen resourceSubscriptions');
  if (kept.length === uris.length && unjudged === 0) return prepared;
  const { resourceSubscriptions: _dropped, ...rest } = filter;
  const notifications = kept.length > 0 ? { ...rest, resourceSubscriptions: kept } : rest;
  const request = { ...prepared.request, params: { ...params, notifications } };
  return { ...prepared, request };
}
