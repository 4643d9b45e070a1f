import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../errors.js';
import { transformSseStream } from './sse.js';

const encoder = new TextEncoder();

/** An upstream stream the test drives chunk by chunk, recording whether it was cancelled. */
function controllableUpstream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const state = { cancelled: false, cancelReason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel(reason) {
      state.cancelled = true;
      state.cancelReason = reason;
    },
  });
  return {
    stream,
    state,
    push: (text: string | Uint8Array) =>
      controller.enqueue(typeof text === 'string' ? encoder.encode(text) : text),
    end: () => controller.close(),
    error: (reason: unknown) => controller.error(reason),
  };
}

function upstreamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      c.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let out = '';
  for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

interface Parsed {
  events: EventSourceMessage[];
  retries: number[];
  comments: string[];
}

function parseSse(text: string): Parsed {
  const parsed: Parsed = { events: [], retries: [], comments: [] };
  const parser = createParser({
    onEvent: (e) => parsed.events.push(e),
    onRetry: (r) => parsed.retries.push(r),
    onComment: (c) => parsed.comments.push(c),
  });
  parser.feed(text);
  return parsed;
}

const identity = async (message: unknown) => message;
const progress = {
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 1, progress: 1 },
};
const response = { jsonrpc: '2.0', id: 1, result: { content: [] } };

describe('transformSseStream: streaming', () => {
  it('delivers a progress notification before the upstream stream ends', async () => {
    const upstream = controllableUpstream();
    const reader = transformSseStream(upstream.stream, identity).getReader();
    upstream.push(`event: message\nid: 7\ndata: ${JSON.stringify(progress)}\n\n`);
    const first = await reader.read();
    expect(first.done).toBe(false);
    const text = new TextDecoder().decode(first.value);
    expect(parseSse(text).events).toEqual([{ id: '7', event: 'message', data: JSON.stringify(progress) }]);
    expect(upstream.state.cancelled).toBe(false);

    upstream.push(`data: ${JSON.stringify(response)}\n\n`);
    const second = await reader.read();
    expect(JSON.parse(parseSse(new TextDecoder().decode(second.value)).events[0]?.data ?? '')).toEqual(
      response,
    );
    upstream.end();
    expect((await reader.read()).done).toBe(true);
  });

  it('keeps waiting across chunks that complete no event (keep-alive free stretches)', async () => {
    const upstream = controllableUpstream();
    const reader = transformSseStream(upstream.stream, identity).getReader();
    const pending = reader.read();
    const line = `data: ${JSON.stringify(progress)}`;
    upstream.push(line.slice(0, 5));
    upstream.push(line.slice(5));
    upstream.push('\n');
    upstream.push('\n');
    const { value } = await pending;
    expect(parseSse(new TextDecoder().decode(value)).events).toHaveLength(1);
    upstream.end();
    expect((await reader.read()).done).toBe(true);
  });

  it('cancelling the output cancels the upstream', async () => {
    const upstream = controllableUpstream();
    const output = transformSseStream(upstream.stream, identity);
    const reader = output.getReader();
    upstream.push(`data: ${JSON.stringify(progress)}\n\n`);
    await reader.read();
    await reader.cancel('client went away');
    expect(upstream.state.cancelled).toBe(true);
    expect(upstream.state.cancelReason).toBe('client went away');
  });
});

