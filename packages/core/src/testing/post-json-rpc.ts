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
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(message),
  });
}
