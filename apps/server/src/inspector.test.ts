import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, inspect, type SpawnedServer, spawnServer, tempDataDir } from './test-support.js';

const ROLES = ['reader', 'writer', 'admin'] as const;

/** What every role is meant to do with the default policy, as the official Inspector CLI asks for it. */
const METHODS: ReadonlyArray<[string, string[], (result: Record<string, unknown>) => void]> = [
  ['logging/setLevel', ['--method', 'logging/setLevel', '--log-level', 'debug'], () => undefined],
  [
    'tools/list',
    ['--method', 'tools/list'],
    (r) => expect((r.tools as { name: string }[]).map((t) => t.name)).toContain('echo'),
  ],
  [
    'tools/call echo',
    ['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'text=inspected'],
    (r) => expect(JSON.stringify(r.content)).toContain('inspected'),
  ],
  [
    'resources/list',
    ['--method', 'resources/list'],
    (r) =>
      expect((r.resources as { uri: string }[]).map((x) => x.uri)).toContain('file:///public/welcome.txt'),
  ],
  [
    'prompts/get summarize_notes',
    ['--method', 'prompts/get', '--prompt-name', 'summarize_notes', '--prompt-args', 'topic=ci'],
    (r) => expect(JSON.stringify(r.messages)).toContain('Summarise my notes about'),
  ],
];

const dataDir = tempDataDir();
const keys: Record<string, string> = {};
let server: SpawnedServer;

beforeAll(async () => {
  for (const role of ROLES) {
    const created = spawnSync(
      process.execPath,
      [CLI, 'keys', 'create', '--data-dir', dataDir, '--name', role, '--roles', role, '--json'],
      { encoding: 'utf8' },
    );
    expect(created.status, created.stderr).toBe(0);
    keys[role] = JSON.parse(created.stdout).key;
  }
  server = await spawnServer(['--data-dir', dataDir]);
});
afterAll(() => server?.stop());

describe.each(ROLES)('the MCP Inspector CLI with the default policy, as %s', (role) => {
  it.each(METHODS)('over HTTP: %s succeeds', async (_name, args, check) => {
    check(
      await inspect([
        server.url.href,
        '--transport',
        'http',
        '--header',
        `Authorization: Bearer ${keys[role]}`,
        ...args,
      ]),
    );
  });

  it.each(METHODS)('over stdio: %s succeeds', async (_name, args, check) => {
    check(
      await inspect([
        '--transport',
        'stdio',
        '-e',
        `MCP_WARDEN_API_KEY=${keys[role]}`,
        ...args,
        '--',
        process.execPath,
        CLI,
        'serve',
        '--stdio',
        '--data-dir',
        dataDir,
      ]),
    );
  });
});
