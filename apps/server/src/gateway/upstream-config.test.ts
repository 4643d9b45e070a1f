// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are the gateway's own ${VAR} templates
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INHERITED_ENV,
  expandTemplate,
  UpstreamConfigError,
  upstreamEnvironment,
  upstreamHeaders,
  upstreamSchema,
} from './upstream-config.js';

describe('upstream entries', () => {
  it('take either a URL or a command', () => {
    expect(upstreamSchema.safeParse({ name: 'a', url: 'http://127.0.0.1:1/mcp' }).success).toBe(true);
    expect(upstreamSchema.safeParse({ name: 'a', command: 'python3' }).success).toBe(true);
    expect(upstreamSchema.safeParse({ name: 'a' }).success).toBe(false);
    expect(
      upstreamSchema.safeParse({ name: 'a', url: 'http://127.0.0.1:1/mcp', command: 'python3' }).success,
    ).toBe(false);
  });

  it('refuse names that would not be safe in paths, events and pins', () => {
    for (const name of ['', 'A', '../x', 'a/b', 'a b', 'x'.repeat(64), '-a'])
      expect(upstreamSchema.safeParse({ name, command: 'x' }).success, name).toBe(false);
  });

  it('refuse header values with line breaks (header injection) and non-HTTP URLs', () => {
    const bad = [
      { name: 'a', url: 'http://127.0.0.1:1/mcp', headers: { 'X-A': 'v\r\nX-Injected: 1' } },
      { name: 'a', url: 'file:///etc/passwd' },
      { name: 'a', url: 'http://u:p@127.0.0.1/mcp' },
    ];
    for (const entry of bad) expect(upstreamSchema.safeParse(entry).success).toBe(false);
  });
});

describe('templates', () => {
  it('expand ${VAR}, keep $${ literal, and name a missing variable without any value', () => {
    const env = { TOKEN: 'tok-123', EMPTY: '' };
    expect(expandTemplate('Bearer ${TOKEN}', env, 'h')).toBe('Bearer tok-123');
    expect(expandTemplate('$${TOKEN}', env, 'h')).toBe('${TOKEN}');
    for (const missing of ['${NOPE}', '${EMPTY}']) {
      try {
        expandTemplate(`Bearer ${missing} and \${TOKEN}`, env, 'header Authorization');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(UpstreamConfigError);
        expect((error as Error).message).not.toContain('tok-123');
        expect((error as Error).message).toContain(missing.slice(2, -1));
      }
    }
  });

  it('refuse a variable whose value holds a line break', () => {
    expect(() => expandTemplate('${V}', { V: 'a\nb' }, 'h')).toThrow(UpstreamConfigError);
  });

  it('build upstream headers and the child environment from the gateway environment only as named', () => {
    const entry = upstreamSchema.parse({
      name: 'a',
      command: 'x',
      env: { API_KEY: '${UPSTREAM_KEY}', MODE: 'prod' },
    });
    const env = {
      UPSTREAM_KEY: 'k',
      PATH: '/bin',
      HOME: '/home/x',
      MCP_WARDEN_KEY_PASSPHRASE: 'secret',
      AWS_SECRET: 's',
    };
    const child = upstreamEnvironment(entry, env);
    expect(child).toEqual({ PATH: '/bin', HOME: '/home/x', API_KEY: 'k', MODE: 'prod' });
    expect(DEFAULT_INHERITED_ENV).not.toContain('MCP_WARDEN_KEY_PASSPHRASE');
    const http = upstreamSchema.parse({
      name: 'b',
      url: 'http://127.0.0.1:1/mcp',
      headers: { 'X-Key': '${UPSTREAM_KEY}' },
    });
    expect(upstreamHeaders(http, env)).toEqual({ 'x-key': 'k' });
  });
});
