import { ANONYMOUS_PRINCIPAL, createPrincipal, type Principal } from '@mcp-warden/core';
import { describe, expect, it } from 'vitest';
import { AccessPolicy } from './access-policy.js';
import { PolicyError } from './errors.js';
import type { AclRule } from './policy-schema.js';

const user = (overrides: Partial<Principal> = {}): Principal =>
  createPrincipal({ id: 'alice', kind: 'apikey', ...overrides });
const policy = (rules: AclRule[], roles: Record<string, { inherits?: string[] }> = {}) =>
  AccessPolicy.compile({ version: 1, roles, rules });
const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PolicyError)
      return error.issues.map((i) => `${i.path.join('.')}: ${i.message} | ${i.hint}`);
    throw error;
  }
  throw new Error('expected a PolicyError');
};

describe('precedence', () => {
  it('1. default deny: nothing is allowed without a rule', () => {
    const p = policy([]);
    const d = p.explain(user(), 'tools:call', 'echo');
    expect(d).toMatchObject({ allowed: false, reason: 'no-matching-rule' });
    expect(d.rule).toBeUndefined();
    expect(p.check(user(), 'tools:list')).toBe(false);
  });

  it('2. an allow rule that matches allows, and is reported', () => {
    const p = policy([
      { id: 'echo', effect: 'allow', subjects: '*', actions: 'tools:call', targets: 'echo' },
    ]);
    expect(p.explain(user(), 'tools:call', 'echo')).toMatchObject({
      allowed: true,
      reason: 'allowed-by-rule',
      rule: { id: 'echo', index: 0, effect: 'allow' },
    });
  });

  it('3. deny wins over allow, whichever comes first in the file', () => {
    const allowThenDeny = policy([
      { id: 'allow', effect: 'allow', subjects: '*', actions: 'tools:call', targets: '*' },
      { id: 'deny', effect: 'deny', subjects: '*', actions: 'tools:call', targets: 'admin_*' },
    ]);
    const denyThenAllow = policy([
      { id: 'deny', effect: 'deny', subjects: '*', actions: 'tools:call', targets: 'admin_*' },
      { id: 'allow', effect: 'allow', subjects: '*', actions: 'tools:call', targets: '*' },
    ]);
    for (const p of [allowThenDeny, denyThenAllow]) {
      expect(p.explain(user(), 'tools:call', 'admin_stats')).toMatchObject({
        allowed: false,
        reason: 'denied-by-rule',
        rule: { id: 'deny' },
        overridden: { id: 'allow' },
      });
      expect(p.check(user(), 'tools:call', 'echo')).toBe(true);
    }
  });

  it('4. deny wins over a more specific allow (specificity does not matter)', () => {
    const p = policy([
      {
        id: 'deny-all-private',
        effect: 'deny',
        subjects: '*',
        actions: 'resources:read',
        targets: 'file:///private/**',
      },
      {
        id: 'allow-one',
        effect: 'allow',
        subjects: 'principal:alice',
        actions: 'resources:read',
        targets: 'file:///private/alice.txt',
      },
    ]);
    expect(p.explain(user(), 'resources:read', 'file:///private/alice.txt')).toMatchObject({
      allowed: false,
      rule: { id: 'deny-all-private' },
    });
  });

  it('5. among several matching denies (or allows), the first in file order is reported', () => {
    const p = policy([
      { id: 'a1', effect: 'allow', subjects: '*', actions: 'tools:call', targets: '**' },
      { id: 'a2', effect: 'allow', subjects: '*', actions: 'tools:call', targets: 'echo' },
      { id: 'd1', effect: 'deny', subjects: '*', actions: 'tools:call', targets: 'x*' },
      { id: 'd2', effect: 'deny', subjects: '*', actions: 'tools:call', targets: 'xy' },
    ]);
    expect(p.explain(user(), 'tools:call', 'echo').rule?.id).toBe('a1');
    expect(p.explain(user(), 'tools:call', 'xy').rule?.id).toBe('d1');
  });

  it('6. a refused target is denied even when a rule allows everything', () => {
    const p = policy([{ id: 'all', effect: 'allow', subjects: '*', actions: '*' }]);
    expect(p.explain(user(), 'resources:read', 'file:///public/..%2fprivate')).toMatchObject({
      allowed: false,
      reason: 'invalid-target',
    });
    expect(p.explain(user(), 'tools:call', undefined)).toMatchObject({
      allowed: false,
      reason: 'invalid-target',
      detail: 'missing target',
    });
  });

  it('7. a deny rule whose subject does not match does not apply', () => {
    const p = policy([
      { id: 'allow', effect: 'allow', subjects: 'authenticated', actions: 'tools:call', targets: '*' },
      { id: 'deny-bob', effect: 'deny', subjects: 'principal:bob', actions: 'tools:call', targets: '*' },
    ]);
    expect(p.check(user(), 'tools:call', 'echo')).toBe(true);
    expect(p.check(user({ id: 'bob' }), 'tools:call', 'echo')).toBe(false);
  });

  it('8. conditions: an allow needs its conditions to hold; a deny applies unless its conditions are known to fail', () => {
    const p = policy([
      {
        id: 'allow-public',
        effect: 'allow',
        subjects: '*',
        actions: 'tools:call',
        targets: 'read_file',
        when: [{ arg: 'path', under: '/data' }],
      },
      {
        id: 'deny-secrets',
        effect: 'deny',
        subjects: '*',
        actions: 'tools:call',
        targets: 'read_file',
        when: [{ arg: 'path', under: '/data/secrets' }],
      },
    ]);
    expect(p.check(user(), 'tools:call', 'read_file', { path: '/data/a.txt' })).toBe(true);
    expect(p.check(user(), 'tools:call', 'read_file', { path: '/data/../etc/passwd' })).toBe(false);
    expect(p.check(user(), 'tools:call', 'read_file', { path: '/data//secrets/k' })).toBe(false);
    expect(p.explain(user(), 'tools:call', 'read_file', { path: '/data/./secrets/k' }).rule?.id).toBe(
      'deny-secrets',
    );
    // Missing or wrongly typed argument: the allow does not hold, the deny does.
    expect(p.explain(user(), 'tools:call', 'read_file', {})).toMatchObject({
      allowed: false,
      rule: { id: 'deny-secrets' },
    });
    expect(p.check(user(), 'tools:call', 'read_file', { path: ['/data/a'] })).toBe(false);
    expect(p.check(user(), 'tools:call', 'read_file')).toBe(false);
  });

  it('9. list actions are decided like any other action and can be denied outright', () => {
    const p = policy([
      { id: 'lists', effect: 'allow', subjects: 'authenticated', actions: ['tools:list', 'resources:list'] },
      {
        id: 'no-resource-list-for-bob',
        effect: 'deny',
        subjects: 'principal:bob',
        actions: 'resources:list',
      },
    ]);
    expect(p.check(user(), 'tools:list')).toBe(true);
    expect(p.check(user(), 'resources:list')).toBe(true);
    expect(p.check(user({ id: 'bob' }), 'resources:list')).toBe(false);
    expect(p.check(ANONYMOUS_PRINCIPAL, 'tools:list')).toBe(false);
    expect(p.check(user(), 'prompts:list')).toBe(false);
  });
});

