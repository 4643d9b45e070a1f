import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { APIKEY_AUTH_PLUGIN_NAME } from '@mcp-warden/apikey-auth';
import { authenticatorOf, getPrincipal, isAnonymous, type Principal } from '@mcp-warden/core';
import { McpServer, ResourceNotFoundError, ResourceTemplate } from '@modelcontextprotocol/server';
import * as z from 'zod';
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
  const by = authenticatorOf(principal);
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

/** The owner of a request, from the principal Warden handed the SDK (`ctx.http.authInfo`, on every transport). */
function ownerOfRequest(ctx: { http?: Parameters<typeof getPrincipal>[0] }): string {
  return ownerOf(getPrincipal(ctx.http));
}

/** Most files a resource list offers, and how deep it looks: a list is a convenience, not an index. */
const LIST_LIMIT = 500;
const LIST_DEPTH = 4;

/** The regular files below `dir` (never directories), as resource URIs under `prefix`, each segment encoded. */
async function listFiles(dir: string, prefix: string) {
  const resources: Array<{ uri: string; name: string; mimeType: string }> = [];
  async function walk(current: string, segments: string[]): Promise<void> {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (resources.length >= LIST_LIMIT) return;
      const path = [...segments, entry.name];
      if (entry.isFile()) {
        resources.push({
          uri: prefix + path.map(encodeURIComponent).join('/'),
          name: path.join('/'),
          mimeType: 'text/plain',
        });
      } else if (entry.isDirectory() && path.length < LIST_DEPTH) {
        await walk(join(current, entry.name), path);
      }
    }
  }
  await walk(dir, []);
  return { resources };
}

/**
 * The file a resource URI names below `dir`, or a resource-not-found error. The file is taken from the URI's path
 * alone, segment by segment, never from a template variable: a query or fragment (which such a variable would
 * capture, `x?%2F..%2Fkeys`) is refused, so what the ACL decided on is what is read. Every refusal, whatever its
 * cause (outside the root, missing, a directory), is the same resource-not-found answer (-32602 with `data.uri`,
 * the code 2026-07-28 gives it; SDK v2 sends it to 2025-era clients too).
 */
async function readResourceFile(
  uri: URL,
  kind: string,
  dir: string,
  resolveInSandbox: SandboxResolver,
): Promise<string> {
  const notFound = () => new ResourceNotFoundError(uri.href);
  const base = `/${kind}/`;
  if (uri.search !== '' || uri.hash !== '' || uri.href.includes('#') || !uri.pathname.startsWith(base))
    throw notFound();
  let relative: string;
  try {
    relative = uri.pathname.slice(base.length).split('/').map(decodeURIComponent).join('/');
  } catch {
    throw notFound();
  }
  if (relative === '') throw notFound();
  try {
    const file = await resolveInSandbox(dir, relative);
    if (!(await stat(file)).isFile()) throw notFound();
    return await readFile(file, 'utf8');
  } catch {
    throw notFound();
  }
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
    { description: 'Echoes the given text back.', inputSchema: z.object({ text: z.string().max(10_000) }) },
    async ({ text: value }) => text(value),
  );

  server.registerTool(
    'read_file',
    {
      description: 'Reads a text file, e.g. "public/welcome.txt".',
      inputSchema: z.object({ path: z.string().min(1).max(1024) }),
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
      inputSchema: z.object({ name: NOTE_NAME, body: z.string().max(100_000) }),
    },
    async ({ name, body }, ctx) => {
      const note = await deps.notes.write(ownerOfRequest(ctx), name, body);
      return text(`Saved note "${note.name}" (${body.length} characters).`);
    },
  );

  server.registerTool(
    'read_note',
    { description: "Reads one of the caller's notes.", inputSchema: z.object({ name: NOTE_NAME }) },
    async ({ name }, ctx) => {
      const note = await deps.notes.read(ownerOfRequest(ctx), name);
      if (!note) return { ...text(`No note named "${name}".`), isError: true };
      return text(note.body);
    },
  );

  server.registerTool('list_notes', { description: "Lists the caller's notes." }, async (ctx) => {
    const notes = deps.notes.list(ownerOfRequest(ctx));
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
      // `{+path}`: nested files are reachable too; the handler reads the URI's path, not the captured variable.
      new ResourceTemplate(`file:///${kind}/{+path}`, { list: () => listFiles(dir, `file:///${kind}/`) }),
      { description: `${kind === 'public' ? 'Public' : 'Private'} documents`, mimeType: 'text/plain' },
      async (uri) => ({
        contents: [
          {
            uri: uri.href,
            mimeType: 'text/plain',
            text: await readResourceFile(uri, kind, dir, deps.resolveInSandbox),
          },
        ],
      }),
    );
  }

  server.registerPrompt(
    'summarize_notes',
    {
      description: "Asks the model to summarise the caller's notes on a topic.",
      argsSchema: z.object({ topic: z.string().max(200) }),
    },
    ({ topic }, ctx) => {
      const names = deps.notes.list(ownerOfRequest(ctx)).map((n) => n.name);
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
