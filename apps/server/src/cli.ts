import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describeDecision, loadPolicyFile } from '@mcp-warden/acl';
import { ApiKeyManager, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import { createPrincipal, pinoSink, SecurityEventBus } from '@mcp-warden/core';
import {
  createCryptoService,
  keygen,
  openDataDirKeys,
  reencrypt,
  rotate as rotateKeys,
} from '@mcp-warden/crypto';
import { Command, InvalidArgumentError } from 'commander';
import { stringify as toYaml } from 'yaml';
import { registerAuditCommands } from './audit-cli.js';
import { type ConfigOverrides, loadConfig, type ServerConfig, ServerConfigError } from './config.js';
import { maskSecrets } from './config-source.js';
import { type UpstreamFlags, upstreamsFromFlags } from './gateway/cli-upstream.js';
import { NotesStore } from './notes-store.js';
import { ReferenceServer } from './reference-server.js';
import { apiKeySectionSchema, cryptoSectionSchema, DATA_FILES, openDataDir, section } from './services.js';
import { registerToolCommands } from './tools-cli.js';

// dist/cli.js and src/cli.ts both sit one level below package.json.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

interface CommonFlags {
  config?: string;
  dataDir?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return n;
}

/** Adds the flags every subcommand accepts. */
function common(command: Command): Command {
  return command
    .option('--config <file>', 'config file (JSON or YAML)')
    .option('--data-dir <dir>', 'data directory', undefined);
}

interface TransportFlags {
  host?: string;
  port?: number;
  tlsKey?: string;
  tlsCert?: string;
  allowInsecureHttp?: boolean;
}

function overrides(flags: CommonFlags & TransportFlags): ConfigOverrides {
  return {
    configFile: flags.config,
    dataDir: flags.dataDir,
    host: flags.host,
    port: flags.port,
    tlsKeyFile: flags.tlsKey,
    tlsCertFile: flags.tlsCert,
    allowInsecureHttp: flags.allowInsecureHttp,
  };
}

/** The flags that say where and how to listen (serve, config check). */
function transport(command: Command): Command {
  return command
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 3000)', port)
    .option('--tls-key <file>', 'serve HTTPS: the private key (PEM); env MCP_WARDEN_TLS_KEY_FILE')
    .option('--tls-cert <file>', 'serve HTTPS: the certificate chain (PEM); env MCP_WARDEN_TLS_CERT_FILE')
    .option(
      '--allow-insecure-http',
      'plain HTTP on a non-loopback address, behind a TLS proxy only; env MCP_WARDEN_ALLOW_INSECURE_HTTP',
    );
}

function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mcp-warden: ${message}\n`);
  process.exit(error instanceof ServerConfigError ? 2 : 1);
}

export const program = new Command('mcp-warden')
  .description('The MCP Warden reference secured MCP server')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError();

transport(common(program.command('serve').description('start the server (Streamable HTTP by default)')))
  .option('--stdio', 'serve one client over stdin/stdout instead of HTTP')
  .action(async (flags: CommonFlags & TransportFlags & { stdio?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const server = await ReferenceServer.create({ config, stdio: flags.stdio });
      const shutdown = shutdownOnSignals(server);
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

/** Graceful shutdown on SIGINT/SIGTERM; returns the shutdown function for other reasons to end. */
function shutdownOnSignals(server: ReferenceServer): (why: string) => void {
  const shutdown = (why: string) => {
    process.stderr.write(`mcp-warden: ${why} received, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return shutdown;
}

interface GatewayFlags extends CommonFlags, TransportFlags, UpstreamFlags {
  allowAnonymous?: boolean;
}

