export { parseDurationMs, parseSince } from './duration.js';
export { AUDIT_ERROR_CODES, type AuditErrorCode, NotCanonicalError } from './errors.js';
export {
  type AuditOutcome,
  type AuditRecord,
  argumentsOf,
  canonicalJson,
  digestArguments,
} from './record.js';
export type { AuditSink } from './sink.js';
export { type JsonLinesSinkOptions, jsonLinesSink, stdoutAuditSink } from './sinks/jsonl.js';
export {
  type AuditQuery,
  SqliteAuditStore,
  type SqliteAuditStoreOptions,
  type StoredAuditRecord,
} from './sinks/sqlite.js';
export { type AuditTrailOptions, auditTrail, auditTrailOptionsSchema } from './trail.js';
