/** Edit distance counting a swap of neighbours as one edit (optimal string alignment); inputs are short keys. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

/** Longer words are not typos of option names; comparing them would only cost time. */
const MAX_COMPARED_LENGTH = 64;

/**
 * The known key (or value) meant by a misspelled one: same letters in another case (`rateLimit` → `ratelimit`),
 * `_`/`-` differences (`max_length` → `maxLength`), British and American spellings (`sanitise` → `sanitize`), or
 * a typo of at most two edits (a third of the length for short keys). `undefined` when nothing is close.
 * @example suggestKey('maxLenght', ['maxLength', 'mode']) // 'maxLength'
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > MAX_COMPARED_LENGTH) return undefined;
  const fold = (s: string) => s.toLowerCase().replaceAll('_', '').replaceAll('-', '');
  const folded = fold(key);
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    if (candidate.length > MAX_COMPARED_LENGTH) continue;
    const d = distance(folded, fold(candidate));
    if (!best || d < best.distance) best = { key: candidate, distance: d };
  }
  if (!best) return undefined;
  const limit = Math.min(2, Math.max(1, Math.floor(best.key.length / 3)));
  return best.distance <= limit ? best.key : undefined;
}
