import { describe, expect, it } from 'vitest';
import { tokenAuth } from './__fixtures__/plugins.js';
import { CORE_ERROR_CODES, ConfigError, WardenError } from './errors.js';
import { MemoryEventSink, type SecurityEventSink } from './events.js';
import { pinoSink } from './pino-sink.js';
import type { EdgeRequest, WardenPlugin } from './plugin.js';
import { serviceKey } from './plugin.js';
import { createWarden } from './warden.js';

async function setupError(plugins: unknown[]): Promise<WardenError> {
  const error = await createWarden({ plugins: plugins as WardenPlugin[] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WardenError.isInstance(error)).toBe(true);
  expect((error as WardenError).code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
  return error as WardenError;
}

describe('createWarden', () => {
  it('refuses a plugin written against another contract version', async () => {
    const error = await setupError([{ specVersion: 2, name: 'future' }]);
    expect(error.message).toMatch(/"future" does not satisfy the MCP Warden plugin contract v1/);
  });

  it('lists every bad warden option in one ConfigError, in the format plugins use', async () => {
    const error = await createWarden({ allowAnonymous: 'yes', resourceUrl: 'not a url' } as never).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe(
      [
        'createWarden: invalid options (2 problems):',
        '  ✖ allowAnonymous: Invalid input: expected boolean, received string (fix: give a boolean)',
        '  ✖ resourceUrl: Invalid URL (fix: give a valid url)',
      ].join('\n'),
    );
  });

  it('refuses bad names and duplicates', async () => {
    expect((await setupError([{ specVersion: 1, name: 'Bad Name' }])).message).toMatch(/kebab-case/);
    expect((await setupError([tokenAuth(), tokenAuth()])).message).toMatch(/registered twice/);
  });

  it('refuses a plugin whose dependency is missing, naming what provides it', async () => {
    const acl = { specVersion: 1, name: 'acl', requires: ['authentication'] };
    expect((await setupError([acl])).message).toMatch(/"acl" requires "authentication".*apikey-auth/);
    await (await createWarden({ plugins: [tokenAuth(), acl as WardenPlugin] })).close();
  });

  it('wraps a crashing setup in a ConfigError and closes the plugins already set up', async () => {
    let closed = false;
    const first: WardenPlugin = {
      specVersion: 1,
      name: 'first',
      setup: () => undefined,
      close: () => void (closed = true),
    };
    const second: WardenPlugin = {
      specVersion: 1,
      name: 'second',
      setup: () => {
        throw new Error('cannot reach store');
      },
    };
    expect((await setupError([first, second])).message).toMatch(
      /"second" failed to set up: cannot reach store/,
    );
    expect(closed).toBe(true);
  });

  it('refuses invalid warden options', async () => {
    await expect(createWarden({ requestTimeoutMs: -1 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('shares services between plugins and refuses a missing one clearly', async () => {
    const KEY = serviceKey<{ hello(): string }>('test.greeter');
    let got = '';
    const provider: WardenPlugin = {
      specVersion: 1,
      name: 'provider',
      setup: (ctx) => ctx.services.provide(KEY, { hello: () => 'hi' }),
    };
    const consumer: WardenPlugin = {
      specVersion: 1,
      name: 'consumer',
      setup: (ctx) => void (got = ctx.services.require(KEY).hello()),
    };
    await (await createWarden({ plugins: [provider, consumer] })).close();
    expect(got).toBe('hi');
    expect((await setupError([consumer])).message).toMatch(/Service "test.greeter" is not available/);
  });

  it('hands onEvent the request an authentication event is about: the object admit saw', async () => {
    const admitted: EdgeRequest[] = [];
    const seen: { type: string; edge: EdgeRequest | undefined }[] = [];
    const observer: WardenPlugin = {
      specVersion: 1,
      name: 'observer',
      admit: (request) => {
        admitted.push(request);
      },
      onEvent: (event, source) => {
        if (event.type.startsWith('auth.')) seen.push({ type: event.type, edge: source.edge });
      },
    };
    const warden = await createWarden({ plugins: [observer, tokenAuth()] });
    const requests = ['Bearer good:alice', 'Bearer wrong', undefined].map(
      (authorization): EdgeRequest => ({
        transport: 'http',
        headers: { authorization },
        remoteAddress: '127.0.0.1',
      }),
    );
    for (const request of requests) await warden.pipeline.authenticate(request).catch(() => undefined);
    expect(seen.map((s) => s.type)).toEqual(['auth.succeeded', 'auth.failed', 'auth.failed']);
    expect(admitted).toEqual(requests);
    for (const [i, s] of seen.entries()) expect(s.edge).toBe(requests[i]);
    await warden.close();
  });

  it('authenticates a stdio process from its environment', async () => {
    const warden = await createWarden({ plugins: [tokenAuth()] });
    expect((await warden.authenticateEnvironment({ TEST_TOKEN: 'good:bob' })).id).toBe('bob');
    await expect(warden.authenticateEnvironment({})).rejects.toThrow(/Authentication required/);
    await warden.close();
  });

  it.each([
    ['pinoSink({ destination: 1 })', () => pinoSink({ destination: 1 })],
    ['pinoSink on process.stdout', () => pinoSink({ destination: process.stdout })],
    [
      'a custom sink that says it writes to stdout',
      (): SecurityEventSink => ({ write() {}, writesToStdout: true }),
    ],
  ])('connectStdio refuses %s: stdout carries the JSON-RPC stream', async (_name, make) => {
    const warden = await createWarden({ plugins: [tokenAuth()], sinks: [new MemoryEventSink(), make()] });
    const server = { connect: async () => undefined, close: async () => undefined };
    const error = await warden.connectStdio(server, { env: { TEST_TOKEN: 'good:bob' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/writes to stdout[\s\S]*pinoSink\(\{ destination: 2 \}\)/);
    await warden.close();
  });
});
