import { InvalidArgumentError } from 'commander';
import { DEFAULT_INHERITED_ENV } from './upstream-config.js';

/** The upstream flags of `mcp-warden gateway`. */
export interface UpstreamFlags {
  upstreamUrl?: string;
  upstreamName?: string;
  upstreamHeader?: string[];
  passEnv?: string[];
}

/**
 * The upstream the command line names, as a config entry (the config schema then checks it like one from a file),
 * or `undefined` when the command line names none and the config file's `upstreams` apply.
 */
export function upstreamsFromFlags(
  flags: UpstreamFlags,
  command: readonly string[],
): Record<string, unknown>[] | undefined {
  const hasCommand = command.length > 0;
  if (flags.upstreamUrl !== undefined && hasCommand)
    throw new InvalidArgumentError(
      'give either --upstream-url URL or -- COMMAND [ARGS...], not both (list several upstreams in the config file).',
    );
  const headers = flags.upstreamHeader ?? [];
  if (headers.length > 0 && flags.upstreamUrl === undefined)
    throw new InvalidArgumentError('--upstream-header applies to an HTTP upstream: give --upstream-url too.');
  if (flags.passEnv && !hasCommand)
    throw new InvalidArgumentError('--pass-env applies to a stdio upstream: give -- COMMAND [ARGS...] too.');
  const name = flags.upstreamName ?? 'upstream';
  if (flags.upstreamUrl !== undefined)
    return [{ name, url: flags.upstreamUrl, headers: Object.fromEntries(headers.map(parseHeader)) }];
  if (hasCommand)
    return [
      {
        name,
        command: command[0],
        args: command.slice(1),
        inheritEnv: [...DEFAULT_INHERITED_ENV, ...(flags.passEnv ?? [])],
      },
    ];
  if (flags.upstreamName !== undefined)
    throw new InvalidArgumentError('--upstream-name names the upstream of --upstream-url or -- COMMAND.');
  return undefined;
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0)
    throw new InvalidArgumentError(`--upstream-header takes "Name: value" (got a value without a name).`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}
