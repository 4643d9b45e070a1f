// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the gateway's own ${VAR} templates in config text
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyManager, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig, ServerConfigError } from './config.js';
import { CLI, spawnServer, tempDataDir } from './test-support.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'mcp-warden-cli-'));

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    cwd,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ServerConfigError');
}

const SECTIONS = ['apikeyAuth', 'oauth', 'acl', 'validation', 'sanitize', 'ratelimit', 'crypto'] as const;

/** Misspellings a user makes: another case, British spelling, a dropped, doubled or swapped letter. */
const misspelled = fc
  .tuple(fc.constantFrom(...SECTIONS), fc.nat(), fc.constantFrom('case', 'british', 'drop', 'double', 'swap'))
  .map(([section, at, kind]) => {
    const i = 1 + (at % (section.length - 2));
    const wrong =
      kind === 'case'
        ? section.slice(0, i) + section.charAt(i).toUpperCase() + section.slice(i + 1)
        : kind === 'british' && section.includes('z')
          ? section.replace('z', 's')
          : kind === 'drop'
            ? section.slice(0, i) + section.slice(i + 1)
            : kind === 'double'
              ? section.slice(0, i) + section.charAt(i) + section.slice(i)
              : section.slice(0, i) + section.charAt(i + 1) + section.charAt(i) + section.slice(i + 2);
    return { section, wrong };
  })
  .filter(({ section, wrong }) => wrong !== section);

describe('config: unknown sections and keys are errors that say where and what was meant', () => {
  it.each([
    ['rateLimit', 'ratelimit'],
    ['apiKeyAuth', 'apikeyAuth'],
    ['sanitise', 'sanitize'],
  ])('plugins.%s → names file:line:column and suggests "%s" (YAML and JSON)', (wrong, right) => {
    const yaml = join(dir, `${wrong}.yaml`);
    writeFileSync(
      yaml,
      `# comment\nserver:\n  port: 4000\nplugins:\n  acl: {}\n  ${wrong}:\n    enabled: true\n`,
    );
    expect(errorOf(() => loadConfig({ configFile: yaml }, {}))).toContain(
      `${yaml}:6:3: plugins: Unrecognized key: "${wrong}" (did you mean "${right}"?)`,
    );
    const json = join(dir, `${wrong}.json`);
    writeFileSync(json, JSON.stringify({ plugins: { [wrong]: { enabled: true } } }, null, 2));
    expect(errorOf(() => loadConfig({ configFile: json }, {}))).toContain(
      `${json}:3:5: plugins: Unrecognized key: "${wrong}" (did you mean "${right}"?)`,
    );
  });

  it('any misspelled section, at any line, is refused at its own position with the right suggestion', () => {
    fc.assert(
      fc.property(misspelled, fc.nat({ max: 6 }), fc.boolean(), ({ section, wrong }, before, asJson) => {
        const file = join(dir, `gen.${asJson ? 'json' : 'yaml'}`);
        const others = SECTIONS.filter((s) => s !== section).slice(0, before);
        let line: number;
        let column: number;
        if (asJson) {
          const plugins = Object.fromEntries([...others.map((s) => [s, {}]), [wrong, { enabled: false }]]);
          writeFileSync(file, JSON.stringify({ plugins }, null, 2));
          line = 3 + others.length;
          column = 5;
        } else {
          writeFileSync(
            file,
            ['plugins:', ...others.map((s) => `  ${s}: {}`), `  ${wrong}:`, '    enabled: false', ''].join(
              '\n',
            ),
          );
          line = 2 + others.length;
          column = 3;
        }
        const message = errorOf(() => loadConfig({ configFile: file }, {}));
        expect(message).toContain(`${file}:${line}:${column}: plugins: Unrecognized key: "${wrong}"`);
        expect(message).toContain(`(did you mean "${section}"?)`);
      }),
      { numRuns: 150 },
    );
  });

  it('unknown keys inside the server, logging and server-owned plugin sections are positioned too', () => {
    const file = join(dir, 'keys.yaml');
    writeFileSync(
      file,
      'server:\n  prot: 4000\nlogging:\n  levle: warn\nplugins:\n  apikeyAuth:\n    prefx: acme\n  crypto:\n    passphraseEnvv: X\n',
    );
    const message = errorOf(() => loadConfig({ configFile: file }, {}));
    expect(message).toContain(`${file}:2:3: server: Unrecognized key: "prot" (did you mean "port"?)`);
    expect(message).toContain(`${file}:4:3: logging: Unrecognized key: "levle" (did you mean "level"?)`);
    expect(message).toContain(
      `${file}:7:5: plugins.apikeyAuth: Unrecognized key: "prefx" (did you mean "prefix"?)`,
    );
    expect(message).toContain(
      `${file}:9:5: plugins.crypto: Unrecognized key: "passphraseEnvv" (did you mean "passphraseEnv"?)`,
    );
  });

  it('a wrong value is positioned at the value', () => {
    const file = join(dir, 'value.yaml');
    writeFileSync(file, 'server:\n  host: 127.0.0.1\n  port: 99999\n');
    expect(errorOf(() => loadConfig({ configFile: file }, {}))).toContain(`${file}:3:9: server.port:`);
  });
});

