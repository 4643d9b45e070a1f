/** The pino sink: JSON lines on stderr, stdout or a file. Node only, so it lives apart from the event bus. */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { SecurityEventSeverity, SecurityEventSink } from './events.js';

export interface PinoSinkOptions {
  /**
   * File path, a pino destination stream, or `2` for stderr / `1` for stdout. stderr by default so that a server
   * serving MCP over stdio (where stdout is the JSON-RPC stream) never gets events between its replies; a sink on
   * stdout is refused by `warden.connectStdio()`.
   * @default 2
   */
  destination?: string | number | DestinationStream;
  /** Lowest severity written. @default 'info' */
  level?: SecurityEventSeverity;
  /** Use an existing pino logger instead (its destination and level apply). */
  logger?: Logger;
}

/** `/dev/stdout` and friends name a descriptor, not a file (opening them fails when the stream is a socket). */
const STANDARD_STREAM_PATHS: Record<string, number> = {
  '/dev/stdout': 1,
  '/dev/fd/1': 1,
  '/proc/self/fd/1': 1,
  '/dev/stderr': 2,
  '/dev/fd/2': 2,
  '/proc/self/fd/2': 2,
};

/** Whether a pino destination (or a logger's stream) is the process's stdout. */
function isStdout(destination: unknown): boolean {
  if (destination === 1 || destination === process.stdout) return true;
  return (
    typeof destination === 'object' && destination !== null && (destination as { fd?: unknown }).fd === 1
  );
}

/** Writes one JSON line per event through `pino` (stderr by default, stdout or a file). */
export function pinoSink(
  options: PinoSinkOptions = {},
): SecurityEventSink & { logger: Logger; readonly writesToStdout: boolean } {
  const destination =
    typeof options.destination === 'string'
      ? (STANDARD_STREAM_PATHS[options.destination] ?? options.destination)
      : (options.destination ?? 2);
  const logger =
    options.logger ??
    pino(
      { level: options.level ?? 'info', base: { name: 'mcp-warden' }, timestamp: false, messageKey: 'msg' },
      typeof destination === 'object'
        ? destination
        : pino.destination({ dest: destination, sync: true, mkdir: true }),
    );
  const stream: unknown = options.logger
    ? (options.logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym]
    : destination;
  return {
    logger,
    writesToStdout: isStdout(stream),
    write(event) {
      logger[event.severity]({ event: 'security', ...event }, event.type);
    },
  };
}