describe('subjects', () => {
  const p = policy(
    [
      { id: 'r', effect: 'allow', subjects: 'role:reader', actions: 'tools:call', targets: 'read' },
      { id: 'w', effect: 'allow', subjects: 'role:writer', actions: 'tools:call', targets: 'write' },
      { id: 'a', effect: 'allow', subjects: 'role:admin', actions: 'tools:call', targets: 'admin' },
      { id: 's', effect: 'allow', subjects: 'scope:notes:write', actions: 'tools:call', targets: 'scoped' },
      { id: 'anon', effect: 'allow', subjects: 'anonymous', actions: 'tools:call', targets: 'public' },
      { id: 'auth', effect: 'allow', subjects: 'authenticated', actions: 'tools:call', targets: 'members' },
      { id: 'everyone', effect: 'allow', subjects: '*', actions: 'tools:call', targets: 'everyone' },
      {
        id: 'id',
        effect: 'allow',
        subjects: ['principal:carol', 'principal:dave'],
        actions: 'tools:call',
        targets: 'carol',
      },
    ],
    { reader: {}, writer: { inherits: ['reader'] }, admin: { inherits: ['writer'] } },
  );

  it('roles inherit transitively, and only downwards', () => {
    const admin = user({ roles: ['admin'] });
    const writer = user({ roles: ['writer'] });
    expect(['read', 'write', 'admin'].map((t) => p.check(admin, 'tools:call', t))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['read', 'write', 'admin'].map((t) => p.check(writer, 'tools:call', t))).toEqual([
      true,
      true,
      false,
    ]);
    expect(p.effectiveRoles(admin).sort()).toEqual(['admin', 'reader', 'writer']);
  });

  it('scopes, principal ids, anonymous, authenticated and *', () => {
    const anon = ANONYMOUS_PRINCIPAL;
    const carol = user({ id: 'carol', scopes: ['notes:write'] });
    expect(p.check(carol, 'tools:call', 'scoped')).toBe(true);
    expect(p.check(user(), 'tools:call', 'scoped')).toBe(false);
    expect(p.check(carol, 'tools:call', 'carol')).toBe(true);
    expect(p.check(user(), 'tools:call', 'carol')).toBe(false);
    expect([p.check(anon, 'tools:call', 'public'), p.check(carol, 'tools:call', 'public')]).toEqual([
      true,
      false,
    ]);
    expect([p.check(anon, 'tools:call', 'members'), p.check(carol, 'tools:call', 'members')]).toEqual([
      false,
      true,
    ]);
    expect([p.check(anon, 'tools:call', 'everyone'), p.check(carol, 'tools:call', 'everyone')]).toEqual([
      true,
      true,
    ]);
  });

  it('roles a principal holds that the policy does not declare grant nothing extra', () => {
    expect(p.check(user({ roles: ['superuser'] }), 'tools:call', 'admin')).toBe(false);
  });
});

