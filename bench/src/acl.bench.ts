/**
 * ACL decisions per second: @mcp-warden/acl (compiled, indexed) next to node-casbin (RBAC model with
 * `keyMatch` (its fastest matcher that expresses a subtree: `prefix/*`), deny-override effect, `enforceSync`) on the
 * same policy, at 100, 1,000 and 10,000 rules.
 *
 * Run: cd bench && pnpm tsx src/acl.bench.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { Bench } from 'tinybench';
import { AccessPolicy, type AclRule } from '../../packages/acl/src/index.ts';
import { createPrincipal } from '../../packages/core/src/index.ts';

const ROLES = 50;
const SIZES = [100, 1_000, 10_000];

const CASBIN_MODEL = `
[request_definition]
r = sub, act, obj

[policy_definition]
p = sub, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && r.act == p.act && keyMatch(r.obj, p.obj)
`;

/**
 * N rules: 50 % exact tool grants, 40 % resource subtree grants, 10 % resource subtree denies, spread over 50
 * roles in blocks of ten (rule i belongs to role floor(i/10) mod 50), so the principal (role_7) is named by 1/50
 * of the rules.
 */
function generate(n: number): { rules: AclRule[]; casbinLines: string[] } {
  const rules: AclRule[] = [];
  const casbinLines: string[] = [];
  for (let i = 0; i < n; i++) {
    const role = `role_${Math.floor(i / 10) % ROLES}`;
    const kind = i % 10;
    if (kind < 5) {
      rules.push({
        id: `r${i}`,
        effect: 'allow',
        subjects: `role:${role}`,
        actions: 'tools:call',
        targets: `tool_${i}`,
      });
      casbinLines.push(`p, ${role}, tools:call, tool_${i}, allow`);
    } else if (kind < 9) {
      rules.push({
        id: `r${i}`,
        effect: 'allow',
        subjects: `role:${role}`,
        actions: 'resources:read',
        targets: `file:///data/team${i}/**`,
      });
      casbinLines.push(`p, ${role}, resources:read, file:///data/team${i}/*, allow`);
    } else {
      rules.push({
        id: `r${i}`,
        effect: 'deny',
        subjects: `role:${role}`,
        actions: 'resources:read',
        targets: `file:///data/team${i - 4}/secret/**`,
      });
      casbinLines.push(`p, ${role}, resources:read, file:///data/team${i - 4}/secret/*, deny`);
    }
  }
  casbinLines.push('g, alice, role_7');
  return { rules, casbinLines };
}

/** Requests for principal alice (role_7), each with its expected outcome. */
function cases(n: number) {
  // Largest indexes of each kind that belong to role_7, so the matching rule sits deep in the list.
  const last = (pred: (i: number) => boolean) => {
    for (let i = n - 1; i >= 0; i--) if (Math.floor(i / 10) % ROLES === 7 && pred(i)) return i;
    throw new Error('no such rule');
  };
  const tool = last((i) => i % 10 < 5);
  const res = last((i) => i % 10 >= 5 && i % 10 < 9);
  const deny = last((i) => i % 10 === 9);
  return [
    { name: 'tool allowed', action: 'tools:call', target: `tool_${tool}`, allowed: true },
    { name: 'tool denied (default)', action: 'tools:call', target: `tool_${tool + 1}`, allowed: false },
    {
      name: 'resource allowed',
      action: 'resources:read',
      target: `file:///data/team${res}/docs/readme.md`,
      allowed: true,
    },
    {
      name: 'resource denied (deny rule)',
      action: 'resources:read',
      target: `file:///data/team${deny - 4}/secret/key.pem`,
      allowed: false,
    },
  ];
}