describe('config: a bad environment value or flag names the variable or flag', () => {
  it.each([
    ['MCP_WARDEN_PORT', 'abc'],
    ['MCP_WARDEN_PORT', '70000'],
    ['MCP_WARDEN_PORT', '3.5'],
    ['MCP_WARDEN_SESSIONS', 'sometimes'],
    ['MCP_WARDEN_PUBLIC_URL', 'not a url'],
    ['MCP_WARDEN_LOG_LEVEL', 'loud'],
    ['MCP_WARDEN_ALLOW_INSECURE_HTTP', 'maybe'],
  ])('%s=%s', (name, value) => {
    expect(errorOf(() => loadConfig({}, { [name]: value }))).toMatch(
      new RegExp(`environment variable ${name}`),
    );
  });

  it('a bad --port given in code names the flag', () => {
    expect(errorOf(() => loadConfig({ port: 123_456 }, {}))).toMatch(/flag --port \(server\.port\)/);
  });

  it('TLS and allowInsecureHttp come from the environment and from flags, flags winning', () => {
    const env = {
      MCP_WARDEN_TLS_KEY_FILE: '/etc/k.pem',
      MCP_WARDEN_TLS_CERT_FILE: '/etc/c.pem',
      MCP_WARDEN_ALLOW_INSECURE_HTTP: 'true',
    };
    expect(loadConfig({}, env).server).toMatchObject({
      tls: { keyFile: '/etc/k.pem', certFile: '/etc/c.pem' },
      allowInsecureHttp: true,
    });
    expect(
      loadConfig({ tlsKeyFile: '/f/k.pem', tlsCertFile: '/f/c.pem', allowInsecureHttp: false }, env).server,
    ).toMatchObject({ tls: { keyFile: '/f/k.pem', certFile: '/f/c.pem' }, allowInsecureHttp: false });
    for (const [text, value] of [
      ['1', true],
      ['yes', true],
      ['FALSE', false],
      ['0', false],
    ] as const)
      expect(loadConfig({}, { MCP_WARDEN_ALLOW_INSECURE_HTTP: text }).server.allowInsecureHttp).toBe(value);
  });

  it('serve --allow-insecure-http binds a non-loopback address', async () => {
    const server = await spawnServer([
      '--host',
      '0.0.0.0',
      '--allow-insecure-http',
      '--data-dir',
      tempDataDir(),
    ]);
    expect(server.url.hostname).not.toBe('');
    expect(await server.stop()).toBe(0);
  });
});

