/**
 * `@mcp-warden/core/web` must run where there is no Node: bundled for a worker (platform `neutral`, condition
 * `worker`), its import graph reaches no `node:` module, no bare Node builtin, and neither pino nor SDK 1.x.
 */
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// esbuild comes with tsup (the build); resolved through it, as the build resolves it.
// esbuild is not a direct dependency of core, so its types are not either: the part used here.
type Resolve = { onResolve(options: { filter: RegExp }, run: (args: { path: string }) => unknown): void };
type Esbuild = {
  build(options: Record<string, unknown>): Promise<{
    metafile: { inputs: Record<string, unknown>; outputs: Record<string, { imports: { path: string }[] }> };
    outputFiles: { text: string }[];
  }>;
};
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as Esbuild;
const ENTRY = fileURLToPath(new URL('./web.ts', import.meta.url));
const NODE_ONLY = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

async function bundle(entry: string) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['worker'],
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    minify: true, // no comments: the text check below reads code only
    // Kept out of the bundle so that the check below sees every such import instead of a resolve error.
    plugins: [
      {
        name: 'node-only',
        setup(build: Resolve) {
          build.onResolve({ filter: /.*/ }, (args) =>
            NODE_ONLY.has(args.path) || args.path.startsWith('node:')
              ? { path: args.path, external: true }
              : undefined,
          );
        },
      },
    ],
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  return { imports, inputs: Object.keys(result.metafile.inputs), text: result.outputFiles[0]!.text };
}

describe('@mcp-warden/core/web entry', () => {
  it('bundles for a worker with no node: module, Node builtin, pino or SDK 1.x in its graph', async () => {
    const { imports, inputs, text } = await bundle(ENTRY);
    expect(imports.filter((path) => NODE_ONLY.has(path) || path.startsWith('node:'))).toEqual([]);
    expect(
      inputs.filter((path) => /node_modules\/(\.pnpm\/)?(pino|@modelcontextprotocol[+/]sdk)/.test(path)),
    ).toEqual([]);
    expect(text).not.toMatch(/from\s*["']node:|require\(["']node:/);
    // Workers without nodejs_compat have neither.
    expect(text).not.toMatch(/\bprocess\.|\bBuffer\./);
  });

  it('the check catches a node: import (the main entry has several)', async () => {
    const { imports } = await bundle(fileURLToPath(new URL('./index.ts', import.meta.url)));
    expect(imports.some((path) => path.startsWith('node:'))).toBe(true);
  });
});

describe('createWarden from @mcp-warden/core/web', () => {
  it('serves a fetch upstream through the pipeline and closes it with the warden', async () => {
    const { createWarden, MemoryEventSink } = await import('./web.js');
    const sink = new MemoryEventSink();
    const warden = await createWarden({
      sinks: [sink],
      plugins: [{ specVersion: 1, name: 'hide-all', filterListItem: () => false }],
    });
    const handler = warden.fetchHandler({
      upstream: (_request, options) => {
        const { id } = (options?.parsedBody ?? {}) as { id: number };
        const tools = [{ name: 'a', inputSchema: {} }];
        return Promise.resolve(Response.json({ jsonrpc: '2.0', id, result: { tools } }));
      },
    });
    const request = () =>
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: {
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
    const answer = (await (await handler.fetch(request())).json()) as { result: { tools: unknown[] } };
    expect(answer.result.tools).toEqual([]);
    expect(sink.events.some((e) => e.type === 'access.denied' && e.details?.hidden === 1)).toBe(true);
    await warden.close();
    expect((await handler.fetch(request())).status).toBe(503);
  });
});
