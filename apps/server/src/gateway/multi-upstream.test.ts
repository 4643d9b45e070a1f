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