async function main(): Promise<void> {
  const principal = createPrincipal({ id: 'alice', kind: 'apikey', roles: ['role_7'] });
  const rows: string[] = [];
  for (const n of SIZES) {
    const { rules, casbinLines } = generate(n);
    const roles = Object.fromEntries(Array.from({ length: ROLES }, (_, i) => [`role_${i}`, {}]));
    const policy = AccessPolicy.compile({ version: 1, roles, rules });
    const enforcer = await newEnforcer(
      newModelFromString(CASBIN_MODEL),
      new StringAdapter(casbinLines.join('\n')),
    );

    for (const c of cases(n)) {
      // Same answers from both engines, or the comparison is meaningless.
      const ours = policy.check(principal, c.action, c.target);
      const theirs = enforcer.enforceSync('alice', c.action, c.target);
      if (ours !== c.allowed || theirs !== c.allowed)
        throw new Error(`${n} rules, ${c.name}: expected ${c.allowed}, acl=${ours}, casbin=${theirs}`);

      // Separate runs: the ACL needs a real JIT warm-up and gets the median of three short runs (the machine is
      // shared, one run can land on a busy moment); casbin at 10,000 rules takes ~0.1 s per call, so it gets a few
      // iterations only.
      const aclRuns: number[] = [];
      for (let round = 0; round < 3; round++) {
        const aclBench = new Bench({ time: 200, warmupTime: round === 0 ? 100 : 20, warmupIterations: 200 });
        // Batches of 100 so the timer's own cost does not dominate a sub-microsecond operation.
        aclBench.add('acl', () => {
          for (let k = 0; k < 100; k++) policy.check(principal, c.action, c.target);
        });
        await aclBench.run();
        aclRuns.push(opsPerSecond(aclBench, 100));
      }
      const casbinBench = new Bench({ time: 300, iterations: 10, warmupIterations: 3 });
      casbinBench.add('casbin', () => {
        enforcer.enforceSync('alice', c.action, c.target);
      });
      await casbinBench.run();
      const aclOps = aclRuns.sort((a, b) => a - b)[1] as number;
      const casbinOps = opsPerSecond(casbinBench, 1);
      rows.push(
        `| ${n.toLocaleString('en')} | ${c.name} | ${fmt(aclOps)} | ${fmt(casbinOps)} | ${(aclOps / casbinOps).toFixed(0)}× |`,
      );
      console.log(rows[rows.length - 1]);
    }
  }

  const lengthRows = await byTargetLength();
  const table = [
    '| rules | case | @mcp-warden/acl (decisions/s, median) | casbin (decisions/s, median) | ratio |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  const report = `# ACL benchmark\n\nDate: ${new Date().toISOString()}  \nCPU: ${cpus()[0]?.model ?? 'unknown'}  \nNode: ${process.version}\n\nPrincipal with one of 50 roles; rules split 50 % exact tool grants, 40 % resource subtree grants (\`file:///data/teamN/**\`), 10 % subtree denies. casbin: RBAC model, \`keyMatch\` (subtrees as \`prefix/*\`; its fastest matcher for them, \`globMatch\` is slower still), deny-override effect, same rules, \`enforceSync\`. acl: \`AccessPolicy.check\` (sync), timed in batches of 100, median of three runs. Both engines are checked to give the same answer for each case before timing.\n\nLoad average during the run: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ', ',
    )} on ${cpus().length} cores (a shared machine: absolute numbers are low; the ratios come from the same run).\n\n${table}\n\nTarget length, 10,000 rules (acl only): the cost follows the number of segments of the target, not the number of rules.\n\n| segments | characters | decisions/s (median) |\n| ---: | ---: | ---: |\n${lengthRows.join('\n')}\n`;
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../results/acl.md', import.meta.url), report);
  console.log(`\n${report}`);
}

/** Operations per second from the median (p50) latency of one task call doing `batch` operations. */
function opsPerSecond(bench: Bench, batch: number): number {
  const result = bench.tasks[0]?.result;
  if (result?.state !== 'completed') throw new Error(`benchmark did not complete: ${result?.state}`);
  return (batch * 1000) / result.latency.p50;
}

/** ACL only, 10,000 rules: decisions/s as the target gets longer (the cost should follow its length). */
async function byTargetLength(): Promise<string[]> {
  const { rules } = generate(10_000);
  const roles = Object.fromEntries(Array.from({ length: ROLES }, (_, i) => [`role_${i}`, {}]));
  const policy = AccessPolicy.compile({ version: 1, roles, rules });
  const principal = createPrincipal({ id: 'alice', kind: 'apikey', roles: ['role_7'] });
  const rows: string[] = [];
  for (const depth of [1, 4, 16, 64]) {
    const target = `file:///data/team9575/${Array.from({ length: depth }, (_, i) => `d${i}`).join('/')}`;
    if (!policy.check(principal, 'resources:read', target))
      throw new Error(`expected ${target} to be allowed`);
    const bench = new Bench({ time: 300, warmupTime: 100, warmupIterations: 200 });
    bench.add('acl', () => {
      for (let k = 0; k < 100; k++) policy.check(principal, 'resources:read', target);
    });
    await bench.run();
    rows.push(`| ${depth + 3} | ${target.length} | ${fmt(opsPerSecond(bench, 100))} |`);
    console.log(rows[rows.length - 1]);
  }
  return rows;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

await main();
