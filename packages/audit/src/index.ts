export { parseDurationMs, parseSince } from './duration.js';
export {
  type AuditOutcome,
  type AuditRecord,
  argumentsOf,
  canonicalJson,
  digestArguments,
  NotCanonicalError,
} from './record.js';
export type { AuditSink } from './sink.js';
export { type JsonLinesSinkOptions, jsonLinesSink, stdoutAuditSink } from './sinks/jsonl.js';
export {
  type AuditQuery,
  SqliteAuditStore,
  type SqliteAuditStoreOptions,
  type StoredAuditRecord,
} from './sinks/sqlite.js';
export { type AuditTrailOptions, auditTrail } from './trail.js';
