import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANONYMOUS_PRINCIPAL, createPrincipal } from '@mcp-warden/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from './errors.js';
import { loadPolicyFile, parsePolicy } from './load-policy.js';

const referencePolicy = fileURLToPath(new URL('../examples/reference-policy.yaml', import.meta.url));
const gatewayPolicy = fileURLToPath(new URL('../examples/gateway-policy.yaml', import.meta.url));

function issuesOf(fn: () => unknown): PolicyIssue[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a PolicyError');
}

describe('parsePolicy', () => {
  it('reports schema problems with file, line, column and a fix hint (YAML)', () => {
    const text = [
      'version: 1',
      'rules:',
      '  - id: ok',
      '    effect: allow',
      '    subjects: ["*"]',
      '    actions: [tools:call]',
      '  - id: bad',
      '    effect: permit',
      '    subjects: ["*"]',
      '    actions: [tool:call]',
      '',
    ].join('\n');
    const issues = issuesOf(() => parsePolicy(text, { file: 'policy.yaml' }));
    expect(issues).toContainEqual(
      expect.objectContaining({
        file: 'policy.yaml',
        line: 8,
        column: 13,
        path: ['rules', 1, 'effect'],
        hint: 'use one of "allow", "deny"',
      }),
    );
    const error = (() => {
      try {
        parsePolicy(text, { file: 'policy.yaml' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('policy.yaml:8:13: Invalid option');
  });

  it('reports semantic problems at the offending line', () => {
    const text = [
      'version: 1',
      'roles:',
      '  reader: {}',
      'rules:',
      '  - effect: allow',
      '    subjects: [role:reaer]',
      '    actions: [tools:call]',
      '    targets: ["file:///x/%2fy"]',
      '',
    ].join('\n');
    const issues = issuesOf(() => parsePolicy(text, { file: 'p.yaml' }));
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [6, 'subject "role:reaer" names an undeclared role'],
    ]);
    expect(issues[0]?.hint).toContain('declare "reaer" under roles');
  });

  it('reads JSON with line numbers too', () => {
    const text = JSON.stringify(
      { version: 1, rules: [{ effect: 'allow', subjects: ['*'], actions: ['tools:cal'] }] },
      null,
      2,
    );
    const issues = issuesOf(() => parsePolicy(text, { file: 'policy.json' }));
    expect(issues).toEqual([
      expect.objectContaining({
        file: 'policy.json',
        line: 10,
        message: 'unknown action "tools:cal"',
        hint: 'did you mean "tools:call"?',
      }),
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(issuesOf(() => parsePolicy('version: 1\nrules: [\n', { file: 'x.yaml' }))[0]).toMatchObject({
      file: 'x.yaml',
      line: expect.any(Number),
      message: expect.stringContaining('not valid YAML'),
    });
    expect(issuesOf(() => parsePolicy('version: 1\nversion: 1\nrules: []\n'))[0]).toMatchObject({
      line: 2,
      hint: 'remove the duplicate key',
    });
  });

  it('a missing key is reported at its parent', () => {
    const issues = issuesOf(() =>
      parsePolicy('version: 1\nrules:\n  - subjects: ["*"]\n    actions: ["*"]\n'),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: ['rules', 0, 'effect'],
        line: 3,
        hint: 'add "effect: allow" or "effect: deny"',
      }),
    ]);
  });

  it('records each rule’s source line', () => {
    const policy = parsePolicy(
      'version: 1\nrules:\n  - id: a\n    effect: allow\n    subjects: "*"\n    actions: "*"\n\n  - id: b\n    effect: deny\n    subjects: "*"\n    actions: "*"\n',
      { file: 'f.yaml' },
    );
    expect(policy.rules.map((r) => [r.id, r.source])).toEqual([
      ['a', { file: 'f.yaml', line: 3 }],
      ['b', { file: 'f.yaml', line: 8 }],
    ]);
  });
});

describe('the gateway policy', () => {
  const reader = createPrincipal({ id: 'reader-key', kind: 'apikey', roles: ['reader'] });
  const admin = createPrincipal({ id: 'admin-key', kind: 'apikey', roles: ['admin'] });
  const nobody = createPrincipal({ id: 'other-key', kind: 'apikey', roles: [] });
  const anonymous = createPrincipal({ id: 'anonymous', kind: 'anonymous' });

  it('grants lists to the authenticated, reads to readers, tools to admins only (and all to local anonymous)', async () => {
    const policy = await loadPolicyFile(gatewayPolicy);
    for (const p of [reader, admin, nobody]) expect(policy.check(p, 'tools:list')).toBe(true);
    expect(policy.check(nobody, 'resources:read', 'file:///etc/passwd')).toBe(false);
    expect(policy.check(reader, 'resources:read', 'note://public/readme')).toBe(true);
    expect(policy.check(reader, 'tools:call', 'write_file')).toBe(false);
    expect(policy.check(nobody, 'tools:call', 'echo')).toBe(false);
    expect(policy.check(admin, 'tools:call', 'write_file')).toBe(true);
    expect(policy.check(anonymous, 'tools:call', 'write_file')).toBe(true);
  });
});

describe('the reference server policy', () => {
  const reader = createPrincipal({ id: 'reader-key', kind: 'apikey', roles: ['reader'] });
  const writer = createPrincipal({ id: 'writer-key', kind: 'apikey', roles: ['writer'] });
  const admin = createPrincipal({ id: 'admin-key', kind: 'apikey', roles: ['admin'] });

  it('loads and demonstrates roles, public vs private resources and the admin tool', async () => {
    const policy = await loadPolicyFile(referencePolicy);
    const can = (p: typeof reader, action: string, target?: string, args?: Record<string, unknown>) =>
      policy.check(p, action, target, args);
    // Tools per role.
    expect(
      ['echo', 'read_note', 'list_notes', 'write_note', 'admin_stats'].map((t) =>
        can(reader, 'tools:call', t),
      ),
    ).toEqual([true, true, true, false, false]);
    expect(
      ['echo', 'read_note', 'list_notes', 'write_note', 'admin_stats'].map((t) =>
        can(writer, 'tools:call', t),
      ),
    ).toEqual([true, true, true, true, false]);
    expect(
      ['echo', 'read_note', 'list_notes', 'write_note', 'admin_stats'].map((t) =>
        can(admin, 'tools:call', t),
      ),
    ).toEqual([true, true, true, true, true]);
    // read_file with a path condition.
    expect(can(reader, 'tools:call', 'read_file', { path: 'public/readme.txt' })).toBe(true);
    expect(can(reader, 'tools:call', 'read_file', { path: 'public/../private/x' })).toBe(false);
    expect(can(admin, 'tools:call', 'read_file', { path: 'private/x' })).toBe(true);
    expect(can(admin, 'tools:call', 'read_file', { path: 'private/./keys/k' })).toBe(false);
    // Resources.
    expect(can(reader, 'resources:read', 'file:///public/readme.txt')).toBe(true);
    expect(can(reader, 'resources:read', 'file:///private/plan.txt')).toBe(false);
    expect(can(admin, 'resources:read', 'file:///private/plan.txt')).toBe(true);
    expect(policy.explain(admin, 'resources:read', 'file:///private/keys/server.key')).toMatchObject({
      allowed: false,
      rule: { id: 'nobody-reads-key-resources' },
    });
    // Lists and anonymous callers.
    expect(can(reader, 'tools:list')).toBe(true);
    expect(can(ANONYMOUS_PRINCIPAL, 'tools:list')).toBe(false);
    expect(can(ANONYMOUS_PRINCIPAL, 'tools:call', 'echo')).toBe(false);
  });
});

describe('loadPolicyFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-acl-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a missing file with POLICY_UNREADABLE', async () => {
    await expect(loadPolicyFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'ACL_POLICY_UNREADABLE',
    });
  });

  it('loads JSON files', async () => {
    const file = join(dir, 'p.json');
    await writeFile(
      file,
      JSON.stringify({ version: 1, rules: [{ effect: 'allow', subjects: '*', actions: 'tools:list' }] }),
    );
    expect((await loadPolicyFile(file)).rules).toHaveLength(1);
  });
});