describe('actions and targets', () => {
  it('subscriptions:listen (2026-07-28) can be named by a policy and is denied without a rule', () => {
    const p = policy([
      { id: 'listen', effect: 'allow', subjects: 'principal:alice', actions: 'subscriptions:listen' },
    ]);
    expect(p.check(user(), 'subscriptions:listen')).toBe(true);
    expect(p.check(user({ id: 'bob' }), 'subscriptions:listen')).toBe(false);
    expect(p.check(user(), 'resources:read', 'file:///a')).toBe(false);
  });

  it('"*" and "tools:*" actions; a rule without targets covers every target', () => {
    const p = policy([
      { id: 'admin', effect: 'allow', subjects: 'principal:root', actions: '*' },
      { id: 'tools', effect: 'allow', subjects: 'principal:alice', actions: 'tools:*' },
    ]);
    const root = user({ id: 'root' });
    expect(p.check(root, 'resources:read', 'file:///anything')).toBe(true);
    expect(p.check(root, 'logging:setLevel')).toBe(true);
    expect(p.check(root, 'some:future:method')).toBe(true);
    expect(p.check(user(), 'tools:call', 'x')).toBe(true);
    expect(p.check(user(), 'tools:list')).toBe(true);
    expect(p.check(user(), 'prompts:list')).toBe(false);
  });

  it('globs: * within a segment, ** across, {a,b} alternatives', () => {
    const p = policy([
      {
        id: 'g',
        effect: 'allow',
        subjects: '*',
        actions: 'resources:read',
        targets: ['file:///docs/*.md', 'file:///pub/**', 'file:///{a,b}/x'],
      },
      { id: 't', effect: 'allow', subjects: '*', actions: 'tools:call', targets: 'note_{read,list}' },
    ]);
    expect(p.check(user(), 'resources:read', 'file:///docs/a.md')).toBe(true);
    expect(p.check(user(), 'resources:read', 'file:///docs/sub/a.md')).toBe(false);
    expect(p.check(user(), 'resources:read', 'file:///pub')).toBe(true);
    expect(p.check(user(), 'resources:read', 'file:///pub/a/b/c')).toBe(true);
    expect(p.check(user(), 'resources:read', 'file:///public/a')).toBe(false);
    expect(p.check(user(), 'resources:read', 'file:///b/x')).toBe(true);
    expect(p.check(user(), 'resources:read', 'file:///c/x')).toBe(false);
    expect(p.check(user(), 'tools:call', 'note_list')).toBe(true);
    expect(p.check(user(), 'tools:call', 'note_write')).toBe(false);
  });

  it('rule targets are canonicalised like requests (case of scheme/host, dot segments, //)', () => {
    const p = policy([
      {
        id: 'r',
        effect: 'allow',
        subjects: '*',
        actions: 'resources:read',
        targets: 'FILE://localhost/pub//x/../docs/**',
      },
    ]);
    expect(p.explain(user(), 'resources:read', 'file:///pub/docs/a')).toMatchObject({
      allowed: true,
      target: 'file:///pub/docs/a',
    });
  });

  it('completion targets are prompt names or resource URIs', () => {
    const p = policy([
      {
        id: 'c',
        effect: 'allow',
        subjects: '*',
        actions: 'completion:complete',
        targets: ['greet', 'file:///public/**'],
      },
    ]);
    expect(p.check(user(), 'completion:complete', 'greet')).toBe(true);
    expect(p.check(user(), 'completion:complete', 'FILE:///public/{name}')).toBe(true);
    expect(p.check(user(), 'completion:complete', 'file:///private/{name}')).toBe(false);
    // With core's McpTarget the kind is explicit: a prompt named like a URI is still a name.
    expect(p.check(user(), 'completion:complete', { type: 'prompt', name: 'greet' })).toBe(true);
    expect(p.check(user(), 'completion:complete', { type: 'resource', uri: 'file:///public/{name}' })).toBe(
      true,
    );
    expect(p.check(user(), 'completion:complete', { type: 'prompt', name: 'file:///public/x' })).toBe(false);
  });

  it('equals and in conditions', () => {
    const p = policy([
      {
        id: 'e',
        effect: 'allow',
        subjects: '*',
        actions: 'prompts:get',
        targets: 'summary',
        when: [
          { arg: 'lang', in: ['en', 'fr'] },
          { arg: 'short', equals: true },
        ],
      },
    ]);
    expect(p.check(user(), 'prompts:get', 'summary', { lang: 'fr', short: true })).toBe(true);
    expect(p.check(user(), 'prompts:get', 'summary', { lang: 'de', short: true })).toBe(false);
    expect(p.check(user(), 'prompts:get', 'summary', { lang: 'en', short: 'true' })).toBe(false);
  });
});

