import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_NOTES_SERVER } from './fixtures/paths.js';
import { ADMIN_ONLY_ACL, connectV1, startTestGateway, type TestGateway } from './test-gateway.js';

// Several upstreams: one endpoint each (`/mcp/<name>`), names kept as the upstreams wrote them, and every plugin
// told which upstream a request is for (ctx.upstream) — here tool pinning, which pins each upstream apart.
describe('a gateway with several upstreams', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    const python = (name: string) => ({ name, command: 'python3', args: [PYTHON_NOTES_SERVER] });
    gateway = await startTestGateway({
      upstreams: [python('alpha'), python('beta')],
      plugins: {
        toolPinning: { enabled: true },
        ...ADMIN_ONLY_ACL,
      },
    });
  }, 60_000);
  afterAll(() => gateway?.close());

  it('serves each upstream at its own endpoint', () => {
    expect(gateway.server.gatewayEndpoints).toEqual([
      { path: '/mcp/alpha', upstream: 'alpha' },
      { path: '/mcp/beta', upstream: 'beta' },
    ]);
  });

  it('pins each upstream apart: a rug pull on one holds its tool there only', async () => {
    const key = await gateway.key(['admin']);
    const alpha = await connectV1(gateway.endpoint('alpha'), key);
    const beta = await connectV1(gateway.endpoint('beta'), key);
    expect((await alpha.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect((await beta.listTools()).tools.map((t) => t.name)).toContain('echo');
    await alpha.callTool({ name: 'mutate_tools', arguments: {} });
    expect((await alpha.listTools()).tools.map((t) => t.name)).not.toContain('echo');
    expect((await beta.listTools()).tools.map((t) => t.name)).toContain('echo');
    await expect(alpha.callTool({ name: 'echo', arguments: { text: 'a' } })).rejects.toThrow(/held/);
    const echoed = await beta.callTool({ name: 'echo', arguments: { text: 'b' } });
    expect(JSON.stringify(echoed)).toContain('b');
    const held = gateway.events.filter((e) => e.type === 'tool.held');
    expect(held.length).toBeGreaterThan(0);
    expect(new Set(held.map((e) => e.details?.upstream))).toEqual(new Set(['alpha']));
    await alpha.close();
    await beta.close();
  });
});

describe('an upstream with its own access policy', () => {
  // The main policy lets admins do everything; beta's own policy lets them only add. Both are default-deny and
  // both must allow a request for beta, so beta's file can only narrow what the main policy grants.
  let gateway: TestGateway;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-upstream-policy-'));
    const betaPolicy = join(dir, 'beta-policy.json');
    writeFileSync(
      betaPolicy,
      JSON.stringify({
        version: 1,
        roles: { admin: {} },
        rules: [
          { effect: 'allow', subjects: ['authenticated'], actions: ['tools:list', 'logging:setLevel'] },
          { effect: 'allow', subjects: ['role:admin'], actions: ['tools:call'], targets: ['add'] },
        ],
      }),
    );
    const python = (name: string) => ({ name, command: 'python3', args: [PYTHON_NOTES_SERVER] });
    gateway = await startTestGateway({
      upstreams: [python('alpha'), { ...python('beta'), policyFile: betaPolicy }],
      plugins: { ...ADMIN_ONLY_ACL },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the upstream's policy to its requests only, in lists and in calls", async () => {
    const key = await gateway.key(['admin']);
    const alpha = await connectV1(gateway.endpoint('alpha'), key);
    const beta = await connectV1(gateway.endpoint('beta'), key);
    try {
      expect((await alpha.listTools()).tools.map((t) => t.name)).toContain('echo');
      expect((await beta.listTools()).tools.map((t) => t.name)).toEqual(['add']);
      expect(JSON.stringify(await alpha.callTool({ name: 'echo', arguments: { text: 'a' } }))).toContain('a');
      expect(JSON.stringify(await beta.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toContain('5');
      await expect(beta.callTool({ name: 'echo', arguments: { text: 'b' } })).rejects.toThrow(/denied/i);
      const denied = gateway.events.filter((e) => e.type === 'access.denied');
      expect(denied.at(-1)).toMatchObject({ plugin: 'acl-beta', target: 'echo' });
    } finally {
      await alpha.close();
      await beta.close();
    }
  });

  it('refuses to start when an upstream policy file is missing', async () => {
    await expect(
      startTestGateway({
        upstreams: [
          {
            name: 'gone',
            command: 'python3',
            args: [PYTHON_NOTES_SERVER],
            policyFile: join(dir, 'nope.yaml'),
          },
        ],
        plugins: { ...ADMIN_ONLY_ACL },
      }),
    ).rejects.toThrow(/nope\.yaml of upstream "gone" is missing/);
  });
});
