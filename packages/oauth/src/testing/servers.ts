import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

/** A node:http server on 127.0.0.1 with a free port. */
export async function listenLocal(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JWKS endpoint for tests: serves `keys` at `/jwks`, counts requests, can be stopped (outage). */
export async function startJwksServer(initial: JWK[]) {
  let keys = initial;
  let requests = 0;
  const local = await listenLocal((req, res) => {
    requests++;
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
  });
  let stopped = false;
  return {
    url: `${local.origin}/jwks`,
    origin: local.origin,
    get requests() {
      return requests;
    },
    setKeys(next: JWK[]) {
      keys = next;
    },
    /** Stops the server (connections refused from now on). */
    async stop() {
      if (!stopped) {
        stopped = true;
        await local.close();
      }
    },
  };
}

/** An RFC 7662 introspection endpoint for tests, with `client_secret_basic` authentication. */
export async function startIntrospectionServer(options: {
  clientId: string;
  clientSecret: string;
  tokens: Map<string, Record<string, unknown>>;
}) {
  let requests = 0;
  let failWith: number | undefined;
  const form = (v: string) => new URLSearchParams({ v }).toString().slice(2);
  const expected = `Basic ${Buffer.from(`${form(options.clientId)}:${form(options.clientSecret)}`).toString('base64')}`;
  const local = await listenLocal((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failWith) {
        res.writeHead(failWith).end();
        return;
      }
      if (req.method !== 'POST' || req.url !== '/introspect' || req.headers.authorization !== expected) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const answer = options.tokens.get(form.get('token') ?? '') ?? { active: false };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return {
    endpoint: `${local.origin}/introspect`,
    get requests() {
      return requests;
    },
    failWith(status: number | undefined) {
      failWith = status;
    },
    close: local.close,
  };
}
