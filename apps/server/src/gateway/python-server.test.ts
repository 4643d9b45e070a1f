import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../test-support.js';
import { PYTHON_NOTES_SERVER } from './fixtures/paths.js';
import { connectV1, errorOf, startTestGateway, type TestGateway, textOf, until } from './test-gateway.js';

// A tutorial-style Python stdio server that checks nothing itself (read_file follows "../", schemas are only
// advertised, `leak` returns a credential): the gateway's ACL, validation and sanitize protect it end to end.

describe('gateway in front of a Python stdio server', () => {
  let gateway: TestGateway;
  let reader: Client;
  let admin: Client;
  let root: string;

  beforeAll(async () => {
    root = join(tempDataDir(), '..', 'root');
    mkdirSync(join(root, 'public'), { recursive: true });
    writeFileSync(join(root, 'public', 'readme.txt'), 'public readme');
    writeFileSync(join(root, 'secret.txt'), 'the secret outside public/');
    gateway = await startTestGateway({
      upstreams: [
        {
          name: 'notes',
          command: 'python3',
          args: [PYTHON_NOTES_SERVER],
          env: { FIXTURE_ROOT: root },
          inheritEnv: ['PATH'],
        },
      ],
      env: { GATEWAY_ONLY_SECRET: 'do-not-pass-me' },
      server: { requestTimeoutMs: 4000 },
      plugins: {
        toolPinning: { enabled: true },
        acl: {
          policy: {
            version: 1,
            roles: { reader: {}, admin: { inherits: ['reader'] } },
            rules: [
              {
                effect: 'allow',
                subjects: ['authenticated'],
                actions: ['tools:list', 'resources:list', 'prompts:list'],
              },
              {
                effect: 'allow',
                subjects: ['role:reader'],
                actions: ['tools:call'],
                targets: ['{echo,add,leak,env_names,slow,crash,ask_llm}'],
              },
              {
                effect: 'allow',
                subjects: ['role:reader'],
                actions: ['tools:call'],
                targets: ['read_file'],
                when: [{ arg: 'path', under: 'public' }],
              },
              {
                effect: 'allow',
                subjects: ['role:reader'],
                actions: ['resources:read'],
                targets: ['note://public/**'],
              },
              { effect: 'allow', subjects: ['role:admin'], actions: ['*'] },
            ],
          },
        },
      },
    });
    reader = await connectV1(gateway.url, await gateway.key(['reader']));
    admin = await connectV1(gateway.url, await gateway.key(['admin']));
    // Tool pinning trusts the first list (clients list before they call): the definitions are pinned here.
    await admin.listTools();
  }, 60_000);
  afterAll(async () => {
    await reader?.close();
    await admin?.close();
    await gateway?.close();
  });

  it('keeps read_file inside public/ whatever the path says', async () => {
    expect(
      textOf(await reader.callTool({ name: 'read_file', arguments: { path: 'public/readme.txt' } })),
    ).toBe('public readme');
    for (const path of [
      'secret.txt',
      'public/../secret.txt',
      'public//../secret.txt',
      './public/../secret.txt',
    ]) {
      const error = await errorOf(reader.callTool({ name: 'read_file', arguments: { path } }));
      expect(error?.code, path).toBe(-32003);
    }
  });

  it('validates arguments against the schema the server only advertised', async () => {
    const error = await errorOf(reader.callTool({ name: 'add', arguments: { a: '2', b: '3' } }));
    expect(error?.code).toBe(-32602);
    expect(textOf(await reader.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
  });

  it('sanitizes what the server returns', async () => {
    const text = textOf(await reader.callTool({ name: 'leak', arguments: {} }));
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(text).not.toContain('\u001b[');
    expect(gateway.events.some((e) => e.type === 'content.sanitized')).toBe(true);
  });

  it("gives the process only its entry's environment", async () => {
    const names = textOf(await reader.callTool({ name: 'env_names', arguments: {} }));
    expect(names).toContain('FIXTURE_ROOT');
    expect(names).not.toContain('GATEWAY_ONLY_SECRET');
    expect(names).not.toContain('HOME');
  });

  it('hides a private resource from a reader and refuses to read it', async () => {
    const uris = (await reader.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(['note://public/readme']);
    expect((await errorOf(reader.readResource({ uri: 'note://private/plans' })))?.code).toBe(-32003);
  });

  it('relays a sampling request from the server to the client that called, sanitized', async () => {
    const client = new Client({ name: 'sampler', version: '1.0.0' }, { capabilities: { sampling: {} } });
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(JSON.stringify(request.params.messages));
      return { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'test-model' };
    });
    await client.connect(
      new StreamableHTTPClientTransport(gateway.url, {
        requestInit: { headers: { authorization: `Bearer ${await gateway.key(['reader'], 'sampler')}` } },
      }),
    );
    // The server's request goes to the client's model: the output rules apply to it (a credential is redacted).
    const answer = await client.callTool({
      name: 'ask_llm',
      arguments: { question: 'the answer? my key is AKIAZ3MXQ7RT2VBN4K6P' },
    });
    expect(textOf(answer)).toContain('forty-two');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('the answer?');
    expect(asked[0]).not.toContain('AKIAZ3MXQ7RT2VBN4K6P');
    await client.close();
  });

  it('cancels upstream when the client gives up, and when the gateway times the call out', async () => {
    const controller = new AbortController();
    const call = reader.callTool({ name: 'slow', arguments: { ms: 3000 } }, undefined, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    await expect(call).rejects.toThrow();
    await until(() => gateway.log.some((line) => /slow \S+ cancelled/.test(line)));
    const cancelledBefore = gateway.log.filter((line) => /slow \S+ cancelled/.test(line)).length;
    // requestTimeoutMs is 4000: the gateway answers -32001 and tells the server.
    const timedOut = await errorOf(
      reader.callTool({ name: 'slow', arguments: { ms: 8000 } }, undefined, { timeout: 20_000 }),
    );
    expect(timedOut?.code).toBe(-32001);
    await until(() => gateway.log.filter((line) => /slow \S+ cancelled/.test(line)).length > cancelledBefore);
  }, 30_000);

  it('survives the process crashing mid-call: an error now, a working call after the restart', async () => {
    const crashed = await errorOf(reader.callTool({ name: 'crash', arguments: {} }));
    expect(crashed?.code).toBe(-32051);
    await until(() => gateway.events.some((e) => e.type === 'upstream.restarted'));
    expect(textOf(await reader.callTool({ name: 'echo', arguments: { text: 'after' } }))).toContain('after');
    expect(gateway.events.some((e) => e.type === 'upstream.failed' && e.details?.kind === 'exited')).toBe(
      true,
    );
  }, 20_000);

  it('holds a tool whose definition changed (rug pull) until an operator approves it', async () => {
    expect((await admin.listTools()).tools.map((t) => t.name)).toContain('echo');
    await admin.callTool({ name: 'mutate_tools', arguments: {} });
    const listed = (await admin.listTools()).tools.map((t) => t.name);
    expect(listed).not.toContain('echo');
    expect((await errorOf(admin.callTool({ name: 'echo', arguments: { text: 'x' } })))?.code).toBeDefined();
    expect(gateway.events.some((e) => e.type === 'tool.held' && e.details?.tool === 'echo')).toBe(true);
  });
});