describe('mcp-warden --version and config check', () => {
  it('--version prints the package version', () => {
    const run = cli(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(require('../package.json').version);
  });

  it('config check prints the effective configuration with secrets masked', () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(
      file,
      [
        'server:',
        '  port: 4321',
        'plugins:',
        '  oauth:',
        '    enabled: false',
        '    introspection:',
        '      clientSecret: s3cret-value',
        '      clientSecretEnv: OAUTH_SECRET',
        '  ratelimit:',
        '    store: { type: redis, url: "redis://user:p4ssword@redis.internal:6379" }',
        'upstreams:',
        '  - name: remote',
        '    url: https://mcp.example.com/mcp',
        '    headers: { Authorization: "Bearer literal-upstream-credential", X-Token: "${UPSTREAM_TOKEN}" }',
        '  - name: local',
        '    command: python3',
        '    env: { DB_PASS: "literal-db-password", API_KEY: "${LOCAL_KEY}" }',
        '',
      ].join('\n'),
    );
    const run = cli(['config', 'check', '--config', file, '--data-dir', '/srv/warden', '--json'], {
      MCP_WARDEN_LOG_LEVEL: 'warn',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('s3cret-value');
    expect(run.stdout).not.toContain('p4ssword');
    // An upstream's headers and environment: literal values masked, templates (variable names) shown.
    expect(run.stdout).not.toContain('literal-upstream-credential');
    expect(run.stdout).not.toContain('literal-db-password');
    expect(run.stdout).toContain('${UPSTREAM_TOKEN}');
    const shown = JSON.parse(run.stdout);
    expect(shown).toMatchObject({
      dataDir: '/srv/warden',
      server: { port: 4321, host: '127.0.0.1' },
      logging: { level: 'warn' },
      plugins: {
        oauth: { introspection: { clientSecret: '[masked]', clientSecretEnv: 'OAUTH_SECRET' } },
        ratelimit: { store: { url: 'redis://user:masked@redis.internal:6379' } },
      },
    });
    const yaml = cli(['config', 'check', '--config', file]);
    expect(yaml.status).toBe(0);
    expect(parseYaml(yaml.stdout)).toMatchObject({ server: { port: 4321 } });
  });

  it.each([
    ['rateLimit', 'ratelimit'],
    ['apiKeyAuth', 'apikeyAuth'],
    ['sanitise', 'sanitize'],
  ])('config check refuses plugins.%s with exit 2, the position and the right spelling', (wrong, right) => {
    const file = join(dir, `check-${wrong}.yaml`);
    writeFileSync(file, `plugins:\n  ${wrong}: {}\n`);
    const run = cli(['config', 'check', '--config', file]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `${file}:2:3: plugins: Unrecognized key: "${wrong}" (did you mean "${right}"?)`,
    );
  });

  it('config check names a bad environment variable (exit 2)', () => {
    const run = cli(['config', 'check'], { MCP_WARDEN_SESSIONS: 'sometimes' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/environment variable MCP_WARDEN_SESSIONS/);
  });
});

describe('the CLI without a reference server data directory', () => {
  it('keys work against a given store file, with the pepper from the environment', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mcp-warden-store-'));
    const store = join(cwd, 'my-keys.db');
    const pepper = 'p'.repeat(40);
    const env = { MCP_WARDEN_APIKEY_PEPPER: pepper };
    const created = cli(
      ['keys', 'create', '--store', store, '--name', 'ext', '--roles', 'reader', '--json'],
      env,
      cwd,
    );
    expect(created.status, created.stderr).toBe(0);
    const issued = JSON.parse(created.stdout);
    const listed = cli(['keys', 'list', '--store', store, '--json'], env, cwd);
    expect(JSON.parse(listed.stdout).map((k: { id: string }) => k.id)).toEqual([issued.info.id]);
    expect(existsSync(join(cwd, '.mcp-warden')), 'no data directory is created').toBe(false);
    // The application that owns the store verifies the key with the same pepper.
    const manager = new ApiKeyManager({
      store: new SqliteApiKeyStore({ path: store }),
      peppers: [{ id: 'p1', secret: pepper }],
    });
    expect(await manager.verify(issued.key)).toMatchObject({ ok: true });
    await manager.close();
    expect(cli(['keys', 'revoke', issued.info.id, '--store', store], env, cwd).status).toBe(0);
    const missing = cli(['keys', 'list', '--store', store], {}, cwd);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/MCP_WARDEN_APIKEY_PEPPER/);
    expect(missing.stderr).not.toContain(pepper);
  });

  it('acl check works against a given policy file', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mcp-warden-policy-'));
    const policy = require.resolve('@mcp-warden/acl/examples/reference-policy.yaml');
    const copy = join(cwd, 'policy.yaml');
    writeFileSync(copy, readFileSync(policy));
    const allowed = cli(
      [
        'acl',
        'check',
        '--policy',
        copy,
        '--roles',
        'reader',
        '--action',
        'prompts:get',
        '--target',
        'summarize_notes',
      ],
      {},
      cwd,
    );
    expect(allowed.status, allowed.stderr).toBe(0);
    const denied = cli(
      [
        'acl',
        'check',
        '--policy',
        copy,
        '--roles',
        'reader',
        '--action',
        'tools:call',
        '--target',
        'admin_stats',
      ],
      {},
      cwd,
    );
    expect(denied.status).toBe(3);
    expect(existsSync(join(cwd, '.mcp-warden'))).toBe(false);
  });

  it('acl check --upstream decides as the gateway does for that upstream: the main policy and its own', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mcp-warden-upstream-policy-'));
    const allowEcho = (targets: string[]) =>
      JSON.stringify({
        version: 1,
        roles: { reader: {} },
        rules: [{ effect: 'allow', subjects: ['role:reader'], actions: ['tools:call'], targets }],
      });
    writeFileSync(join(cwd, 'main.json'), allowEcho(['echo', 'add']));
    writeFileSync(join(cwd, 'narrow.json'), allowEcho(['add']));
    writeFileSync(
      join(cwd, 'gateway.json'),
      JSON.stringify({
        dataDir: join(cwd, 'data'),
        plugins: { acl: { policyFile: join(cwd, 'main.json') } },
        upstreams: [
          { name: 'narrow', url: 'http://127.0.0.1:9/mcp', policyFile: join(cwd, 'narrow.json') },
          { name: 'open', url: 'http://127.0.0.1:9/mcp' },
        ],
      }),
    );
    const check = (...extra: string[]) =>
      cli(
        [
          'acl',
          'check',
          '--config',
          join(cwd, 'gateway.json'),
          '--roles',
          'reader',
          '--action',
          'tools:call',
          '--target',
          'echo',
          ...extra,
        ],
        {},
        cwd,
      );
    // The main policy alone allows echo, and says that one upstream narrows it.
    const main = check();
    expect(main.status, main.stderr).toBe(0);
    expect(main.stderr).toContain('their own policy, which must allow too: narrow (add --upstream NAME)');
    // For the narrowing upstream, its own policy denies: the gateway would refuse.
    const narrow = check('--upstream', 'narrow', '--json');
    expect(narrow.status, narrow.stderr).toBe(3);
    expect(JSON.parse(narrow.stdout)).toMatchObject({
      allowed: false,
      upstream: 'narrow',
      main: { allowed: true },
      upstreamPolicy: { allowed: false },
    });
    // An upstream without a policy of its own: the main policy decides.
    const open = check('--upstream', 'open');
    expect(open.status, open.stderr).toBe(0);
    expect(open.stdout).toContain('has no policy of its own');
    // Both must allow: what the main policy denies, no upstream allows.
    writeFileSync(join(cwd, 'narrow.json'), allowEcho(['echo', 'delete_all']));
    const both = check('--upstream', 'narrow', '--target', 'delete_all');
    expect(both.status).toBe(3);
    expect(both.stdout).toContain('DENIED for upstream "narrow"');
    const unknown = check('--upstream', 'nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      'no upstream named "nope" in the configuration (upstreams: narrow, open)',
    );
  });
});
