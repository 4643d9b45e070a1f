import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from './errors.js';

/**
 * The refusal of a session over a cap, the same on both edges: 429 (this principal's cap) or 503 (the server's),
 * with `Retry-After` (seconds, as text) and a `session.rejected` event.
 */
export function sessionLimitError(
  status: 429 | 503,
  message: string,
  reason: string,
  retryAfter: string,
): WardenError {
  return new WardenError({
    code: CORE_ERROR_CODES.SESSION_LIMIT,
    message,
    reason,
    httpStatus: status,
    jsonRpcCode: status === 429 ? JSON_RPC_ERROR_CODES.RATE_LIMITED : JSON_RPC_ERROR_CODES.INVALID_REQUEST,
    data: { retryAfterSeconds: Number(retryAfter) },
    headers: { 'Retry-After': retryAfter },
    eventType: 'session.rejected',
  });
}
