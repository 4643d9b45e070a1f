import { ArgumentValidationError } from '../errors.js';
import type { McpTarget } from '../plugin.js';

/** A JSON-RPC 2.0 request as it arrives from a client. */
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}

export interface ClassifiedRequest {
  action: string;
  target: McpTarget | undefined;
  params: Record<string, unknown>;
  arguments: Record<string, unknown> | undefined;
}

const EMPTY_PARAMS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const actionCache = new Map<string, string>();

/** `tools/call` → `tools:call`. Cached: the set of methods is small. */
export function actionOf(method: string): string {
  let action = actionCache.get(method);
  if (action === undefined) {
    action = method.replaceAll('/', ':');
    if (actionCache.size < 1000) actionCache.set(method, action);
  }
  return action;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The printable form of a target, for events and messages: a tool's or prompt's name, a resource's URI.
 * @example targetName({ type: 'resource', uri: 'file:///a.txt' }) // 'file:///a.txt'
 */
export function targetName(target: McpTarget | undefined): string | undefined {
  if (!target) return undefined;
  return target.type === 'resource' ? target.uri : target.name;
}

function requireString(params: Record<string, unknown>, key: string, method: string): string {
  const value = params[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ArgumentValidationError({
      issues: [{ pointer: `/${key}`, message: `${method} requires "${key}" to be a non-empty string` }],
      message: `Invalid params: ${method} requires "${key}" to be a non-empty string.`,
    });
  }
  return value;
}

function optionalArguments(
  params: Record<string, unknown>,
  method: string,
): Record<string, unknown> | undefined {
  const args = params.arguments;
  if (args === undefined) return undefined;
  if (!isPlainObject(args)) {
    throw new ArgumentValidationError({
      issues: [{ pointer: '/arguments', message: `${method} requires "arguments" to be an object` }],
      message: `Invalid params: ${method} requires "arguments" to be an object.`,
    });
  }
  return args;
}

/**
 * Reads what a request is about. Malformed params of the methods that name a target are refused here (a plugin
 * could not decide about a target it cannot see, so they never reach the server either).
 */
export function classifyRequest(request: JsonRpcRequest): ClassifiedRequest {
  const method = request.method;
  const raw = request.params;
  if (raw !== undefined && !isPlainObject(raw)) {
    throw new ArgumentValidationError({
      issues: [{ pointer: '', message: 'params must be an object' }],
      message: 'Invalid params: "params" must be an object.',
    });
  }
  const params = raw ?? EMPTY_PARAMS;
  let target: McpTarget | undefined;
  let args: Record<string, unknown> | undefined;
  switch (method) {
    case 'tools/call':
      target = { type: 'tool', name: requireString(params, 'name', method) };
      args = optionalArguments(params, method);
      break;
    case 'prompts/get':
      target = { type: 'prompt', name: requireString(params, 'name', method) };
      args = optionalArguments(params, method);
      break;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      target = { type: 'resource', uri: requireString(params, 'uri', method) };
      break;
    case 'completion/complete': {
      const ref = params.ref;
      if (isPlainObject(ref) && ref.type === 'ref/prompt' && typeof ref.name === 'string') {
        target = { type: 'prompt', name: ref.name };
      } else if (isPlainObject(ref) && ref.type === 'ref/resource' && typeof ref.uri === 'string') {
        target = { type: 'resource', uri: ref.uri };
      } else {
        throw new ArgumentValidationError({
          issues: [
            {
              pointer: '/ref',
              message: 'completion/complete requires a ref/prompt or ref/resource reference',
            },
          ],
          message:
            'Invalid params: completion/complete requires "ref" of type ref/prompt (with name) or ref/resource (with uri).',
        });
      }
      break;
    }
  }
  return { action: actionOf(method), target, params, arguments: args };
}
