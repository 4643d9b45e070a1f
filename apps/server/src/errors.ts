import { ConfigError, JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';

/**
 * Stable error codes of the MCP Warden server. Every error the server throws at an operator is a `WardenError`
 * carrying one of them; the CLI exits with 2 for a configuration error and with 1 otherwise.
 */
export const SERVER_ERROR_CODES = {
  /** The configuration (file, environment, flags) cannot be used as written. */
  CONFIG_INVALID: 'SERVER_CONFIG_INVALID',
  /** An upstream entry cannot run as written (a template naming a missing variable, a program that is not there). */
  UPSTREAM_CONFIG_INVALID: 'SERVER_UPSTREAM_CONFIG_INVALID',
  /** A store of the data directory is damaged or not what it should be; the server refuses to serve from it. */
  DATA_DIR_INTEGRITY: 'SERVER_DATA_DIR_INTEGRITY',
  /** An operator's `tools …` command cannot be done (unknown tool, nothing pending, stale hash). */
  TOOL_COMMAND_FAILED: 'SERVER_TOOL_COMMAND_FAILED',
} as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[keyof typeof SERVER_ERROR_CODES];

/** Thrown for a configuration that cannot be used; the message says what and where (the CLI exits with 2). */
export class ServerConfigError extends ConfigError {
  constructor(
    message: string,
    options: {
      code?: typeof SERVER_ERROR_CODES.CONFIG_INVALID | typeof SERVER_ERROR_CODES.UPSTREAM_CONFIG_INVALID;
      cause?: unknown;
    } = {},
  ) {
    super(message, { code: options.code ?? SERVER_ERROR_CODES.CONFIG_INVALID, cause: options.cause });
  }
}

/**
 * An upstream entry that cannot run as written (a template naming a variable the environment lacks, a program that
 * is not there): says which, never a value.
 */
export class UpstreamConfigError extends ServerConfigError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: SERVER_ERROR_CODES.UPSTREAM_CONFIG_INVALID, cause: options.cause });
  }
}

/** A data directory (or one of its files) that must not be served from as it is. */
export class DataDirIntegrityError extends WardenError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super({
      code: SERVER_ERROR_CODES.DATA_DIR_INTEGRITY,
      message,
      httpStatus: 500,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      cause: options.cause,
    });
  }
}

/** An operator's mistake in a `tools …` command (unknown tool, nothing pending, stale hash): exit code 1. */
export class ToolCommandError extends WardenError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super({ code: SERVER_ERROR_CODES.TOOL_COMMAND_FAILED, message, httpStatus: 400, cause: options.cause });
  }
}
