import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APIKEY_AUTH_PLUGIN_NAME } from '@mcp-warden/apikey-auth';
import { getPrincipal, isAnonymous, type Principal } from '@mcp-warden/core';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { NotesStore } from './notes-store.js';

/** Resolves a user path inside a directory, or throws. Supplied by the validation plugin's `safePath`. */
export type SandboxResolver = (root: string, userPath: string) => Promise<string>;

export interface DemoServerDeps {
  notes: NotesStore;
  /** Root of `read_file`: holds `public/` and `private/`, the roots of the file resources. */
  filesDir: string;
  resolveInSandbox: SandboxResolver;
  startedAt: number;
  stats: () => Record<string, number>;
}

const NOTE_NAME = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w][\w .-]*$/, 'letters, digits, space, dot, dash and underscore; not starting with a dot');

function text(value: string) {
  return { content: [{ type: 'text' as const, text: value }] };
}

/**
 * Whose notes these are, derived only from what the authenticator vouched for: an API key's owner (the key itself
 * unless it was issued for a named owner, so a rotated key keeps its notes), an OAuth token's issuer and subject,
 * otherwise the principal id. Prefixed with the authenticator, so ids from different authenticators never
 * collide. A claim named `owner` from any other authenticator (e.g. a token claim) is never trusted.
 */
/**
 * Owners that earlier releases set by default (the issuing actor, or `system`): every key issued that way shared
 * them. Such a key now acts for itself; what was stored under the shared owner stays unreachable.
 */
const SHARED_DEFAULT_OWNERS: ReadonlySet<string> = new Set([
  'mcp-warden keys create',
  'mcp-warden serve',
  'system',
]);

export function ownerOf(principal: Principal | undefined): string {
  if (!principal || isAnonymous(principal)) return 'anonymous';
  const by = principal.authenticatedBy ?? principal.kind;
  if (by === APIKEY_AUTH_PLUGIN_NAME && principal.kind === 'apikey') {
    const owner = principal.claims.owner;
    const own = typeof owner === 'string' && owner.length > 0 && !SHARED_DEFAULT_OWNERS.has(owner);
    return `${by}:${own ? owner : principal.id}`;
  }
  if (principal.kind === 'oauth' && typeof principal.claims.iss === 'string') {
    return `${by}:${JSON.stringify([principal.claims.iss, principal.id])}`;
  }
  return `${by}:${principal.id}`;
}

function ownerOfRequest(extra: Parameters<typeof getPrincipal>[0]): string {
  return ownerOf(getPrincipal(extra));
}

async function listDir(dir: string, prefix: string) {
  const names = await readdir(dir).catch(() => [] as string[]);
  return {
    resources: names
      .sort()
      .map((name) => ({ uri: `${prefix}${encodeURIComponent(name)}`, name, mimeType: 'text/plain' })),
  };
}

/**
 * The demo MCP server the reference server protects. Its tools know nothing about security: every check is the
 * plugins' job, which is the point.
 */
export function createDemoServer(deps: DemoServerDeps): McpServer {
  const server = new McpServer(
    { name: 'mcp-warden-reference', version: '0.1.0' },
    { capabilities: { logging: {} } },
  );

  server.registerTool(
    'echo',
    { description: 'Echoes the given text back.', inputSchema: { text: z.string().max(10_000) } },
    async ({ text: value }) => text(value),
  );

  server.registerTool(
    'read_file',
    {
      description: 'Reads a text file, e.g. "public/welcome.txt".',
      inputSchema: { path: z.string().min(1).max(1024) },
    },
    async ({ path }) => {
      const file = await deps.resolveInSandbox(deps.filesDir, path);
      return text(await readFile(file, 'utf8'));
    },
  );

  server.registerTool(
    'write_note',
    {
      description: 'Stores a note for the caller.',
      inputSchema: { name: NOTE_NAME, body: z.string().max(100_000) },
    },
    async ({ name, body }, extra) => {
      const note = await deps.notes.write(ownerOfRequest(extra), name, body);
      return text(`Saved note "${note.name}" (${body.length} characters).`);
    },
  );

  server.registerTool(
    'read_note',
    { description: "Reads one of the caller's notes.", inputSchema: { name: NOTE_NAME } },
    async ({ name }, extra) => {
      const note = await deps.notes.read(ownerOfRequest(extra), name);
      if (!note) return { ...text(`No note named "${name}".`), isError: true };
      return text(note.body);
    },
  );

  server.registerTool('list_notes', { description: "Lists the caller's notes." }, async (extra) => {
    const notes = deps.notes.list(ownerOfRequest(extra));
    return { ...text(notes.map((n) => n.name).join('\n') || '(no notes)'), structuredContent: { notes } };
  });

  server.registerTool(
    'admin_stats',
    { description: 'Server statistics (administrators only).' },
    async () => {
      const stats = {
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        notes: deps.notes.count(),
        ...deps.stats(),
      };
      return { ...text(JSON.stringify(stats)), structuredContent: stats };
    },
  );

  for (const kind of ['public', 'private'] as const) {
    const dir = join(deps.filesDir, kind);
    server.registerResource(
      `${kind}-files`,
      new ResourceTemplate(`file:///${kind}/{name}`, { list: () => listDir(dir, `file:///${kind}/`) }),
      { description: `${kind === 'public' ? 'Public' : 'Private'} documents`, mimeType: 'text/plain' },
      async (uri, { name }) => {
        const file = await deps.resolveInSandbox(dir, decodeURIComponent(String(name)));
        return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: await readFile(file, 'utf8') }] };
      },
    );
  }

  server.registerPrompt(
    'summarize_notes',
    {
      description: "Asks the model to summarise the caller's notes on a topic.",
      argsSchema: { topic: z.string().max(200) },
    },
    ({ topic }, extra) => {
      const names = deps.notes.list(ownerOfRequest(extra)).map((n) => n.name);
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `Summarise my notes about "${topic}". Notes available: ${names.join(', ') || 'none'}.`,
            },
          },
        ],
      };
    },
  );
  return server;
}
