const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a duration such as `30d`, `24h`, `90m`, `45s`, `2w` (or a plain number of seconds) into seconds, for the
 * CLI's `--expires` and `--grace`. Returns `undefined` for anything else.
 * @example parseDuration('24h') // 86400
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}
