/**
 * Readable diffs of canonical tool definitions for operators: pretty-printed JSON (sorted keys), characters that
 * a terminal would hide or reorder shown as `\u{…}` escapes, and a unified-style line diff.
 */

/**
 * Characters an operator must see but a terminal would hide, swallow or reorder: C0/C1 controls and DEL, soft
 * hyphen, zero-width and invisible formatting characters, bidi controls, the BOM, variation selectors and the
 * Unicode tag block (ASCII smuggling). One character class, so matching is linear.
 */
const HIDDEN =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is matched alone on purpose (a joiner or selector must be shown, not combined).
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u{e0000}-\u{e0fff}\u{1d173}-\u{1d17a}]/gu;

/** Replaces every hidden character with a visible `\u{hex}` escape. */
export function revealHidden(text: string): string {
  return text.replace(HIDDEN, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/**
 * Pretty-prints canonical JSON text with two-space indentation and sorted keys, hidden characters revealed, and
 * strings with line breaks shown one line of text per line. For reading, not parsing: the hash is the identity.
 */
export function prettyCanonical(canonical: string): string[] {
  const lines: string[] = [];
  render(JSON.parse(canonical) as unknown, 0, '', '', lines);
  return lines.map(revealHidden);
}

function render(value: unknown, depth: number, prefix: string, suffix: string, out: string[]): void {
  const pad = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(`${pad}${prefix}[]${suffix}`);
      return;
    }
    out.push(`${pad}${prefix}[`);
    value.forEach((item, i) => {
      render(item, depth + 1, '', i < value.length - 1 ? ',' : '', out);
    });
    out.push(`${pad}]${suffix}`);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) {
      out.push(`${pad}${prefix}{}${suffix}`);
      return;
    }
    out.push(`${pad}${prefix}{`);
    keys.forEach((key, i) => {
      const item = (value as Record<string, unknown>)[key];
      render(item, depth + 1, `${JSON.stringify(key)}: `, i < keys.length - 1 ? ',' : '', out);
    });
    out.push(`${pad}}${suffix}`);
    return;
  }
  if (typeof value === 'string' && value.includes('\n')) {
    // A multi-line text (descriptions usually are) gets one diff line per line of text, so a changed sentence
    // shows as that line, not as the whole description. Each line stays JSON-escaped; `│` marks the text.
    const textLines = value.split('\n');
    out.push(`${pad}${prefix}(text, ${textLines.length} lines)${suffix}`);
    for (const line of textLines) out.push(`${pad}  │ ${JSON.stringify(line).slice(1, -1)}`);
    return;
  }
  out.push(`${pad}${prefix}${JSON.stringify(value)}${suffix}`);
}

/** Above this many lines on both sides together, the diff shows both versions whole instead of aligning them. */
const MAX_ALIGNED_LINES = 4000;
const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** A line-level diff (longest common subsequence), as a list of kept, removed and added lines. */
export function diffLines(before: readonly string[], after: readonly string[]): Op[] {
  if (before.length + after.length > MAX_ALIGNED_LINES) {
    return [
      ...before.map((line) => ({ kind: '-' as const, line })),
      ...after.map((line) => ({ kind: '+' as const, line })),
    ];
  }
  const n = before.length;
  const m = after.length;
  // lcs[i][j]: length of the longest common subsequence of before[i..] and after[j..], in one flat array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        before[i] === after[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      ops.push({ kind: ' ', line: before[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      ops.push({ kind: '-', line: before[i++]! });
    } else {
      ops.push({ kind: '+', line: after[j++]! });
    }
  }
  while (i < n) ops.push({ kind: '-', line: before[i++]! });
  while (j < m) ops.push({ kind: '+', line: after[j++]! });
  return ops;
}

/**
 * A unified-style diff (`---`/`+++` headers, `@@ -a,b +c,d @@` hunks with three lines of context) between two
 * canonical definitions. `before` undefined means the tool is new: every line is an addition.
 */
export function unifiedDiff(
  before: string | undefined,
  after: string,
  labels: { before: string; after: string },
): string {
  const ops = diffLines(before === undefined ? [] : prettyCanonical(before), prettyCanonical(after));
  const out = [`--- ${revealHidden(labels.before)}`, `+++ ${revealHidden(labels.after)}`];
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) return [...out, '(no differences)'].join('\n');
  // Group changes whose context windows touch into hunks.
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(ops.length, index + CONTEXT + 1);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1]) last[1] = end;
    else hunks.push([start, end]);
  }
  for (const [start, end] of hunks) out.push(...hunk(ops, start, end));
  return out.join('\n');
}

function hunk(ops: readonly Op[], start: number, end: number): string[] {
  let oldLine = 1;
  let newLine = 1;
  for (let k = 0; k < start; k++) {
    if (ops[k]!.kind !== '+') oldLine++;
    if (ops[k]!.kind !== '-') newLine++;
  }
  const body = ops.slice(start, end);
  const oldCount = body.filter((op) => op.kind !== '+').length;
  const newCount = body.filter((op) => op.kind !== '-').length;
  const range = (line: number, count: number) => `${count === 0 ? line - 1 : line},${count}`;
  return [
    `@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@`,
    ...body.map((op) => `${op.kind}${op.line}`),
  ];
}
