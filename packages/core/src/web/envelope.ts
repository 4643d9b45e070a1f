/**
 * The 2026-07-28 per-request `_meta` envelope: its reserved keys, the revision rule, and a structural check that
 * accepts exactly what MCP SDK v2 accepts (its envelope schema), so Warden and the SDK agree on which requests are
 * modern. No SDK import: core runs without SDK v2.
 */
import { isPlainObject, isRequestId, type JsonObject } from './jsonrpc-shape.js';

export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';
export const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities';
export const LOG_LEVEL_META_KEY = 'io.modelcontextprotocol/logLevel';
/** W3C trace context travels in `_meta` under this plain key (spec: basic/index, `_meta` trace context). */
export const TRACEPARENT_META_KEY = 'traceparent';

/** The first revision of the modern (stateless, per-request envelope) era. */
export const FIRST_MODERN_PROTOCOL_VERSION = '2026-07-28';
/** Modern revisions whose edge duties Warden knows and enforces; others are refused, never waved through. */
export const SUPPORTED_MODERN_PROTOCOL_VERSIONS: readonly string[] = [FIRST_MODERN_PROTOCOL_VERSION];

/** Revision identifiers are ISO dates: lexicographic order is chronological (the SDK's own rule). */
export function isModernProtocolVersion(version: string): boolean {
  return version >= FIRST_MODERN_PROTOCOL_VERSION;
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** The `_meta` object of a message's params, when there is one. */
export function metaOf(params: unknown): JsonObject | undefined {
  if (!isPlainObject(params)) return undefined;
  const meta = params._meta;
  return isPlainObject(meta) ? meta : undefined;
}

/** The envelope claim: the reserved protocol-version key is present in `params._meta`, whatever its value. */
export function hasEnvelopeClaim(params: unknown): boolean {
  const meta = metaOf(params);
  return meta !== undefined && PROTOCOL_VERSION_META_KEY in meta;
}

/** The revision the claim names, when it is a string. */
export function claimedVersion(params: unknown): string | undefined {
  const value = metaOf(params)?.[PROTOCOL_VERSION_META_KEY];
  return typeof value === 'string' ? value : undefined;
}

const optional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isString = (v: unknown) => typeof v === 'string';
const isObject = (v: unknown) => isPlainObject(v);
const isRecordOfObjects = (v: unknown) => isPlainObject(v) && Object.values(v).every(isPlainObject);

function isIcon(value: unknown): boolean {
  if (!isPlainObject(value) || typeof value.src !== 'string') return false;
  return (
    optional(value.mimeType, isString) &&
    optional(value.sizes, (s) => Array.isArray(s) && s.every(isString)) &&
    optional(value.theme, (t) => t === 'light' || t === 'dark')
  );
}

function isImplementation(value: unknown): boolean {
  if (!isPlainObject(value) || typeof value.name !== 'string' || typeof value.version !== 'string')
    return false;
  return (
    optional(value.title, isString) &&
    optional(value.icons, (i) => Array.isArray(i) && i.every(isIcon)) &&
    optional(value.websiteUrl, isString) &&
    optional(value.description, isString)
  );
}

function isElicitation(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const form = value.form;
  const formOk = optional(
    form,
    (f) => isPlainObject(f) && optional(f.applyDefaults, (a) => typeof a === 'boolean'),
  );
  return formOk && optional(value.url, isObject);
}

function isClientCapabilities(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const sampling = value.sampling;
  const roots = value.roots;
  return (
    optional(value.experimental, isRecordOfObjects) &&
    optional(
      sampling,
      (s) => isPlainObject(s) && optional(s.context, isObject) && optional(s.tools, isObject),
    ) &&
    optional(value.elicitation, isElicitation) &&
    optional(roots, (r) => isPlainObject(r) && optional(r.listChanged, (l) => typeof l === 'boolean')) &&
    optional(value.extensions, isRecordOfObjects)
  );
}

/**
 * True when `meta` is a complete, well-formed envelope: a protocol-version string, client capabilities (required),
 * and well-typed optional client info, log level and progress token. Foreign keys are allowed.
 */
export function isValidEnvelope(meta: JsonObject): boolean {
  if (!(PROTOCOL_VERSION_META_KEY in meta) || !(CLIENT_CAPABILITIES_META_KEY in meta)) return false;
  return (
    typeof meta[PROTOCOL_VERSION_META_KEY] === 'string' &&
    isClientCapabilities(meta[CLIENT_CAPABILITIES_META_KEY]) &&
    optional(meta[CLIENT_INFO_META_KEY], isImplementation) &&
    optional(meta[LOG_LEVEL_META_KEY], (l) => typeof l === 'string' && LOG_LEVELS.includes(l)) &&
    optional(meta.progressToken, isRequestId)
  );
}

/** A claim that is well formed and names a modern revision (overrides `initialize` ⇒ legacy handshake). */
export function carriesValidModernClaim(params: unknown): boolean {
  const version = claimedVersion(params);
  const meta = metaOf(params);
  return (
    version !== undefined && isModernProtocolVersion(version) && meta !== undefined && isValidEnvelope(meta)
  );
}
