// Control proxies for the gateway bench: the cheapest forwarders a separate-process gateway could be, so the gateway's
// figures can be read against a floor measured on the same machine in the same run. `node`: node:http in,
// node:http.request out, bodies piped (no parsing). `fetch`: the web-standard shape the gateway has (core's
// toNodeHandler in, global fetch (undici) out, the body read as text and the answer returned as a Response) with
// no pipeline. Usage: plain-proxy.ts <node|fetch> <upstream URL>; prints {"servers": [{"url"}]} once listening.
import { Agent, createServer, request as httpRequest, type RequestListener } from 'node:http';
import { toNodeHandler } from '../../../packages/core/src/index.ts';

const [mode, target] = process.argv.slice(2);
if (!target) throw new Error('usage: plain-proxy.ts <node|fetch> <upstream URL>');
const upstream = new URL(target);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const FORWARDED = [
  'accept',
  'content-type',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'mcp-session-id',
];

const nodeProxy: RequestListener = (req, res) => {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const out = httpRequest(upstream, { method: req.method, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? '' });
    answer.pipe(res);
  });
  out.on('error', () => res.writeHead(502).end());
  req.pipe(out);
};

const fetchProxy = toNodeHandler({
  fetch: async (request: Request) => {
    const headers = new Headers();
    for (const name of FORWARDED) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const answer = await fetch(upstream, { method: request.method, headers, body: await request.text() });
    return new Response(await answer.text(), {
      status: answer.status,
      headers: { 'content-type': answer.headers.get('content-type') ?? '' },
    });
  },
  serves: () => true,
  close: async () => undefined,
});

const http = createServer(mode === 'node' ? nodeProxy : (req, res) => void fetchProxy(req, res));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const address = http.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(
  `${JSON.stringify({ servers: [{ url: `http://127.0.0.1:${port}${upstream.pathname}` }] })}\n`,
);
