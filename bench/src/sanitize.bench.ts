/**
 * What @mcp-warden/sanitize costs, next to a plain copy of the same bytes and a naive `replace()` of the same
 * invisible characters, in one run.
 *
 * Three 10 MiB corpora (clean English prose, TypeScript source, mixed Unicode with emoji ZWJ sequences, VS16,
 * Persian ZWNJ, Devanagari conjuncts, CJK), and for each:
 * - copy: `Buffer.from(buf)` of its UTF-8 bytes (a memcpy: the floor);
 * - naive replace: one `text.replace(/[…invisible…]/g, '')` of the characters our scanner handles, with no
 *   context rules (it would break emoji, Persian and Hindi);
 * - invisible/escape scan: `sanitizeText` with only the invisible and terminal rules;
 * - full rule set: the default output rules (invisible, terminal, ~75 secret rules, injection flags), and the
 *   same plus every PII rule;
 * - the tutorial's SQL-keyword regex, counting every match over the text.
 *
 * MB/s uses MB = 2^20 bytes of UTF-8 input. Run: cd bench && pnpm tsx src/sanitize.bench.ts
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { compileRules, sanitizeText, TUTORIAL_SQL_KEYWORD_REGEX } from '../../packages/sanitize/src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SIZE = 10 * 1024 * 1024;

function toSize(unit: string): string {
  const unitBytes = Buffer.byteLength(unit);
  let text = unit.repeat(Math.ceil(SIZE / unitBytes));
  while (Buffer.byteLength(text) > SIZE)
    text = text.slice(0, text.length - Math.max(1, Math.floor((Buffer.byteLength(text) - SIZE) / 4)));
  // Never end on a lone high surrogate.
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
  return text;
}

function english(): string {
  const words =
    'the of and to in is that for it as with was on be by this are at from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
      ' ',
    );
  let x = 42;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 8;
  };
  const sentences: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const n = 6 + (next() % 14);
    const sentence = Array.from({ length: n }, () => words[next() % words.length]).join(' ');
    sentences.push(`${sentence[0]?.toUpperCase()}${sentence.slice(1)}${next() % 5 === 0 ? ',' : '.'}`);
  }
  return `${sentences.join(' ')}\n`;
}

function sourceCode(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'dist') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(readFileSync(path, 'utf8'));
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) walk(join(root, 'packages', pkg, 'src'));
  return files.join('\n');
}

function mixedUnicode(): string {
  const benign = readFileSync(join(root, '..', 'shared', 'corpus', 'benign', 'text.txt'), 'utf8');
  const extra = [
    '日本語の文章です。東京は晴れ、気温は二十度。漢字とかなが混ざっています。',
    '中文段落：今天天气很好，我们去公园散步吧。',
    'مرحبا بالعالم، هذا نص عربي طويل. می‌خواهم کتاب‌ها را بخوانم.',
    'हिन्दी वाक्य: क्‍षमा करें, यह परीक्षण है। क्‌ष',
    'Emoji: 👨‍👩‍👧‍👦 🏳️‍🌈 👩🏽‍💻 ❤️‍🔥 👍🏿 1️⃣ 🇩🇪 🏴󠁧󠁢󠁥󠁮󠁧󠁿',
    'Ελληνικά, Русский текст, ภาษาไทย, 한국어 문장, Tiếng Việt có dấu.',
  ].join('\n');
  return `${benign}\n${extra}\n`;
}

/** The same characters our scanner handles, replaced naively (no context rules). */
const NAIVE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: matches single code units on purpose (joiners and selectors are decided one by one).
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200D\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDDEF]/g;
const TUTORIAL_GLOBAL = new RegExp(TUTORIAL_SQL_KEYWORD_REGEX.source, 'gi');
const TUTORIAL_SEPARATORS = /(--|;|\/\*|\*\/)/i;

const controlOnly = compileRules([{ secrets: 'off', injection: 'off', pii: 'off', markup: 'off' }]);
const defaults = compileRules();
const withPii = compileRules([{ pii: 'enforce' }]);

let sink = 0;
const corpora = [
  { name: 'clean English', text: toSize(english()) },
  { name: 'source code', text: toSize(sourceCode()) },
  { name: 'mixed Unicode', text: toSize(mixedUnicode()) },
];

