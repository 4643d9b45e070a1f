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
} as const;

export type ToolPinningErrorCode = (typeof TOOL_PINNING_ERROR_CODES)[keyof typeof TOOL_PINNING_ERROR_CODES];

/** An operator action on a {@link PinStore} that cannot be done; `code` says why. */
export class PinStoreError extends Error {
  readonly code: ToolPinningErrorCode;
  constructor(code: ToolPinningErrorCode, message: string) {
    super(message);
    this.name = 'PinStoreError';
    this.code = code;
  }
}
