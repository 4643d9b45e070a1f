// The `tools/call` of `echo` in each MCP era, as the SDK v2 benches post it: the 2026-07-28 request carries its
// protocol version and client capabilities in `_meta` and the Mcp-Method / Mcp-Name / MCP-Protocol-Version headers
// that must match the body; the 2025-era request is the plain JSON-RPC call that SDK v2 serves by its stateless
// fallback (no initialize, no session).
import { LEGACY_CALL } from './http-load.ts';

export type Era = 'modern' | 'legacy';

export interface EraCall {
  era: Era;
  /** How the era is named in tables and measures. */
  label: string;
  body: string;
  headers: Record<string, string>;
}

export const MODERN_CALL: EraCall = {
  era: 'modern',
  label: '2026-07-28',
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name: 'echo',
      arguments: { text: 'hello' },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  }),
  headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' },
};

export const LEGACY_ERA_CALL: EraCall = {
  era: 'legacy',
  label: '2025 (stateless)',
  body: LEGACY_CALL,
  // What a 2025 client sends on every request after its handshake.
  headers: { 'mcp-protocol-version': '2025-11-25' },
};

export const ERA_CALLS: readonly EraCall[] = [MODERN_CALL, LEGACY_ERA_CALL];
