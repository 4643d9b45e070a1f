import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { RateLimitError } from '../errors.js';
import { MemoryEventSink } from '../events.js';
import type { WardenPlugin } from '../plugin.js';
import { connectHttpClient } from '../testing/index.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenHttpHandler } from './edge.js';
import { type ListeningServer, type ListenOptions, listen } from './listen.js';

/** `x-locked: 1` makes authentication answer 429 (a brute-force lockout happens there too). */
const lockout: WardenPlugin = {
  specVersion: 1,
  name: 'lockout',
  authenticate(request) {
    if (request.headers['x-locked']) throw new RateLimitError({ retryAfterSeconds: 3, reason: 'locked' });
    return undefined;
  },
};

interface Setup {
  warden: Warden;
  handler: WardenHttpHandler;
  listening: ListeningServer;
  events: MemoryEventSink;
  url: URL;
}
let setup: Setup | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (setup) {
    await setup.handler.close();
    await setup.listening.close();
    await setup.warden.close();
  }
  setup = undefined;
});

async function start(listenOptions: ListenOptions = {}): Promise<Setup> {
  const events = new MemoryEventSink();
  const warden = await createWarden({ plugins: [lockout, tokenAuth()], sinks: [events] });
  const handler = warden.httpHandler({ createServer: demoServer, sessions: 'stateless' });
  const listening = await listen(handler, {
    host: '127.0.0.1',
    port: 0,
    events: warden.events,
    ...listenOptions,
  });
  setup = { warden, handler, listening, events, url: new URL('/mcp', listening.origin) };
  return setup;
}

interface Raw {
  socket: Socket;
  received: () => string;
  /** Resolves when the server closes the connection; rejects after `ms`. */
  closedWithin: (ms: number) => Promise<void>;
}

function openRaw(port: number, text = ''): Promise<Raw> {
  return new Promise((resolve, reject) => {
    let data = '';
    let closed = false;
    const waiters: Array<() => void> = [];
    const socket = connect(port, '127.0.0.1', () =>
      resolve({
        socket,
        received: () => data,
        closedWithin: (ms) =>
          new Promise<void>((ok, fail) => {
            if (closed) return ok();
            const timer = setTimeout(() => fail(new Error(`connection still open after ${ms} ms`)), ms);
            waiters.push(() => {
              clearTimeout(timer);
              ok();
            });
          }),
      }),
    );
    sockets.push(socket);
    if (text) socket.write(text);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      for (const w of waiters.splice(0)) w();
    });
    socket.once('error', reject);
  });
}

