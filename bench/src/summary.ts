// The targets of the performance issues, as one table: each benchmark records the measures it produced
// (`recordMeasures`, a JSON file next to its markdown in results/), and `pnpm bench` (run-all.ts) turns every recorded
// measure into bench/SUMMARY.md and the top of bench/RESULTS.md. A measure's row carries the date of the run that
// produced it, so a partial `pnpm bench <name>` updates only its own rows.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Measure {
  /** What is compared, e.g. "every plugin on vs empty pipeline, by CPU per request". */
  measure: string;
  /** Ours relative to the baseline: above 1 = faster (for "at least" targets) or dearer (for "at most"). */
  ratio: number;
  target: number;
  /**
   * `atLeast`: met when ratio ≥ target (throughput ratios); `atMost`: met when ratio ≤ target (cost ratios);
   * `report`: a figure the issue asks for without a target (the target is ignored).
   */
  kind: 'atLeast' | 'atMost' | 'report';
  /** What ratio and target are counted in, when not a ratio (e.g. "B/call" for a heap slope). @default '×' */
  unit?: string;
}

interface Recorded extends Measure {
  date: string;
  machine: string;
}

const resultsDir = new URL('../results/', import.meta.url);

export function machine(): string {
  return `${cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus().length} · Node ${process.version}`;
}

/** Writes results/<bench>.measures.json: this run's measures of one benchmark (replacing its earlier ones). */
export function recordMeasures(bench: string, measures: Measure[]): void {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const recorded: Recorded[] = measures.map((m) => ({ ...m, date, machine: machine() }));
  writeFileSync(new URL(`${bench}.measures.json`, resultsDir), `${JSON.stringify(recorded, null, 2)}\n`);
}

export function met(m: Measure): boolean {
  if (m.kind === 'report') return true;
  return m.kind === 'atLeast' ? m.ratio >= m.target : m.ratio <= m.target;
}

function targetCell(r: Measure): string {
  if (r.kind === 'report') return '—';
  return `${r.kind === 'atLeast' ? '≥' : '≤'} ${r.target}${r.unit === undefined ? '×' : ` ${r.unit}`}`;
}

function metCell(r: Measure): string {
  if (r.kind === 'report') return 'reported';
  return met(r) ? 'yes' : '**no**';
}

/** The summary table from every recorded measure, in benchmark file order. */
export function summaryMarkdown(): string {
  const rows = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.measures.json'))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(new URL(f, resultsDir), 'utf8')) as Recorded[]);
  return [
    '## Summary: every target, as measured',
    '',
    'Each ratio is ours ÷ the baseline of the same run (paired rounds; see the sections below for how each is measured); a measure with a unit (heap growth in B/call) is an absolute figure held against its bound.',
    '',
    '| measure | ratio | target | met | run (UTC) · machine |',
    '| --- | ---: | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.measure} | ${r.ratio.toFixed(3)}${r.unit === undefined ? '×' : ` ${r.unit}`} | ${targetCell(r)} | ${metCell(r)} | ${r.date} · ${r.machine} |`,
    ),
    '',
  ].join('\n');
}
