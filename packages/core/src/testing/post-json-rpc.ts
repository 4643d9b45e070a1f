/**
 * One raw JSON-RPC POST to a Streamable HTTP endpoint, with the headers a conforming client sends, so a test sees
 * the status, headers and body exactly as the edge answered them (the SDK client would hide them).
 * @example
 * const res = await postJsonRpc(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: 'Bearer x' });
 */
export function postJsonRpc(
  url: string | URL,
  message: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    ...(signal ? { signal } : {}),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(message),
  });
}

/** The `_meta` envelope a 2026-07-28 request carries (protocol version and client capabilities). */
export const MODERN_REQUEST_META: Readonly<Record<string, unknown>> = Object.freeze({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
});

/**
 * One raw 2026-07-28 request, as a conforming client sends it: the `_meta` envelope in `params`, and the
 * `MCP-Protocol-Version`, `Mcp-Method` and (for a named target) `Mcp-Name` headers matching the body. `headers`
 * goes last, so a test can replace or add any of them (a mismatch, a credential).
 * @example
 * const res = await postModernJsonRpc(url, 7, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, { authorization: 'Bearer k' });
 */
export function postModernJsonRpc(
  url: string | URL,
  id: string | number,
  method: string,
  params: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {},
  signal?: AbortSignal,
): Promise<Response> {
  const name =
    typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  return postJsonRpc(
    url,
    { jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_REQUEST_META } },
    {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name === undefined ? {} : { 'mcp-name': name }),
      ...headers,
    },
    signal,
  );
}