transport(
  common(
    program
      .command('gateway')
      .description(
        'front an MCP server you did not write: --upstream-url URL (Streamable HTTP) or -- COMMAND [ARGS...] (stdio)',
      ),
  ),
)
  .argument('[command...]', 'the stdio MCP server to spawn, after "--"')
  .option('--upstream-url <url>', 'a remote Streamable HTTP MCP server (either era)')
  .option('--upstream-name <name>', 'the upstream\'s name in events, logs and tool pins (default "upstream")')
  .option(
    '--upstream-header <header>',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own ${VAR} template syntax
    'a header for the HTTP upstream, "Name: value"; ${VAR} reads the gateway\'s environment (quote it; repeatable)',
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option(
    '--pass-env <names>',
    'variables the stdio upstream inherits besides PATH, HOME, USER, LANG and the like (comma-separated)',
    list,
  )
  .option('--allow-anonymous', 'no authenticator, every request anonymous: local testing on loopback only')
  .action(async (command: string[], flags: GatewayFlags) => {
    try {
      const upstreams = upstreamsFromFlags(flags, command);
      const config = loadConfig({
        ...overrides(flags),
        ...(upstreams ? { upstreams } : {}),
        ...(flags.allowAnonymous ? { auth: 'none' as const } : {}),
      });
      const server = await ReferenceServer.create({ config, mode: 'gateway' });
      shutdownOnSignals(server);
      const url = await server.listen();
      for (const endpoint of server.gatewayEndpoints)
        process.stderr.write(
          `mcp-warden: gateway for upstream "${endpoint.upstream}" at ${new URL(endpoint.path, url).href}\n`,
        );
      if (config.auth === 'none')
        process.stderr.write(
          'mcp-warden: WARNING: --allow-anonymous: no authentication, every request is anonymous (local testing only)\n',
        );
    } catch (error) {
      fail(error);
    }
  });

/** Writes a listing as JSON (`--json`) or as aligned text. */
function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

const configCommand = program.command('config').description('inspect the configuration');
transport(
  common(
    configCommand
      .command('check')
      .description('validate the configuration and print it as it applies (secrets masked)'),
  ),
)
  .option('--json', 'print JSON (default YAML)')
  .action((flags: CommonFlags & TransportFlags & { json?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const masked = maskSecrets(config);
      process.stdout.write(render(flags.json, masked));
    } catch (error) {
      fail(error);
    }
  });

function render(asJson: boolean | undefined, value: unknown): string {
  return asJson ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value);
}

interface KeyFlags extends CommonFlags {
  store?: string;
}

/**
 * A key manager over a key store file alone (`--store`), for deployments that use the plugin packages without the
 * reference server: the HMAC pepper comes from the environment variable the config names.
 */
function standaloneKeys(config: ServerConfig, file: string): ApiKeyManager {
  const options = section(apiKeySectionSchema, config, 'apikeyAuth');
  const pepper = process.env[options.pepperEnv];
  if (!pepper || Buffer.byteLength(pepper) < 32)
    throw new ServerConfigError(
      `--store needs the HMAC pepper the keys were hashed with: set ${options.pepperEnv} to at least 32 bytes (the value your server passes as peppers[0].secret; a new store: \`openssl rand -base64 32\`).`,
    );
  return new ApiKeyManager({
    store: new SqliteApiKeyStore({ path: file }),
    peppers: [{ id: 'p1', secret: pepper }],
    prefix: options.prefix,
  });
}

/** Opens the data directory's key manager (or `--store`'s), recording lifecycle events like the server does. */
async function withKeys<T>(
  flags: KeyFlags,
  run: (
    keys: NonNullable<Awaited<ReturnType<typeof openDataDir>>['keys']>,
    config: ServerConfig,
  ) => Promise<T>,
): Promise<T> {
  const config = loadConfig(overrides(flags));
  const services = flags.store
    ? { keys: standaloneKeys(config, flags.store), close: async () => undefined }
    : await openDataDir(config, process.env, (line) => process.stderr.write(`${line}\n`));
  try {
    if (!services.keys)
      throw new ServerConfigError(
        'API keys are disabled in this configuration (plugins.apikeyAuth.enabled: false).',
      );
    const events = new SecurityEventBus([
      pinoSink({ destination: config.logging.securityLogFile ?? 2, level: config.logging.level }),
    ]);
    const unsubscribe = services.keys.subscribe((event) => events.emit({ ...event, plugin: 'apikey-auth' }));
    try {
      return await run(services.keys, config);
    } finally {
      unsubscribe();
    }
  } finally {
    if (flags.store) await services.keys?.close();
    await services.close();
  }
}

/** The flags of every `keys` subcommand. */
function keyFlags(command: Command): Command {
  return common(command).option(
    '--store <file>',
    'a key store file (SQLite) instead of the data directory; the pepper comes from MCP_WARDEN_APIKEY_PEPPER',
  );
}

const keys = program.command('keys').description('manage API keys');

keyFlags(keys.command('create').description('create an API key (printed once)'))
  .requiredOption('--name <name>', 'a name for the key')
  .option(
    '--owner <id>',
    'principal the key acts for; keys with one owner share its notes (default: the key itself)',
  )
  .option('--scopes <list>', 'comma-separated scopes', list, [])
  .option('--roles <list>', 'comma-separated roles (reader, writer, admin in the default policy)', list, [])
  .option('--expires <duration>', 'lifetime, e.g. 30d or 12h')
  .option('--json', 'print JSON')
  .action(
    (
      flags: KeyFlags & {
        name: string;
        owner?: string;
        scopes: string[];
        roles: string[];
        expires?: string;
        json?: boolean;
      },
    ) =>
      withKeys(flags, async (manager) => {
        const issued = await manager.create(
          {
            name: flags.name,
            owner: flags.owner,
            scopes: flags.scopes,
            roles: flags.roles,
            expiresIn: flags.expires,
          },
          { actor: 'mcp-warden keys create' },
        );
        print(flags.json, issued, () =>
          [
            `Created key ${issued.info.id} (${issued.info.displayPrefix}…). It is shown only this once:`,
            '',
            `    ${issued.key}`,
            '',
          ].join('\n'),
        );
      }).catch(fail),
  );