describe('transformSseStream: fields and message transform', () => {
  it('keeps id, event, retry, comments and the empty-data priming event; drops what the transform drops', async () => {
    const seen: unknown[] = [];
    const out = await readAll(
      transformSseStream(
        upstreamOf([
          ': keep-alive\n\n',
          'id: prime-1\nretry: 3000\ndata: \n\n',
          `id: 2\nevent: message\ndata: ${JSON.stringify(progress)}\n\n`,
          `id: 3\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'drop/me' })}\n\n`,
          `id: 4\ndata: ${JSON.stringify(response)}\n\n`,
        ]),
        async (message) => {
          seen.push(message);
          const m = message as { method?: string; result?: object };
          if (m.method === 'drop/me') return undefined;
          if (m.result) return { ...m, result: { content: [{ type: 'text', text: 'rewritten' }] } };
          return message;
        },
      ),
    );
    const parsed = parseSse(out);
    expect(parsed.comments).toEqual(['keep-alive']);
    expect(parsed.retries).toEqual([3000]);
    expect(parsed.events.map((e) => e.id)).toEqual(['prime-1', '2', '4']);
    expect(parsed.events[0]?.data).toBe('');
    expect(parsed.events[1]?.event).toBe('message');
    expect(JSON.parse(parsed.events[2]?.data ?? '')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'rewritten' }] },
    });
    // The priming event carries no message, so the transform never saw it.
    expect(seen).toHaveLength(3);
  });

  it('gives the same events however the upstream bytes are split and whichever line endings it uses', async () => {
    const messageArb = fc.record({
      jsonrpc: fc.constant('2.0'),
      method: fc.string(),
      params: fc.jsonValue(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (messages, eol, cuts) => {
          // Multi-line data: the pretty-printed JSON is split over several data: lines.
          const text = messages
            .map(
              (m, i) =>
                `id: ${i}${eol}${JSON.stringify(m, null, 1)
                  .split('\n')
                  .map((line) => `data: ${line}`)
                  .join(eol)}${eol}${eol}`,
            )
            .join('');
          const bytes = encoder.encode(text);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, bytes.length]) {
            chunks.push(bytes.slice(last, p));
            last = p;
          }
          const parsed = parseSse(await readAll(transformSseStream(upstreamOf(chunks), identity)));
          expect(parsed.events.map((e) => JSON.parse(e.data))).toEqual(JSON.parse(JSON.stringify(messages)));
          expect(parsed.events.map((e) => e.id)).toEqual(messages.map((_, i) => String(i)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never lets a transformed message break out of its event, whatever it contains', async () => {
    const nasty = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(
        '\n\ndata: {"jsonrpc":"2.0","id":9,"result":{}}\n\n',
        '\r\r:x\rid: 5\r',
        '\u2028\u2029',
      ),
    );
    await fc.assert(
      fc.asyncProperty(nasty, async (payload) => {
        const message = { jsonrpc: '2.0', id: 1, result: { payload } };
        const out = await readAll(
          transformSseStream(upstreamOf([`data: ${JSON.stringify(response)}\n\n`]), async () => message),
        );
        const parsed = parseSse(out);
        expect(parsed.events).toHaveLength(1);
        expect(parsed.comments).toEqual([]);
        expect(JSON.parse(parsed.events[0]?.data ?? '')).toEqual(JSON.parse(JSON.stringify(message)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('transformSseStream: fails closed', () => {
  const expectClosedWithError = async (
    chunks: Array<string | Uint8Array>,
    options: Parameters<typeof transformSseStream>[2] = {},
    onMessage = identity,
  ) => {
    const upstream = controllableUpstream();
    const failures: string[] = [];
    const output = transformSseStream(upstream.stream, onMessage, {
      ...options,
      onFailure: (reason) => failures.push(reason),
    });
    for (const chunk of chunks) upstream.push(chunk);
    // The upstream never ends by itself: the transform must end it.
    const out = await readAll(output);
    const parsed = parseSse(out);
    const last = parsed.events.at(-1);
    expect(last?.event).toBe('message');
    const error = JSON.parse(last?.data ?? '') as {
      jsonrpc: string;
      id?: unknown;
      error: { message: string };
    };
    expect(error.jsonrpc).toBe('2.0');
    expect(upstream.state.cancelled).toBe(true);
    expect(failures).toHaveLength(1);
    return { error, parsed, out };
  };

  it('ends the stream with one JSON-RPC error event on non-JSON data, without echoing it', async () => {
    const garbage = fc
      .string({ minLength: 1 })
      .filter((s) => !/[\r\n]/.test(s) && s.trim() !== '')
      .filter((s) => {
        try {
          JSON.parse(s.startsWith(' ') ? s.slice(1) : s);
          return false;
        } catch {
          return true;
        }
      });
    await fc.assert(
      fc.asyncProperty(garbage, async (data) => {
        const { error, parsed, out } = await expectClosedWithError(
          [
            `data: ${JSON.stringify(progress)}\n\n`,
            `data: ${data}\n\n`,
            `data: ${JSON.stringify(response)}\n\n`,
          ],
          { errorId: 42 },
        );
        expect(error).toEqual({
          jsonrpc: '2.0',
          id: 42,
          error: { code: -32603, message: 'The response could not be checked and was refused.' },
        });
        // The event before the bad one was delivered; nothing after it was.
        expect(parsed.events).toHaveLength(2);
        expect(out.includes('"result"')).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses an event larger than the bound, split or whole, and a partial line that never ends', async () => {
    const big = 'x'.repeat(5000);
    const json = JSON.stringify({ jsonrpc: '2.0', method: 'm', params: { big } });
    const variants: Array<Array<string>> = [
      [`data: ${json}\n\n`],
      [`data: ${json.slice(0, 2000)}`, json.slice(2000), '\n\n'],
      ['data: {"a":1}\ndata: 2\n'.repeat(600)],
      [`data: ${'y'.repeat(4097)}`],
      [`: ${'c'.repeat(4097)}`],
    ];
    for (const chunks of variants) {
      const { error } = await expectClosedWithError(chunks, { maxEventSize: 4096 });
      expect(error.error.message).toBe('The response could not be checked and was refused.');
    }
  });

  it('refuses invalid UTF-8 rather than guessing', async () => {
    await expectClosedWithError([
      new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a, 0x0a]),
    ]);
  });

  it('ends the stream when the transform throws: generic text, or a WardenError’s client-safe message', async () => {
    const internal = await expectClosedWithError([`data: ${JSON.stringify(progress)}\n\n`], {}, async () => {
      throw new Error('secret internal detail /etc/passwd');
    });
    expect(JSON.stringify(internal.error)).not.toContain('secret');
    const refused = await expectClosedWithError([`data: ${JSON.stringify(progress)}\n\n`], {}, async () => {
      throw new AccessDeniedError({ message: 'Access denied.', reason: 'hidden reason' });
    });
    expect(refused.error.error.message).toBe('Access denied.');
    expect(JSON.stringify(refused.error)).not.toContain('hidden');
  });

  it('ends the stream with the error event when the upstream itself errors mid-stream', async () => {
    const upstream = controllableUpstream();
    const failures: string[] = [];
    const reader = transformSseStream(upstream.stream, identity, {
      onFailure: (reason) => failures.push(reason),
    }).getReader();
    upstream.push(`data: ${JSON.stringify(progress)}\n\n`);
    await reader.read();
    upstream.error(new Error('socket reset by peer 10.0.0.7'));
    const { value } = await reader.read();
    const text = new TextDecoder().decode(value);
    expect(JSON.parse(parseSse(text).events[0]?.data ?? '')).toEqual({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'The response could not be checked and was refused.' },
    });
    expect(text).not.toContain('10.0.0.7');
    expect(failures).toHaveLength(1);
    expect((await reader.read()).done).toBe(true);
  });

  it('refuses a transform result that is not JSON-serializable', async () => {
    await expectClosedWithError([`data: ${JSON.stringify(progress)}\n\n`], {}, async () => () => 1);
  });

  it('rejects a bad bound at setup', () => {
    expect(() => transformSseStream(upstreamOf([]), identity, { maxEventSize: 0 })).toThrow(TypeError);
  });
});
