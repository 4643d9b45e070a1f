const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30s`, `15m`, `1h`, `7d`, `2w` → milliseconds; `undefined` for anything else. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d{1,9})(s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2]!]!;
}

/**
 * A point in time from a duration ago (`1h`) or an ISO 8601 date (`2025-01-31`, `2025-01-31T12:00:00Z`), as epoch
 * milliseconds; `undefined` when it is neither.
 */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const duration = parseDurationMs(text);
  if (duration !== undefined) return now - duration;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) return undefined;
  const time = Date.parse(text.trim());
  return Number.isNaN(time) ? undefined : time;
}
