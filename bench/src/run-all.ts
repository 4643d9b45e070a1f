// `pnpm bench`: runs every *.bench.ts here one after another (each compares against its own baseline in the same
// run), then assembles bench/RESULTS.md from the per-benchmark result files.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { summaryMarkdown } from './summary.ts';

const here = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n# ${file}\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${here}${file}`], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
const resultsDir = new URL('../results/', import.meta.url).pathname;
const sections = readdirSync(resultsDir)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => readFileSync(`${resultsDir}${f}`, 'utf8').trim());
const summary = summaryMarkdown();
writeFileSync(new URL('../SUMMARY.md', import.meta.url), `# Benchmark summary\n\n${summary}`);
process.stdout.write(`\n${summary}`);
writeFileSync(
  new URL('../RESULTS.md', import.meta.url),
  `# Benchmark results\n\nEach table comes from one run of \`pnpm bench\` (or \`pnpm bench <name>\`) in which the baseline and MCP Warden ran side by side on the same machine; ratios matter more than absolute numbers (the machines are shared). Machine, Node version and date are on each table.\n\n${summary}\n${sections.join('\n\n')}\n`,
);
process.exit(failed === 0 ? 0 : 1);
