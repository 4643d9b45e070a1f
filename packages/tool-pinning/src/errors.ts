import { JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';

/** Stable error codes of `@mcp-warden/tool-pinning`. */
export const TOOL_PINNING_ERROR_CODES = {
  /** A `tools/call` named a tool whose definition is new, changed, rejected or never seen (JSON-RPC -32003). */
  TOOL_HELD: 'TOOL_HELD',
  /** `approve`/`reject`: the tool has no definition waiting for approval. */
  NOT_PENDING: 'TOOL_PIN_NOT_PENDING',
  /** `approve`: the hash given is not the hash of the definition waiting (it changed again since the review). */
  HASH_MISMATCH: 'TOOL_PIN_HASH_MISMATCH',
  /** `diff`/`forget`: the store knows no such tool of that upstream. */
  UNKNOWN_TOOL: 'TOOL_PIN_UNKNOWN_TOOL',
  /** The store file is not a pin store, or its schema is newer than this version understands. */
  STORE_INVALID: 'TOOL_PIN_STORE_INVALID',
  /** The store was opened with `mustExist` (an operator's command) and there is no store file. */
  STORE_MISSING: 'TOOL_PIN_STORE_MISSING',
  /** A tool definition is too deep, too large or holds a value JSON cannot carry (`DefinitionNotPinnableError`). */
  NOT_PINNABLE: 'TOOL_PIN_NOT_PINNABLE',
} as const;

export type ToolPinningErrorCode = (typeof TOOL_PINNING_ERROR_CODES)[keyof typeof TOOL_PINNING_ERROR_CODES];

/** The codes a {@link PinStoreError} carries. */
export type PinStoreErrorCode = Exclude<
  ToolPinningErrorCode,
  typeof TOOL_PINNING_ERROR_CODES.TOOL_HELD | typeof TOOL_PINNING_ERROR_CODES.NOT_PINNABLE
>;

/** How each store failure maps onto HTTP: the operator's mistake (404, 409) or a store that cannot be used (500). */
const PIN_STORE_HTTP_STATUS: Readonly<Record<PinStoreErrorCode, number>> = {
  [TOOL_PINNING_ERROR_CODES.UNKNOWN_TOOL]: 404,
  [TOOL_PINNING_ERROR_CODES.NOT_PENDING]: 409,
  [TOOL_PINNING_ERROR_CODES.HASH_MISMATCH]: 409,
  [TOOL_PINNING_ERROR_CODES.STORE_INVALID]: 500,
  [TOOL_PINNING_ERROR_CODES.STORE_MISSING]: 500,
};

/** An operator action on a {@link PinStore}, or the store itself, that cannot be done: a `WardenError`; `code` says why. */
export class PinStoreError extends WardenError {
  declare readonly code: PinStoreErrorCode;
  constructor(code: PinStoreErrorCode, message: string) {
    const httpStatus = PIN_STORE_HTTP_STATUS[code];
    super({
      code,
      message,
      httpStatus,
      jsonRpcCode:
        httpStatus === 500 ? JSON_RPC_ERROR_CODES.INTERNAL_ERROR : JSON_RPC_ERROR_CODES.INVALID_PARAMS,
    });
  }
}

/** A definition that cannot be pinned (too deep, too large, or holding a value JSON cannot carry): the tool is held. */
export class DefinitionNotPinnableError extends WardenError {
  declare readonly code: typeof TOOL_PINNING_ERROR_CODES.NOT_PINNABLE;
  constructor(message: string) {
    super({
      code: TOOL_PINNING_ERROR_CODES.NOT_PINNABLE,
      message,
      httpStatus: 403,
      jsonRpcCode: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
      eventType: 'tool.held',
    });
  }
}
