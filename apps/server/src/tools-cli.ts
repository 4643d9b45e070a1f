import { pinoSink, SecurityEventBus } from '@mcp-warden/core';
import {
  type PendingPin,
  PinStore,
  PinStoreError,
  revealHidden,
  TOOL_PINNING_ERROR_CODES,
} from '@mcp-warden/tool-pinning';
import type { Command } from 'commander';
import { type ConfigOverrides, loadConfig, type ServerConfig, ServerConfigError } from './config.js';
import { ToolCommandError } from './errors.js';
import { toolPinsFile } from './plugins.js';

interface Flags {
  config?: string;
  dataDir?: string;
  json?: boolean;
  upstream?: string;
}

function openStore(config: ServerConfig): PinStore {
  const path = toolPinsFile(config);
  try {
    return new PinStore({ path, mustExist: true });
  } catch (error) {
    if (error instanceof PinStoreError && error.code === TOOL_PINNING_ERROR_CODES.STORE_MISSING) {
      throw new ServerConfigError(
        `there is no tool pin store at ${path}: enable plugins.toolPinning and let a client list the tools first.`,
      );
    }
    throw new ServerConfigError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The upstream a command is about: `--upstream`, else the store's only one. */
function upstreamOf(store: PinStore, flags: Flags): string {
  if (flags.upstream !== undefined) return flags.upstream;
  const upstreams = store.upstreams();
  if (upstreams.length === 1) return upstreams[0]!;
  if (upstreams.length === 0) throw new ToolCommandError('the pin store has no tools yet.');
  throw new ToolCommandError(
    `the pin store has several upstreams (${upstreams.map((u) => revealHidden(u)).join(', ')}): name one with --upstream.`,
  );
}

function describePending(p: PendingPin): string {
  const shadows =
    p.pending.shadows.length > 0
      ? `  shadows ${p.pending.shadows.map((s) => revealHidden(`${s.upstream}/${s.tool}`)).join(', ')}`
      : '';
  return [
    revealHidden(`${p.upstream}/${p.tool}`),
    p.pending.reason.padEnd(7),
    `hash=${p.pending.hash.slice(0, 16)}`,
    `since=${p.pending.since}`,
  ]
    .join('  ')
    .concat(shadows);
}

/**
 * `mcp-warden tools pending | diff | approve | reject`: the operator side of tool pinning, on the pin store file
 * the server uses (a second connection to it; an approval applies to the running server's next list or call).
 */
export function registerToolCommands(
  program: Command,
  common: (command: Command) => Command,
  overrides: (flags: Flags) => ConfigOverrides,
  fail: (error: unknown) => never,
): void {
  const tools = program.command('tools').description('review and approve pinned tool definitions');
  const run = (flags: Flags, action: (store: PinStore, config: ServerConfig) => void) => {
    try {
      const config = loadConfig(overrides(flags));
      const store = openStore(config);
      try {
        action(store, config);
      } finally {
        store.close();
      }
    } catch (error) {
      if (error instanceof PinStoreError) fail(new ToolCommandError(error.message, { cause: error }));
      fail(error);
    }
  };
  const record = (config: ServerConfig, type: string, reason: string, details: Record<string, unknown>) => {
    const events = new SecurityEventBus([
      pinoSink({ destination: config.logging.securityLogFile ?? 2, level: config.logging.level }),
    ]);
    events.emit({ type, outcome: 'info', plugin: 'tool-pinning', reason, details });
  };

  common(tools.command('pending').description('list tool definitions waiting for approval'))
    .option('--upstream <name>', 'only this upstream')
    .option('--json', 'print JSON')
    .action((flags: Flags) =>
      run(flags, (store) => {
        const pending = store.pending(flags.upstream);
        if (flags.json) process.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
        else
          process.stdout.write(
            pending.length === 0
              ? '(no tool definitions waiting for approval)\n'
              : `${pending.map(describePending).join('\n')}\n`,
          );
      }),
    );

  common(
    tools.command('diff <tool>').description('show what changed in a tool definition waiting for approval'),
  )
    .option('--upstream <name>', 'the upstream (default: the only one in the store)')
    .action((tool: string, flags: Flags) =>
      run(flags, (store) => {
        process.stdout.write(`${store.diff(upstreamOf(store, flags), tool)}\n`);
      }),
    );

  common(
    tools
      .command('approve <tool>')
      .description('approve the definition waiting, so the tool is listed and callable'),
  )
    .option('--upstream <name>', 'the upstream (default: the only one in the store)')
    .option(
      '--hash <hash>',
      'the hash you reviewed (from diff or pending; at least 12 hex digits): refuses a newer one',
    )
    .option('--json', 'print JSON')
    .action((tool: string, flags: Flags & { hash?: string }) =>
      run(flags, (store, config) => {
        const upstream = upstreamOf(store, flags);
        const approved = store.approve(upstream, tool, flags.hash);
        record(config, 'tool.approved', `operator approved tool "${tool}" of upstream "${upstream}"`, {
          upstream,
          tool,
          approvedHash: approved.approvedHash,
          reviewedHash: flags.hash ?? null,
        });
        if (flags.json) process.stdout.write(`${JSON.stringify(approved, null, 2)}\n`);
        else
          process.stdout.write(
            `Approved ${revealHidden(`${upstream}/${tool}`)} at ${approved.approvedHash}.\n`,
          );
      }),
    );

  common(tools.command('reject <tool>').description('reject the definition waiting: the tool stays held'))
    .option('--upstream <name>', 'the upstream (default: the only one in the store)')
    .action((tool: string, flags: Flags) =>
      run(flags, (store, config) => {
        const upstream = upstreamOf(store, flags);
        const rejected = store.reject(upstream, tool);
        record(
          config,
          'tool.rejected',
          `operator rejected a definition of tool "${tool}" of upstream "${upstream}"`,
          {
            upstream,
            tool,
            rejectedHash: rejected.rejectedHash,
          },
        );
        process.stdout.write(
          `Rejected ${revealHidden(`${upstream}/${tool}`)} at ${rejected.rejectedHash}; it stays held while the server serves it.\n`,
        );
      }),
    );
}
