import { join } from 'node:path';
import {
  type AuditSink,
  auditTrail,
  jsonLinesSink,
  parseDurationMs,
  SqliteAuditStore,
  stdoutAuditSink,
} from '@mcp-warden/audit';
import type { RequestObserver } from '@mcp-warden/core';
import { type ServerConfig, ServerConfigError } from './config.js';
import { DATA_FILES } from './services.js';

export interface Observability {
  observers: RequestObserver[];
  /** The SQLite audit store, when the `sqlite` sink is on. */
  audit: SqliteAuditStore | undefined;
}

/** The audit trail as configured: `audit.db` in the data directory, a JSON-lines file, stdout (HTTP only). */
export function buildAudit(config: ServerConfig, stdio: boolean): Observability {
  const a = config.audit;
  if (!a.enabled) return { observers: [], audit: undefined };
  if (stdio && a.sinks.includes('stdout'))
    throw new ServerConfigError(
      'audit.sinks: "stdout" cannot be used with --stdio (stdout carries the MCP protocol); use "sqlite" or "jsonl".',
    );
  const sinks: AuditSink[] = [];
  let audit: SqliteAuditStore | undefined;
  if (a.sinks.includes('sqlite')) {
    audit = new SqliteAuditStore({
      path: join(config.dataDir, DATA_FILES.audit),
      maxAgeMs: a.maxAge === '0' ? 0 : parseDurationMs(a.maxAge),
      maxRows: a.maxRows,
    });
    sinks.push(audit);
  }
  if (a.sinks.includes('jsonl')) sinks.push(jsonLinesSink(a.file ?? join(config.dataDir, 'audit.jsonl')));
  if (a.sinks.includes('stdout')) sinks.push(stdoutAuditSink());
  const trail = auditTrail({
    sinks,
    captureArguments: a.captureArguments,
    excludeMethods: a.excludeMethods,
  });
  return { observers: [trail], audit };
}
