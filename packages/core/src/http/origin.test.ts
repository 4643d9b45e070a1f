import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { createOriginCheck } from './origin.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

describe('default Origin check: an allowed host on the port the request was sent to', () => {
  const check = createOriginCheck(undefined, LOOPBACK);
  const host = '127.0.0.1:3000';
  const table: Array<[string, boolean]> = [
    ['http://127.0.0.1:3000', true],
    ['http://localhost:3000', true],
    ['http://[::1]:3000', true],
    ['https://localhost:3000', true],
    ['HTTP://LOCALHOST:3000', true],
    ['http://localhost:9999', false],
    ['http://127.0.0.1:9999', false],
    ['http://[::1]:3001', false],
    ['http://localhost', false],
    ['https://localhost', false],
    ['http://localhost:80', false],
    ['http://localhost:03000', false],
    ['http://localhost:3000/', false],
    ['http://localhost:3000/path', false],
    ['http://user@localhost:3000', false],
    ['http://localhost.evil.com:3000', false],
    ['http://evil.com:3000', false],
    ['http://127.0.0.2:3000', false],
    ['ws://localhost:3000', false],
    ['file://', false],
    ['null', false],
    ['', false],
  ];
  for (const [origin, allowed] of table) {
    it(`${origin || '(empty)'} → ${allowed ? 'allowed' : 'refused'}`, () => {
      expect(check(origin, host)).toBe(allowed);
    });
  }

  it('default ports: a Host without a port matches an Origin without one, by scheme', () => {
    expect(check('http://localhost', 'localhost')).toBe(true);
    expect(check('https://localhost', 'localhost')).toBe(true);
    expect(check('http://localhost:8080', 'localhost')).toBe(false);
    expect(check('http://localhost', 'localhost:443')).toBe(false);
    expect(check('https://localhost', 'localhost:443')).toBe(true);
  });

  it('any loopback origin on another port than the Host is refused (generated)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('localhost', '127.0.0.1', '[::1]'),
        fc.constantFrom('http', 'https'),
        fc.integer({ min: 1, max: 65_535 }),
        fc.integer({ min: 1, max: 65_535 }),
        (name, scheme, originPort, hostPort) => {
          const allowed = check(`${scheme}://${name}:${originPort}`, `localhost:${hostPort}`);
          const isDefault = originPort === (scheme === 'https' ? 443 : 80);
          // A default port is not spelled in a serialized origin, so spelled out it is no origin at all.
          expect(allowed).toBe(originPort === hostPort && !isDefault);
        },
      ),
    );
  });

  it('no allowed hosts (Host check off) and no allowedOrigins: every Origin is refused', () => {
    expect(createOriginCheck(undefined, undefined)('http://localhost:3000', 'localhost:3000')).toBe(false);
  });
});

describe('allowedOrigins', () => {
  const check = createOriginCheck(
    ['https://app.example.com', 'http://localhost:*', 'http://127.0.0.1:5173/'],
    LOOPBACK,
  );
  const table: Array<[string, boolean]> = [
    ['https://app.example.com', true],
    ['https://APP.example.com', true],
    ['https://app.example.com:444', false],
    ['http://app.example.com', false],
    ['http://localhost:9999', true],
    ['http://localhost:1', true],
    ['http://localhost', true],
    ['https://localhost:9999', false],
    ['http://127.0.0.1:9999', false],
    ['http://127.0.0.1:5173', true],
    ['http://127.0.0.1:5174', false],
    ['http://localhost:9999/x', false],
  ];
  for (const [origin, allowed] of table) {
    it(`${origin} → ${allowed ? 'allowed' : 'refused'}`, () => {
      expect(check(origin, 'localhost:3000')).toBe(allowed);
    });
  }

  it('refuses entries that are not origins at setup', () => {
    for (const bad of ['localhost:3000', 'http://x/path', 'ftp://x', 'http://x:1:*', '*', 'http://*:3000'])
      expect(() => createOriginCheck([bad], LOOPBACK), bad).toThrow(/allowedOrigins entry/);
  });
});

describe('Origin over HTTP', () => {
  let srv: TestHttpServer;
  beforeAll(async () => {
    srv = await startTestHttpServer({
      plugins: [tokenAuth()],
      createServer: demoServer,
      sessions: 'stateless',
    });
  });
  afterAll(async () => srv.close());

  it('accepts the own port, refuses another port with 403 and a recorded event', async () => {
    const port = Number(srv.url.port);
    const headers = (origin: string) => ({
      origin,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: 'Bearer good:alice',
    });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const own = await fetch(srv.url, { method: 'POST', headers: headers(`http://localhost:${port}`), body });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(`http://localhost:${port}`);
    await own.text();
    const other = `http://localhost:${port === 9999 ? 9998 : 9999}`;
    const foreign = await fetch(srv.url, { method: 'POST', headers: headers(other), body });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    await foreign.text();
    expect(srv.events.ofType('request.rejected').at(-1)).toMatchObject({
      reason: `Origin "${other}" is not allowed`,
    });
  });
});
