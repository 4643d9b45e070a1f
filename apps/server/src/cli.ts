import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, ServerConfigError, type ConfigOverrides } from './config.js';
import { ReferenceServer } from './reference-server.js';

interface CommonFlags {
  config?: string;
  dataDir?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return n;
}

/** Adds the flags every subcommand accepts. */
function common(command: Command): Command {
  return command.option('--config <file>', 'config file (JSON or YAML)').option('--data-dir <dir>', 'data directory', undefined);
}

function overrides(flags: CommonFlags & { host?: string; port?: number }): ConfigOverrides {
  return { configFile: flags.config, dataDir: flags.dataDir, host: flags.host, port: flags.port };
}

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mcp-warden: ${message}\n`);
  process.exit(error instanceof ServerConfigError ? 2 : 1);
}

export const program = new Command('mcp-warden').description('The MCP Warden reference secured MCP server').showHelpAfterError();

common(program.command('serve').description('start the server (Streamable HTTP by default)'))
  .option('--host <host>', 'address to bind (default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (default 3000)', port)
  .option('--stdio', 'serve one client over stdin/stdout instead of HTTP')
  .action(async (flags: CommonFlags & { host?: string; port?: number; stdio?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const server = await ReferenceServer.create({ config, stdio: flags.stdio });
      const shutdown = (signal: string) => {
        process.stderr.write(`mcp-warden: ${signal} received, shutting down\n`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      if (flags.stdio) {
        await server.serveStdio();
        process.stdin.once('end', () => shutdown('end of input'));
        return;
      }
      const url = await server.listen();
      process.stderr.write(`mcp-warden: serving MCP at ${url.href} (data in ${config.dataDir})\n`);
    } catch (error) {
      fail(error);
    }
  });

if (process.argv[1] && /cli\.(js|ts)$/.test(process.argv[1])) {
  program.parseAsync(process.argv).catch(fail);
}