/** A POST whose chunked body has only begun; the client would send the rest one byte at a time. */
function slowPost(headers: Record<string, string>, path = '/mcp', method = 'POST'): string {
  const lines = Object.entries({
    Host: '127.0.0.1',
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'Transfer-Encoding': 'chunked',
    ...headers,
  })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${path} HTTP/1.1\r\n${lines}\r\n1\r\n{\r\n`;
}

const AUTH = { Authorization: 'Bearer good:alice' };
const EARLY_REFUSALS: Array<[string, Record<string, string>, string?, string?]> = [
  ['401 no credential', {}],
  ['401 invalid credential', { Authorization: 'Bearer forged' }],
  ['401 credential in the query', {}, '/mcp?access_token=x'],
  ['403 foreign Host', { ...AUTH, Host: 'evil.example.com' }],
  ['403 foreign Origin', { ...AUTH, Origin: 'http://evil.example.com' }],
  ['404 unknown path', AUTH, '/elsewhere'],
  ['405 method', AUTH, '/mcp', 'PUT'],
  ['406 Accept', { ...AUTH, Accept: 'text/html' }],
  ['415 Content-Type', { ...AUTH, 'Content-Type': 'text/plain' }],
  ['429 lockout at authentication', { ...AUTH, 'x-locked': '1' }],
];

describe('a refusal sent before the body is read closes the connection', () => {
  for (const [name, headers, path, method] of EARLY_REFUSALS) {
    it(name, async () => {
      const { listening } = await start();
      const raw = await openRaw(listening.port, slowPost(headers, path, method));
      // Keep dribbling, as the attacker does; the server must not wait for the end.
      const drip = setInterval(() => raw.socket.writable && raw.socket.write('1\r\n \r\n'), 100);
      try {
        await raw.closedWithin(3000);
      } finally {
        clearInterval(drip);
      }
      const status = name.slice(0, 3);
      expect(raw.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
      expect(raw.received()).toMatch(/\r\nConnection: close\r\n/i);
    });
  }

  it('a request whose body was read keeps its keep-alive connection, refused or served', async () => {
    const { listening } = await start();
    const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const notRpc = '{"hello":"world"}';
    const request = (body: string) =>
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer good:alice\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const raw = await openRaw(listening.port, request(notRpc));
    await expect
      .poll(() => raw.received())
      .toMatch(/^HTTP\/1\.1 400[\s\S]*"BAD_REQUEST"[\s\S]*\r\n0\r\n\r\n$/);
    raw.socket.write(request(ping));
    await expect.poll(() => raw.received()).toMatch(/HTTP\/1\.1 200[\s\S]*"result":\{\}/);
    expect(raw.received()).not.toMatch(/Connection: close/i);
    expect(raw.received().match(/Connection: keep-alive/gi)).toHaveLength(2);
    expect(raw.socket.destroyed).toBe(false);
  });
});

describe('slow unauthenticated bodies do not starve legitimate clients', () => {
  it('50 slow chunked bodies: every one is closed, and a legitimate client is served throughout', async () => {
    const { listening, url } = await start();
    const attackers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        openRaw(listening.port, slowPost(i % 2 ? {} : { Authorization: 'Bearer forged' })),
      ),
    );
    const drip = setInterval(() => {
      for (const a of attackers) if (a.socket.writable) a.socket.write('1\r\n \r\n');
    }, 100);
    try {
      const client = await connectHttpClient(url, { headers: { authorization: 'Bearer good:alice' } });
      for (let i = 0; i < 20; i++) {
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        expect(result.content).toEqual([{ type: 'text', text: 'alice' }]);
      }
      await client.close();
      await Promise.all(attackers.map((a) => a.closedWithin(5000)));
    } finally {
      clearInterval(drip);
    }
  });

  it('connections that never finish their headers: only the cap per address stays open, the oldest go', async () => {
    const { listening, url, events } = await start({ maxUnauthenticatedConnectionsPerAddress: 10 });
    const idle: Raw[] = [];
    for (let i = 0; i < 50; i++) idle.push(await openRaw(listening.port, 'POST /mcp HTTP/1.1\r\nHost: 1'));
    await expect.poll(() => idle.filter((r) => !r.socket.destroyed).length).toBeLessThanOrEqual(10);
    // The first 40 were closed, the last 10 are the ones still open.
    await Promise.all(idle.slice(0, 40).map((r) => r.closedWithin(3000)));
    expect(idle.slice(40).every((r) => !r.socket.destroyed)).toBe(true);
    expect(
      events.ofType('request.rejected').filter((e) => e.details?.code === 'CONNECTION_LIMIT').length,
    ).toBe(40);
    // A legitimate client from the same address gets in, and its authenticated connection is not counted.
    const client = await connectHttpClient(url, { headers: { authorization: 'Bearer good:alice' } });
    for (let i = 0; i < 5; i++) {
      await openRaw(listening.port, 'GET /mcp HTTP/1.1\r\n');
      expect((await client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
        { type: 'text', text: 'alice' },
      ]);
    }
    await client.close();
  });
});

describe('listen timeouts', () => {
  it('a request whose body never completes is answered 408 and closed after requestReceiveTimeoutMs', async () => {
    // A handler that neither reads nor answers: only the server's own timeout can end this.
    const listening = await listen(() => undefined, {
      port: 0,
      headersTimeoutMs: 300,
      requestReceiveTimeoutMs: 600,
    });
    try {
      const raw = await openRaw(listening.port, slowPost({}));
      await raw.closedWithin(4000);
      expect(raw.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await listening.close();
    }
  });

  it('has documented defaults and refuses inconsistent values', async () => {
    const listening = await listen(() => undefined, { port: 0 });
    try {
      expect(listening.server.headersTimeout).toBe(10_000);
      expect(listening.server.requestTimeout).toBe(30_000);
    } finally {
      await listening.close();
    }
    await expect(
      listen(() => undefined, { port: 0, headersTimeoutMs: 5000, requestReceiveTimeoutMs: 1000 }),
    ).rejects.toThrow(/headersTimeoutMs \(5000\) must not be above requestReceiveTimeoutMs/);
    await expect(
      listen(() => undefined, { port: 0, maxUnauthenticatedConnectionsPerAddress: -1 }),
    ).rejects.toThrow(/non-negative integer/);
  });
});