keyFlags(keys.command('list').description('list API keys (never the keys themselves)'))
  .option('--json', 'print JSON')
  .action((flags: KeyFlags & { json?: boolean }) =>
    withKeys(flags, async (manager) => {
      const infos = await manager.list();
      print(flags.json, infos, () =>
        infos.length === 0
          ? '(no keys)'
          : infos
              .map(
                (k) =>
                  `${k.id}  ${k.state.padEnd(8)} ${k.displayPrefix.padEnd(14)} ${k.name}  roles=${k.roles.join(',') || '-'} scopes=${k.scopes.join(',') || '-'}${k.expiresAt ? ` expires=${k.expiresAt}` : ''}`,
              )
              .join('\n'),
      );
    }).catch(fail),
  );

keyFlags(keys.command('revoke <id>').description('revoke an API key at once'))
  .option('--json', 'print JSON')
  .action((id: string, flags: KeyFlags & { json?: boolean }) =>
    withKeys(flags, async (manager) => {
      const info = await manager.revoke(id, { actor: 'mcp-warden keys revoke' });
      print(flags.json, info, () => `Revoked ${info.id} (${info.name}).`);
    }).catch(fail),
  );

keyFlags(
  keys
    .command('rotate <id>')
    .description('issue a replacement key; the old one works until the grace period ends'),
)
  .option('--grace <duration>', 'how long the old key keeps working, e.g. 24h (default: revoke at once)')
  .option('--json', 'print JSON')
  .action((id: string, flags: KeyFlags & { grace?: string; json?: boolean }) =>
    withKeys(flags, async (manager) => {
      const { parseDuration } = await import('@mcp-warden/apikey-auth');
      const graceSeconds = flags.grace === undefined ? 0 : parseDuration(flags.grace);
      if (graceSeconds === undefined)
        throw new ServerConfigError(
          `--grace takes a duration such as 30m, 24h or 7d (got "${flags.grace}").`,
        );
      const rotated = await manager.rotate(id, { graceSeconds, actor: 'mcp-warden keys rotate' });
      print(flags.json, rotated, () =>
        [
          `Rotated ${id} → ${rotated.info.id}. The new key is shown only this once:`,
          '',
          `    ${rotated.key}`,
          '',
          graceSeconds > 0 ? `The old key works for ${flags.grace} more.` : 'The old key is revoked.',
        ].join('\n'),
      );
    }).catch(fail),
  );

