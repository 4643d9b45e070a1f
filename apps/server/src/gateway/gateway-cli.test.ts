import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDataDir } from '../test-support.js';

/** Runs `mcp-warden gateway …` and returns its exit code and stderr (for the commands that must not start). */
function gateway(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CLI, 'gateway', '--port', '0', '--data-dir', tempDataDir(), ...args],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('mcp-warden gateway refuses to start unsafely or ambiguously', () => {
  it('without an upstream', async () => {
    const { code, stderr } = await gateway([]);
    expect(code).toBe(2);
    expect(stderr).toContain('the gateway has no upstream');
  });

  it('with both an upstream URL and a command', async () => {
    const { code, stderr } = await gateway([
      '--upstream-url',
      'http://127.0.0.1:9/mcp',
      '--',
      'node',
      'x.js',
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('not both');
  });

  it('anonymous on a non-loopback address', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const { code, stderr } = await gateway([
        '--allow-anonymous',
        '--host',
        host,
        '--allow-insecure-http',
        '--upstream-url',
        'http://127.0.0.1:9/mcp',
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain('local testing only');
    }
  });

  it('with no authenticator and without --allow-anonymous', async () => {
    const configFile = join(tempDataDir(), '..', 'noauth.json');
    writeFileSync(configFile, JSON.stringify({ plugins: { apikeyAuth: { enabled: false } } }));
    const { code, stderr } = await gateway([
      '--config',
      configFile,
      '--upstream-url',
      'http://127.0.0.1:9/mcp',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('the gateway has no authenticator');
  });

  it('when a header template names a variable that is not set (naming the variable, not any value)', async () => {
    const { code, stderr } = await gateway(
      [
        '--upstream-url',
        'http://127.0.0.1:9/mcp',
        '--upstream-header',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own template syntax
        'Authorization: Bearer ${UPSTREAM_TOKEN}',
        '--upstream-header',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own template syntax
        'X-Tenant: ${TENANT_ID}',
      ],
      { UPSTREAM_TOKEN: 'super-secret-upstream-token' },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('TENANT_ID');
    expect(stderr).not.toContain('super-secret-upstream-token');
  });

  it('when the stdio program is not there (a typo shows at start, not at the first client)', async () => {
    for (const command of ['/nonexistent/mcp-server', 'no-such-mcp-server-x9']) {
      const { code, stderr } = await gateway(['--', command]);
      expect(code).toBe(2);
      expect(stderr).toContain(`the command "${command}" was not found`);
    }
  });

  it('with credentials in the upstream URL or a header the gateway sets itself', async () => {
    const withPassword = await gateway(['--upstream-url', 'http://user:hunter2secret@127.0.0.1:9/mcp']);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).not.toContain('hunter2secret');
    const reserved = await gateway([
      '--upstream-url',
      'http://127.0.0.1:9/mcp',
      '--upstream-header',
      'Mcp-Session-Id: fixed',
    ]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('a header the gateway sets itself');
  });
});
