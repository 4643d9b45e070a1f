import {
  AuthenticationError,
  createPrincipal,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RATELIMIT_ERROR_CODES } from './errors.js';
import type { BruteForceOptions } from './options.js';
import { rateLimit } from './plugin.js';

/** `Bearer good` authenticates; any other Bearer value is a bad credential. */
function bearerAuth(): WardenPlugin {
  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'bearer-test',
    authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return undefined;
      if (header !== 'Bearer good') throw new AuthenticationError({ reason: 'unknown bearer key' });
      return createPrincipal({ id: 'good', kind: 'test' });
    },
    challenge: () => ({ scheme: 'Bearer', params: { realm: 'mcp-warden' } }),
  };
}

function createServer(): McpServer {
  const server = new McpServer({ name: 'lockout-response', version: '1.0.0' });
  server.registerTool('work', { inputSchema: { n: z.number() } }, async ({ n }) => ({
    content: [{ type: 'text', text: String(n) }],
  }));
  return server;
}

let nextId = 1;
function call(server: TestHttpServer, key: string): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: { name: 'work', arguments: { n: 1 } },
    }),
  });
}

/** `scheme k="v", k2="v2"` → scheme and params (quoted-string values, `\` escapes). */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g))
    params[m[1] as string] = (m[2] as string).replace(/\\(.)/g, '$1');
  return { scheme, params };
}

interface Variant {
  name: string;
  bruteForce: Partial<BruteForceOptions>;
  /** Bad keys sent (each expected 401) before the refused attempt. */
  failures: readonly string[];
  /** The refused attempt's key. */
  refused: string;
  code: string;
  scope: 'credential' | 'address';
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'one credential in cool-down',
    bruteForce: { slowAfter: 1, maxFailures: 10, slowdownSeconds: 20, maxSlowdownSeconds: 60 },
    failures: ['bad-secret-aaaaaaaa'],
    refused: 'bad-secret-aaaaaaaa',
    code: RATELIMIT_ERROR_CODES.AUTH_COOLDOWN,
    scope: 'credential',
  },
  {
    name: 'one credential blocked',
    bruteForce: { slowAfter: 2, maxFailures: 2, blockSeconds: 120 },
    failures: ['bad-secret-bbbbbbbb', 'bad-secret-bbbbbbbb'],
    refused: 'bad-secret-bbbbbbbb',
    code: RATELIMIT_ERROR_CODES.AUTH_BLOCKED,
    scope: 'credential',
  },
  {
    name: 'the whole address blocked',
    bruteForce: { slowAfter: 3, maxFailures: 3, addressMaxFailures: 3, blockSeconds: 300 },
    failures: ['bad-secret-cccccc01', 'bad-secret-cccccc02', 'bad-secret-cccccc03'],
    refused: 'bad-secret-cccccc04',
    code: RATELIMIT_ERROR_CODES.AUTH_BLOCKED,
    scope: 'address',
  },
  {
    name: 'the whole address blocked, custom realm',
    bruteForce: { slowAfter: 1, maxFailures: 1, addressMaxFailures: 2, realm: 'example "corp"' },
    failures: ['bad-secret-dddddd01', 'bad-secret-dddddd02'],
    refused: 'good',
    code: RATELIMIT_ERROR_CODES.AUTH_BLOCKED,
    scope: 'address',
  },
];

describe('the 429 of an authentication lockout', () => {
  const messages: string[] = [];

  it.each(VARIANTS)(
    '$name: 429, Retry-After, a Bearer challenge and a JSON-RPC body that says what to do',
    async (variant) => {
      const server = await startTestHttpServer({
        plugins: [rateLimit({ rules: [], bruteForce: variant.bruteForce }), bearerAuth()],
        createServer,
        sessions: 'stateless',
      });
      let response: Response;
      let text: string;
      try {
        for (const key of variant.failures) {
          const failed = await call(server, key);
          expect(failed.status).toBe(401);
          await failed.text();
        }
        response = await call(server, variant.refused);
        text = await response.text();
      } finally {
        await server.close();
      }
      expect(response.status).toBe(429);
      const retryAfter = response.headers.get('retry-after');
      expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);

      const header = response.headers.get('www-authenticate') ?? '';
      const challenge = parseChallenge(header);
      expect(challenge.scheme).toBe('Bearer');
      expect(challenge.params.realm).toBe(variant.bruteForce.realm ?? 'mcp-warden');
      expect(challenge.params.error_description).toMatch(/too many failed authentication attempts/i);
      // The SDK client's own parser reads it without error (and finds no RFC 6750 error code to act on).
      expect(extractWWWAuthenticateParams(response).error).toBeUndefined();

      const body = JSON.parse(text) as {
        jsonrpc: string;
        error: { code: number; message: string; data: { code: string; retryAfterSeconds: number } };
      };
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error.code).toBe(-32029);
      expect(body.error.message).toBe(
        `Too many failed authentication attempts: try again in ${retryAfter} s.`,
      );
      expect(body.error.data).toEqual({ code: variant.code, retryAfterSeconds: Number(retryAfter) });
      // Never which counter refused, nor anything of the credential (`data.code` tells cool-down from block).
      for (const leak of [/address/i, /credential/i, /bad-secret/, /good/])
        expect(`${header}\n${text}`).not.toMatch(leak);
      expect(`${header}\n${body.error.message}`).not.toMatch(/cool-?down|block/i);
      messages.push(body.error.message.replace(/\d+/g, 'N'));

      // The event does say which check it was.
      const refusal = server.events.ofType('rate.limited').find((e) => e.details?.rule === 'brute-force');
      expect(refusal?.details).toMatchObject({ scope: variant.scope, code: variant.code });
    },
  );

  it('reads the same whichever check refused', () => {
    expect(messages).toHaveLength(VARIANTS.length);
    expect(new Set(messages).size).toBe(1);
  });
});