interface Row {
  corpus: string;
  task: string;
  mbps: number;
  ms: number;
}
const rows: Row[] = [];
const notes: string[] = [];

for (const corpus of corpora) {
  const { text } = corpus;
  const buf = Buffer.from(text, 'utf8');
  const bytes = buf.length;
  const bench = new Bench({ time: 0, iterations: 5, warmupTime: 0, warmupIterations: 1 });
  bench
    .add('copy (Buffer.from of the UTF-8 bytes)', () => {
      sink += Buffer.from(buf).length;
    })
    .add('naive replace() of the invisible characters', () => {
      sink += text.replace(NAIVE, '').length;
    })
    .add('sanitize: invisible/escape scan', () => {
      sink += sanitizeText(text, controlOnly).text.length;
    })
    .add('sanitize: full default rule set', () => {
      sink += sanitizeText(text, defaults).text.length;
    })
    .add('sanitize: full rule set + PII', () => {
      sink += sanitizeText(text, withPii).text.length;
    })
    .add("tutorial's SQL-keyword regex (all matches)", () => {
      TUTORIAL_GLOBAL.lastIndex = 0;
      let n = 0;
      while (TUTORIAL_GLOBAL.test(text)) n++;
      sink += n;
    });
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result as { latency?: { p50?: number } } | undefined;
    const ms = result?.latency?.p50 ?? Number.NaN;
    rows.push({ corpus: corpus.name, task: task.name, ms, mbps: bytes / (1024 * 1024) / (ms / 1000) });
  }
  const found = sanitizeText(text, defaults).counts.filter((c) => c.enforced);
  notes.push(
    `- ${corpus.name}: ${found.length === 0 ? 'the default rules change nothing' : `the default rules change ${found.map((c) => `${c.count} × ${c.rule}`).join(', ')} (per 10 MiB; real test fixtures and doc examples in the repository's own sources)`}.`,
  );
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines: string[] = [];
lines.push('# @mcp-warden/sanitize benchmark', '');
lines.push(
  `Date: ${new Date().toISOString()} · CPU: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores, shared with other jobs; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} at the end of the run) · Node ${process.version}`,
  '',
  'Absolute MB/s on a shared, oversubscribed machine are noisy and low; the ratios within one run are the comparable numbers.',
  '',
);
lines.push(
  '10 MiB of UTF-8 text per corpus; MB/s = MiB of input per second, from the median time of one pass (tinybench).',
  '',
);
for (const corpus of corpora) {
  const of = (task: string) => rows.find((r) => r.corpus === corpus.name && r.task.startsWith(task));
  const copy = of('copy');
  const naive = of('naive');
  lines.push(`| ${corpus.name} | MB/s (median) | ms per 10 MiB | ratio to copy | ratio to naive replace |`);
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows.filter((r) => r.corpus === corpus.name)) {
    lines.push(
      `| ${row.task} | ${fmt(row.mbps)} | ${fmt(row.ms, 1)} | ${fmt(row.mbps / (copy?.mbps ?? Number.NaN), 3)} | ${fmt(row.mbps / (naive?.mbps ?? Number.NaN), 2)} |`,
    );
  }
  lines.push('');
}

lines.push('What the default rules changed in each corpus:', '', ...notes, '');

// False positives of the tutorial's check on the benign corpus, next to ours.
const benignLines = readFileSync(join(root, '..', 'shared', 'corpus', 'benign', 'text.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
const refusedByTutorial = benignLines.filter(
  (l) => TUTORIAL_SQL_KEYWORD_REGEX.test(l) || TUTORIAL_SEPARATORS.test(l),
).length;
const changedByUs = benignLines.filter(
  (l) => sanitizeText(l, withPii).text !== l && sanitizeText(l, defaults).text !== l,
).length;
lines.push(
  `Benign corpus (${benignLines.length} lines of prose, code and non-Latin scripts): the tutorial's two patterns refuse ${refusedByTutorial} lines (${fmt((100 * refusedByTutorial) / benignLines.length)} %); the default sanitize rules change ${changedByUs}.`,
  '',
  'Targets (issue 6): invisible/escape scan ≥ 200 MB/s and ≥ 0.3× the naive replace; full rule set ≥ 50 MB/s.',
  '',
);

const table = lines.join('\n');
console.log(table);
writeFileSync(join(here, '..', 'results', 'sanitize.md'), table);
if (sink === -1) console.log(sink);
