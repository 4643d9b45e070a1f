import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';

/** A refusal written by the edge itself (recorded as `request.rejected`). */
export function edgeError(
  status: number,
  code: string,
  message: string,
  reason?: string,
  jsonRpcCode: number = JSON_RPC_ERROR_CODES.INVALID_REQUEST,
): WardenError {
  return new WardenError({
    code,
    message,
    reason,
    httpStatus: status,
    jsonRpcCode,
    eventType: 'request.rejected',
  });
}

/** The generic 500: what a client sees of an error that is not a `WardenError`. */
export function internalError(): WardenError {
  return edgeError(
    500,
    CORE_ERROR_CODES.PLUGIN_FAILED,
    'Internal error.',
    undefined,
    JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  );
}

export function toWardenError(error: unknown): WardenError {
  return WardenError.isInstance(error) ? error : internalError();
}
