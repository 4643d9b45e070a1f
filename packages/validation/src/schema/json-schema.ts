import type { ValidationIssue } from '@mcp-warden/core';
import AjvDraft07Module, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019Module from 'ajv/dist/2019.js';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS with a `default` export; under NodeNext the default import is the module object.
type Constructor<T> = new (options: Record<string, unknown>) => T;
type AjvInstance = InstanceType<typeof AjvDraft07Module.default>;
const interop = <T>(mod: unknown): T => ((mod as { default?: T }).default ?? mod) as T;
const AjvDraft07 = interop<Constructor<AjvInstance>>(AjvDraft07Module);
const Ajv2019 = interop<Constructor<AjvInstance>>(Ajv2019Module);
const Ajv2020 = interop<Constructor<AjvInstance>>(Ajv2020Module);
const addFormats = interop<(ajv: AjvInstance) => void>(addFormatsModule);

/** A JSON Schema object (as MCP tools declare their `inputSchema`). */
export type JsonSchema = Record<string, unknown> | boolean;

/** A compiled JSON Schema check: returns the problems (empty when valid). */
export type JsonSchemaCheck = (value: unknown) => ValidationIssue[];

const AJV_OPTIONS = {
  // Servers' schemas carry keywords ajv does not know (`title` is fine, vendor `x-…` keywords too): don't refuse them.
  strict: false,
  allErrors: true,
  logger: false,
  // Never mutate the arguments: no defaults, no coercion.
  useDefaults: false,
  coerceTypes: false,
};

let instances: { draft07: AjvInstance; draft2019: AjvInstance; draft2020: AjvInstance } | undefined;
function ajvFor(schema: JsonSchema): AjvInstance {
  if (!instances) {
    instances = {
      draft07: new AjvDraft07(AJV_OPTIONS),
      draft2019: new Ajv2019(AJV_OPTIONS),
      draft2020: new Ajv2020(AJV_OPTIONS),
    };
    for (const ajv of Object.values(instances)) addFormats(ajv);
  }
  const dialect = typeof schema === 'object' && typeof schema.$schema === 'string' ? schema.$schema : '';
  // MCP (2025-11-25) makes 2020-12 the default dialect of tool schemas; honour an explicit older $schema.
  if (/draft-0[4-7]/.test(dialect)) return instances.draft07;
  if (dialect.includes('2019-09')) return instances.draft2019;
  return instances.draft2020;
}

function toIssue(error: ErrorObject): ValidationIssue {
  let pointer = error.instancePath;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string')
    pointer += `/${params.missingProperty.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    pointer += `/${params.additionalProperty.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return { pointer, message: (error.message ?? 'is not valid').slice(0, 200) };
}

const MAX_CACHED = 1000;
const compiled = new Map<string, JsonSchemaCheck>();

/**
 * Compiles a JSON Schema (2020-12 by default; draft-07 and 2019-09 when `$schema` says so) with ajv and caches it
 * by content. Throws when the schema itself is invalid.
 *
 * @example
 * const check = compileJsonSchema({ type: 'object', required: ['path'], properties: { path: { type: 'string' } } });
 * check({}); // [{ pointer: '/path', message: "must have required property 'path'" }]
 */
export function compileJsonSchema(schema: JsonSchema): JsonSchemaCheck {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  const ajv = ajvFor(schema);
  const copy = typeof schema === 'object' ? { ...schema } : schema;
  // The dialect is chosen above; drop $schema so an instance does not need every meta-schema loaded.
  if (typeof copy === 'object') delete copy.$schema;
  // Two tools declaring the same $id must not collide in the shared ajv instance: the newest one wins.
  if (typeof copy === 'object' && typeof copy.$id === 'string') ajv.removeSchema(copy.$id);
  const validate: ValidateFunction = ajv.compile(copy as Record<string, unknown>);
  const check: JsonSchemaCheck = (value) => (validate(value) ? [] : (validate.errors ?? []).map(toIssue));
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, check);
  return check;
}