const aclCommand = program.command('acl').description('inspect the access policy');
common(aclCommand.command('check').description('explain the decision for a principal, action and target'))
  .requiredOption('--action <action>', 'e.g. tools:call, resources:read, tools:list')
  .option('--target <target>', 'tool or prompt name, or resource URI')
  .option('--principal <id>', 'principal id', 'cli')
  .option('--roles <list>', 'comma-separated roles', list, [])
  .option('--scopes <list>', 'comma-separated scopes', list, [])
  .option(
    '--arg <key=value>',
    'a tool argument (repeatable)',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option('--policy <file>', 'policy file (default: the configured one)')
  .option(
    '--upstream <name>',
    "a gateway upstream: the decision for its endpoint (the main policy and the upstream's own)",
  )
  .option('--json', 'print JSON')
  .action(
    async (
      flags: CommonFlags & {
        action: string;
        target?: string;
        principal: string;
        roles: string[];
        scopes: string[];
        arg: string[];
        policy?: string;
        upstream?: string;
        json?: boolean;
      },
    ) => {
      try {
        const config = loadConfig(overrides(flags));
        const configured = (config.plugins.acl as { policyFile?: string } | undefined)?.policyFile;
        const policy = await loadPolicyFile(
          flags.policy ?? configured ?? join(config.dataDir, DATA_FILES.policy),
        );
        const args = Object.fromEntries(
          flags.arg.map((pair) => {
            const at = pair.indexOf('=');
            if (at < 1) throw new InvalidArgumentError(`--arg takes key=value (got "${pair}")`);
            return [pair.slice(0, at), pair.slice(at + 1)];
          }),
        );
        const principal = createPrincipal({
          id: flags.principal,
          kind: 'cli',
          roles: flags.roles,
          scopes: flags.scopes,
        });
        const decision = policy.explain(principal, flags.action, flags.target, args);
        if (flags.upstream === undefined) {
          const narrowed = config.upstreams.filter((u) => u.policyFile !== undefined).map((u) => u.name);
          // On stderr, so --json output stays one document.
          if (narrowed.length > 0)
            process.stderr.write(
              `note: this is the main policy's decision. These gateway upstreams also have their own policy, which must allow too: ${narrowed.join(', ')} (add --upstream NAME).\n`,
            );
          print(flags.json, decision, () => describeDecision(decision));
          process.exitCode = decision.allowed ? 0 : 3;
          return;
        }
        // As the gateway decides a request for that upstream's endpoint: the main policy and the upstream's own
        // (plugins.ts scopes it with forUpstream), both default-deny, so both must allow.
        const upstream = config.upstreams.find((u) => u.name === flags.upstream);
        if (!upstream)
          throw new ServerConfigError(
            `--upstream: no upstream named "${flags.upstream}" in the configuration (upstreams: ${config.upstreams.map((u) => u.name).join(', ') || 'none'}).`,
          );
        const own = upstream.policyFile
          ? (await loadPolicyFile(upstream.policyFile)).explain(principal, flags.action, flags.target, args)
          : undefined;
        const allowed = decision.allowed && (own?.allowed ?? true);
        print(
          flags.json,
          { allowed, upstream: upstream.name, main: decision, upstreamPolicy: own ?? null },
          () =>
            [
              `main policy: ${describeDecision(decision)}`,
              own
                ? `policy of upstream "${upstream.name}" (${upstream.policyFile}): ${describeDecision(own)}`
                : `upstream "${upstream.name}" has no policy of its own: the main policy decides.`,
              `${allowed ? 'ALLOWED' : 'DENIED'} for upstream "${upstream.name}".`,
            ].join('\n'),
        );
        process.exitCode = allowed ? 0 : 3;
      } catch (error) {
        fail(error);
      }
    },
  );

const cryptoCommand = program
  .command('crypto')
  .description('manage the encryption keys of the data directory');
function passphraseOf(config: ServerConfig): string | undefined {
  return process.env[section(cryptoSectionSchema, config, 'crypto').passphraseEnv] || undefined;
}

common(cryptoCommand.command('keygen').description('create the key file of a new data directory'))
  .option('--json', 'print JSON')
  .action(async (flags: CommonFlags & { json?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const result = await keygen({ dataDir: config.dataDir, passphrase: passphraseOf(config) });
      print(flags.json, result, () => result.message);
    } catch (error) {
      fail(error);
    }
  });

common(cryptoCommand.command('rotate').description('add a new primary key (old keys stay for decryption)'))
  .option('--json', 'print JSON')
  .action(async (flags: CommonFlags & { json?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const result = await rotateKeys({ dataDir: config.dataDir, passphrase: passphraseOf(config) });
      print(
        flags.json,
        result,
        () =>
          `New primary key ${result.keyId} (previous: ${result.previousKeyId}). Run "mcp-warden crypto reencrypt" to move stored data to it.`,
      );
    } catch (error) {
      fail(error);
    }
  });

common(
  cryptoCommand
    .command('reencrypt')
    .description('re-encrypt stored secrets and notes under the primary key (resumable)'),
)
  .option('--retire-old-keys', 'afterwards, remove every non-primary key from the key file')
  .option('--json', 'print JSON')
  .action(async (flags: CommonFlags & { retireOldKeys?: boolean; json?: boolean }) => {
    try {
      const config = loadConfig(overrides(flags));
      const passphrase = passphraseOf(config);
      const store = await reencrypt({ dataDir: config.dataDir, passphrase });
      const { keyRing } = await openDataDirKeys(config.dataDir, {
        passphrase,
        encryptedDataFiles: [DATA_FILES.notes],
      });
      const service = createCryptoService({ cipher: keyRing });
      const notes = new NotesStore(join(config.dataDir, DATA_FILES.notes));
      const notesChanged = await notes.resealAll((owner, name, stored) =>
        service.isCiphertext(stored)
          ? service.rotate(stored, { context: { table: 'notes', owner, name } })
          : Promise.resolve(undefined),
      );
      notes.close();
      const retired = flags.retireOldKeys
        ? await reencrypt({ dataDir: config.dataDir, passphrase, retireOldKeys: true })
        : undefined;
      const report = { store, notes: { reencrypted: notesChanged }, retired: retired ?? null };
      print(
        flags.json,
        report,
        () =>
          `Re-encrypted ${JSON.stringify(store)}; notes re-sealed: ${notesChanged}${retired ? '; old keys retired' : ''}.`,
      );
    } catch (error) {
      fail(error);
    }
  });

registerAuditCommands(program, common, overrides, fail);
registerToolCommands(program, common, overrides, fail);

if (process.argv[1] && /cli\.(js|ts)$/.test(process.argv[1])) {
  program.parseAsync(process.argv).catch(fail);
}
