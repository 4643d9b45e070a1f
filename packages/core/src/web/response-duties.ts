/**
 * What happens to each upstream message answering one request, in one place for the JSON and the SSE path:
 * listen streams lose what the principal may not read; the response goes through `after` (results transformed,
 * lists filtered); `server/discover` is filtered like the lists; shared cache hints go (Warden answered for one
 * principal); a `requestState` the server hands out is sealed to this principal and request.
 */

import { endObservationWith } from '../observe/observer.js';
import { HiddenItems, type Pipeline, type PreparedRequest } from '../pipeline.js';
import type { ListItem } from '../plugin.js';
import { stripSharedCacheHintsFromMessage } from './cache-hints.js';
import { filterDiscoverResult } from './discover.js';
import { isJsonRpcResultResponse, isPlainObject } from './jsonrpc-shape.js';
import { createListenFilter } from './listen-filter.js';
import {
  type RequestStateBinding,
  type RequestStateSealer,
  sealMessageRequestState,
} from './request-state.js';
import { errorMessage } from './responses.js';

export interface ResponseDuties {
  pipeline: Pipeline;
  prepared: PreparedRequest;
  /** The method the client asked for (before any plugin). */
  method: string;
  /** A multi round-trip retry: its result must not be cached at all. */
  retried: boolean;
  /** Set for modern requests: `requestState` in results is sealed with it (the binding computed on first use). */
  sealing?: { sealer: RequestStateSealer; binding: () => Promise<RequestStateBinding> } | undefined;
}

/** The transform of one message: the message to send, or `undefined` to drop it. */
export type MessageDuty = (message: unknown) => Promise<unknown | undefined>;

async function answerDuties(duties: ResponseDuties, message: Record<string, unknown>): Promise<unknown> {
  const { pipeline, prepared } = duties;
  let result: Record<string, unknown>;
  try {
    result = await pipeline.after(prepared, message.result as Record<string, unknown>);
    if (duties.method === 'server/discover') {
      const hidden = new HiddenItems();
      result = await filterDiscoverResult(result, {
        filterItem: (item) => pipeline.itemVisible(prepared, item, hidden),
      });
      pipeline.recordHidden(prepared, hidden, 'server/discover entries');
    }
  } catch (error) {
    return errorMessage(prepared.request.id, error);
  }
  let answer: unknown = stripSharedCacheHintsFromMessage({ ...message, result }, { retried: duties.retried });
  if (duties.sealing && Object.hasOwn(result, 'requestState'))
    answer = await sealMessageRequestState(answer, await duties.sealing.binding(), duties.sealing.sealer);
  return answer;
}

/** Builds the per-message transform for one dispatched request. */
export function responseDuties(duties: ResponseDuties): MessageDuty {
  const { pipeline, prepared } = duties;
  // One tally per stream message: a dropped update or a narrowed ack is one event, never the URIs.
  const hidden = new HiddenItems();
  const listen =
    duties.method === 'subscriptions/listen'
      ? createListenFilter({
          // The list decision for that resource: whoever may not see it listed hears nothing about it.
          mayRead: (uri) => pipeline.itemVisible(prepared, resourceItem(uri), hidden),
        })
      : undefined;
  return async (raw) => {
    let message = raw;
    if (listen) {
      try {
        message = await listen(raw);
      } finally {
        pipeline.recordHidden(prepared, hidden, 'subscriptions/listen resources');
      }
    }
    if (message === undefined) return undefined;
    if (isPlainObject(message) && typeof message.method === 'string') {
      // The server's own notification or request on this request's stream (progress, sampling, logging, …).
      if (!pipeline.hasServerMessageHooks) return message;
      const base = prepared.base;
      return pipeline.serverMessage(message, {
        principal: base.principal,
        transport: base.transport,
        sessionId: base.sessionId,
        connectionId: base.connectionId,
        remoteAddress: base.remoteAddress,
        era: base.era,
        upstream: base.upstream,
        relatedRequestId: prepared.request.id,
      });
    }
    if (!isPlainObject(message) || message.id !== prepared.request.id) return message;
    // Errors pass as the server wrote them; results go through the duties. Either way the request is answered.
    const answer = isJsonRpcResultResponse(message) ? await answerDuties(duties, message) : message;
    endObservationWith(prepared.observation, prepared.request, answer);
    return answer;
  };
}

/** The item a resource URI stands for, as `filterListItem` sees a `resources/list` entry. */
export function resourceItem(uri: string): ListItem {
  return { type: 'resource', uri, definition: { uri } };
}