describe('list visibility', () => {
  const p = policy(
    [
      {
        id: 'tools',
        effect: 'allow',
        subjects: 'role:reader',
        actions: 'tools:call',
        targets: ['echo', 'read_*'],
      },
      {
        id: 'cond',
        effect: 'allow',
        subjects: 'role:reader',
        actions: 'tools:call',
        targets: 'write_note',
        when: [{ arg: 'path', under: 'notes' }],
      },
      { id: 'no-read-secret', effect: 'deny', subjects: '*', actions: 'tools:call', targets: 'read_secret' },
      {
        id: 'cond-deny',
        effect: 'deny',
        subjects: '*',
        actions: 'tools:call',
        targets: 'echo',
        when: [{ arg: 'text', equals: 'x' }],
      },
      {
        id: 'res',
        effect: 'allow',
        subjects: 'role:reader',
        actions: 'resources:read',
        targets: 'file:///public/**',
      },
      {
        id: 'no-private',
        effect: 'deny',
        subjects: '*',
        actions: 'resources:read',
        targets: 'file:///public/private/**',
      },
    ],
    { reader: {} },
  );
  const reader = user({ roles: ['reader'] });
  const def = {};

  it('tools: allowed ones (conditional allows included, conditional denies ignored) are shown', () => {
    const shown = ['echo', 'read_file', 'read_secret', 'write_note', 'admin_stats'].filter((name) =>
      p.visible(reader, { type: 'tool', name, definition: def }),
    );
    expect(shown).toEqual(['echo', 'read_file', 'write_note']);
    expect(p.visible(user(), { type: 'tool', name: 'echo', definition: def })).toBe(false);
  });

  it('resources and resource templates', () => {
    expect(p.visible(reader, { type: 'resource', uri: 'file:///public/a.txt', definition: def })).toBe(true);
    expect(p.visible(reader, { type: 'resource', uri: 'file:///private/a.txt', definition: def })).toBe(
      false,
    );
    expect(
      p.visible(reader, { type: 'resourceTemplate', uriTemplate: 'file:///public/{name}', definition: def }),
    ).toBe(true);
    expect(
      p.visible(reader, {
        type: 'resourceTemplate',
        uriTemplate: 'file:///public/private/{name}',
        definition: def,
      }),
    ).toBe(false);
    expect(
      p.visible(reader, { type: 'resourceTemplate', uriTemplate: 'file:///{path}', definition: def }),
    ).toBe(true);
    expect(
      p.visible(reader, { type: 'resourceTemplate', uriTemplate: 'file:///other/{name}', definition: def }),
    ).toBe(false);
  });
});

