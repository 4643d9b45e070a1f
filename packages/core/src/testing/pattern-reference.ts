/**
 * A slow, obviously correct reference of the pattern language (core/src/pattern.ts): brute-force brace expansion,
 * `*` and `**` by trying every split. For property tests of the engines that implement the language (core's
 * matcher and index, the acl's compiled policy), never for matching in product code.
 */

/** Every alternative of the first top-level `{…}` group, recursively (nesting allowed). */
export function referenceExpand(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open === -1) return [pattern];
  let depth = 0;
  let close = -1;
  const cuts: number[] = [];
  for (let i = open; i < pattern.length && close === -1; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) close = i;
    else if (pattern[i] === ',' && depth === 1) cuts.push(i);
  }
  const bounds = [open, ...cuts, close];
  const alternatives = bounds.slice(1).map((end, i) => pattern.slice((bounds[i] as number) + 1, end));
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  return alternatives.flatMap((alt) => referenceExpand(head + alt + tail));
}

/** `*` = any characters in a segment, by trying every split point. */
function segmentMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  if (pattern[0] === '*') {
    for (let i = 0; i <= text.length; i++) if (segmentMatch(pattern.slice(1), text.slice(i))) return true;
    return false;
  }
  return text.length > 0 && text[0] === pattern[0] && segmentMatch(pattern.slice(1), text.slice(1));
}

/** `**` = any number of whole segments, by trying every count. */
function segmentsMatch(pattern: string[], text: string[]): boolean {
  if (pattern.length === 0) return text.length === 0;
  const [first, ...rest] = pattern as [string, ...string[]];
  if (first === '**') {
    for (let i = 0; i <= text.length; i++) if (segmentsMatch(rest, text.slice(i))) return true;
    return false;
  }
  return text.length > 0 && segmentMatch(first, text[0] as string) && segmentsMatch(rest, text.slice(1));
}

/** Whether one brace-free alternative matches `text`. */
export function referenceMatchAlternative(alternative: string, text: string): boolean {
  return segmentsMatch(alternative.split('/'), text.split('/'));
}

/** Whether `pattern` matches `text`, by the reference. */
export function referencePatternMatch(pattern: string, text: string): boolean {
  return referenceExpand(pattern).some((alternative) => referenceMatchAlternative(alternative, text));
}
