import { join } from 'node:path';
import { type AuditQuery, parseSince, SqliteAuditStore, type StoredAuditRecord } from '@mcp-warden/audit';
import { type Command, InvalidArgumentError } from 'commander';
import { type ConfigOverrides, loadConfig, ServerConfigError } from './config.js';
import { DATA_FILES } from './services.js';

interface Flags {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

const OUTCOMES = ['ok', 'error', 'refused', 'timeout', 'cancelled'] as const;

function since(value: string): number {
  const time = parseSince(value);
  if (time === undefined)
    throw new InvalidArgumentError('takes a duration ago (30m, 1h, 7d) or a date (2025-01-31, ISO 8601).');
  return time;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('must be 1 to 100000.');
  return n;
}

function outcome(value: string): AuditQuery['outcome'] {
  if (!(OUTCOMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${OUTCOMES.join(', ')}.`);
  return value as AuditQuery['outcome'];
}

/** One aligned line per record; client-chosen text has its control characters escaped. */
export function formatRecord(r: StoredAuditRecord): string {
  const safe = (text: string | null) =>
    text === null
      ? '-'
      : text.replace(
          /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        );
  return [
    r.time,
    r.principalId.padEnd(14),
    r.method.padEnd(16),
    safe(r.target),
    `${r.outcome}${r.errorCode ? `(${r.errorCode})` : ''}`,
    `${r.latencyMs.toFixed(1)}ms`,
    `trace=${r.traceId}`,
  ].join('  ');
}

/**
 * `mcp-warden audit tail|query`: reads `<dataDir>/audit.db` read-only (the server may be running).
 */
export function registerAuditCommands(
  program: Command,
  common: (command: Command) => Command,
  overrides: (flags: Flags) => ConfigOverrides,
  fail: (error: unknown) => never,
): void {
  const audit = program.command('audit').description('read the audit trail of allowed actions');
  const open = (flags: Flags): SqliteAuditStore => {
    const config = loadConfig(overrides(flags));
    if (!config.audit.enabled || !config.audit.sinks.includes('sqlite'))
      throw new ServerConfigError('The SQLite audit trail is off in this configuration (audit.sinks).');
    return new SqliteAuditStore({ path: join(config.dataDir, DATA_FILES.audit), readonly: true });
  };
  const write = (flags: Flags, records: StoredAuditRecord[]) => {
    if (flags.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    else
      process.stdout.write(records.length ? `${records.map(formatRecord).join('\n')}\n` : '(no records)\n');
  };

  common(audit.command('query').description('records matching every given filter, newest first'))
    .option('--principal <id>', 'principal id')
    .option(
      '--target <target>',
      'tool or prompt name or resource URI, or a pattern (file:///public/**, read_*)',
    )
    .option('--method <method>', 'JSON-RPC method, e.g. tools/call')
    .option('--outcome <outcome>', OUTCOMES.join(' | '), outcome)
    .option('--trace <id>', 'trace id')
    .option('--since <when>', 'e.g. 1h, 7d or 2025-01-31', since)
    .option('--until <when>', 'e.g. 10m or 2025-02-01', since)
    .option('--limit <n>', 'at most this many', count, 100)
    .option('--json', 'print JSON')
    .action(
      (
        flags: Flags & {
          principal?: string;
          target?: string;
          method?: string;
          outcome?: AuditQuery['outcome'];
          trace?: string;
          since?: number;
          until?: number;
          limit: number;
        },
      ) => {
        try {
          const store = open(flags);
          try {
            write(
              flags,
              store.query({
                principal: flags.principal,
                target: flags.target,
                method: flags.method,
                outcome: flags.outcome,
                traceId: flags.trace,
                since: flags.since,
                until: flags.until,
                limit: flags.limit,
              }),
            );
          } finally {
            store.close();
          }
        } catch (error) {
          fail(error);
        }
      },
    );

  common(audit.command('tail').description('the latest records, oldest first; --follow for new ones'))
    .option('-n, --lines <n>', 'how many', count, 20)
    .option('-f, --follow', 'keep printing new records (Ctrl-C to stop)')
    .option('--json', 'print one JSON object per line')
    .action(async (flags: Flags & { lines: number; follow?: boolean }) => {
      try {
        const store = open(flags);
        const show = (records: StoredAuditRecord[]) => {
          for (const r of records)
            process.stdout.write(`${flags.json ? JSON.stringify(r) : formatRecord(r)}\n`);
        };
        const latest = store.query({ limit: flags.lines }).reverse();
        show(latest);
        if (!flags.follow) {
          store.close();
          return;
        }
        let last = latest.at(-1)?.id ?? 0;
        const timer = setInterval(() => {
          const next = store.query({ afterId: last, limit: 1000 });
          show(next);
          last = next.at(-1)?.id ?? last;
        }, 1000);
        process.once('SIGINT', () => {
          clearInterval(timer);
          store.close();
          process.exit(0);
        });
      } catch (error) {
        fail(error);
      }
    });
}