describe('invalid policies', () => {
  it('lists every problem with a path and a fix hint', () => {
    const issues = issuesOf(() =>
      AccessPolicy.compile({
        version: 1,
        roles: { admin: { inherits: ['writer'] } },
        rules: [
          { id: 'x', effect: 'allow', subjects: 'role:ghost', actions: 'tool:call', targets: 'echo' },
          { id: 'x', effect: 'allow', subjects: 'someone', actions: 'tools:list', targets: 'echo' },
          {
            effect: 'deny',
            subjects: '*',
            actions: 'resources:read',
            targets: ['file:///a/..%2fb', 'relative/path', 'file:///{a,b'],
          },
          { effect: 'allow', subjects: '*', actions: 'resources:read', when: [{ arg: 'path', under: '/x' }] },
        ],
      }),
    );
    const text = issues.join('\n');
    expect(text).toContain('roles.admin.inherits.0: role "admin" inherits unknown role "writer"');
    expect(text).toContain('rules.0.subjects.0: subject "role:ghost" names an undeclared role');
    expect(text).toContain('rules.0.actions.0: unknown action "tool:call" | did you mean "tools:call"?');
    expect(text).toContain('rules.1.id: rule id "x" is used twice');
    expect(text).toContain('rules.1.subjects.0: unknown subject "someone"');
    expect(text).toContain('rules.1.actions.0: "tools:list" takes no target');
    expect(text).toContain('rules.2.targets.0');
    expect(text).toContain('rules.2.targets.1');
    expect(text).toContain('rules.2.targets.2: unbalanced "{"');
    expect(text).toContain('rules.3.when: conditions apply to tools:call and prompts:get only');
  });

  it('refuses role cycles', () => {
    const issues = issuesOf(() =>
      AccessPolicy.compile({
        version: 1,
        roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } },
        rules: [],
      }),
    );
    expect(issues.join('\n')).toContain('inherits itself (a cycle)');
  });

  it('schema problems (unknown keys, bad effect, missing version) come with hints', () => {
    const issues = issuesOf(() =>
      AccessPolicy.compile({ rules: [{ effect: 'permit', subjects: '*', actions: '*', target: 'x' }] }),
    );
    const text = issues.join('\n');
    expect(text).toContain('version');
    expect(text).toContain('add "version: 1" at the top');
    expect(text).toContain('use one of "allow", "deny"');
    expect(text).toContain('remove "target"');
  });
});
