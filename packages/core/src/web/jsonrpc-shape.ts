/**
 * Exact JSON-RPC message shapes as MCP SDK v2 checks them when it picks an era: strict objects (no member beyond the
 * listed ones), ids that are strings or safe integers, `params` and `_meta` that are objects. Era classification
 * must agree with the SDK on every body, so these mirror its schemas rather than the looser edge check.
 */

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or a safe integer. */
export function isRequestId(value: unknown): value is string | number {
  return typeof value === 'string' || Number.isSafeInteger(value);
}

function onlyKeys(value: JsonObject, allowed: readonly string[]): boolean {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) return false;
  return true;
}

/** `params` of a request or notification: absent, or an object whose `_meta` (if any) is a request meta object. */
function isParams(params: unknown, present: boolean): boolean {
  if (!present) return true;
  if (!isPlainObject(params)) return false;
  if (!('_meta' in params)) return true;
  const meta = params._meta;
  if (!isPlainObject(meta)) return false;
  if ('progressToken' in meta && !isRequestId(meta.progressToken)) return false;
  const related = meta['io.modelcontextprotocol/related-task'];
  if (
    'io.modelcontextprotocol/related-task' in meta &&
    !(isPlainObject(related) && typeof related.taskId === 'string')
  )
    return false;
  return true;
}

export function isJsonRpcRequest(
  value: unknown,
): value is JsonObject & { id: string | number; method: string } {
  return (
    isPlainObject(value) &&
    onlyKeys(value, ['jsonrpc', 'id', 'method', 'params']) &&
    value.jsonrpc === '2.0' &&
    isRequestId(value.id) &&
    typeof value.method === 'string' &&
    isParams(value.params, 'params' in value)
  );
}

export function isJsonRpcNotification(value: unknown): value is JsonObject & { method: string } {
  return (
    isPlainObject(value) &&
    onlyKeys(value, ['jsonrpc', 'method', 'params']) &&
    value.jsonrpc === '2.0' &&
    typeof value.method === 'string' &&
    isParams(value.params, 'params' in value)
  );
}

export function isJsonRpcResultResponse(value: unknown): boolean {
  if (!isPlainObject(value) || !onlyKeys(value, ['jsonrpc', 'id', 'result'])) return false;
  if (value.jsonrpc !== '2.0' || !isRequestId(value.id) || !isPlainObject(value.result)) return false;
  return !('_meta' in value.result) || isPlainObject(value.result._meta);
}

export function isJsonRpcErrorResponse(value: unknown): boolean {
  if (!isPlainObject(value) || !onlyKeys(value, ['jsonrpc', 'id', 'error'])) return false;
  if (value.jsonrpc !== '2.0' || ('id' in value && !isRequestId(value.id))) return false;
  const error = value.error;
  return isPlainObject(error) && Number.isSafeInteger(error.code) && typeof error.message === 'string';
}

/** Any of the four message kinds. */
export function isJsonRpcMessage(value: unknown): boolean {
  return (
    isJsonRpcRequest(value) ||
    isJsonRpcNotification(value) ||
    isJsonRpcResultResponse(value) ||
    isJsonRpcErrorResponse(value)
  );
}
