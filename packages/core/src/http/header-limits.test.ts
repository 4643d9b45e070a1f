import { connect } from 'node:net';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink, SecurityEventBus } from '../events.js';
import { type ListeningServer, listen } from './listen.js';

/** Sends raw bytes and returns everything the server answered before it closed the connection. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('requests the HTTP parser refuses get a clear answer', () => {
  const sink = new MemoryEventSink();
  let server: ListeningServer;
  beforeAll(async () => {
    server = await listen((_req, res) => res.end('ok'), {
      port: 0,
      maxHeaderSize: 8192,
      events: new SecurityEventBus([sink]),
    });
  });
  afterAll(() => server.close());

  it('an oversized Authorization header: 431 with a JSON-RPC body and a Bearer challenge the SDK reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 8200, max: 60_000 }),
        fc.constantFrom('Authorization: Bearer ', 'Authorization: Basic ', 'X-Api-Key: ', 'Cookie: a='),
        async (size, header) => {
          const answer = parse(
            await raw(
              server.port,
              `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n${header}${'k'.repeat(size)}\r\n\r\n`,
            ),
          );
          expect(answer.status).toBe(431);
          expect(answer.headers.get('connection')).toBe('close');
          const body = JSON.parse(answer.body);
          expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
          expect(body.error.message).toContain('at most 8192 bytes');
          expect(answer.body).not.toContain('kkkk');
          const challenge = answer.headers.get('www-authenticate') ?? '';
          const response = new Response(null, { status: 401, headers: { 'www-authenticate': challenge } });
          expect(extractWWWAuthenticateParams(response).error).toBe('invalid_request');
        },
      ),
      { numRuns: 15 },
    );
    const events = sink.ofType('request.rejected').filter((e) => e.details?.code === 'HEADERS_TOO_LARGE');
    expect(events.length).toBeGreaterThanOrEqual(15);
    expect(JSON.stringify(events)).not.toContain('kkkk');
  });

  it('malformed header bytes: 400 with a JSON-RPC body, recorded', async () => {
    const answer = parse(
      await raw(server.port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Evil: a\u0001b\r\n\r\n'),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe(-32600);
    expect(sink.ofType('request.rejected').some((e) => e.details?.code === 'MALFORMED_REQUEST')).toBe(true);
  });
});
