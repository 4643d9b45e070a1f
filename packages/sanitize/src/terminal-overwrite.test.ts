import {
  createPrincipal,
  type RequestContext,
  type ResponseContext,
  type SecurityEventInput,
} from '@mcp-warden/core';
import { connectTestClient } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanControls } from './control-scan.js';
import { sanitizeText } from './engine.js';
import { FindingCollector } from './findings.js';
import { sanitize } from './plugin.js';
import { compileRules } from './rules.js';

/** Ordinary text pieces, line feeds and CRLF line breaks: nothing any default rule changes. */
const PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  '.',
  ':',
  '-',
  'Transfer approved: ',
  'NO',
  'YES',
  '\n',
  '\r\n',
  '\t',
  'é',
  'ß',
  'ж',
  '中',
  'م',
  'क्ष',
  '👍',
  '👩\u200D💻',
];
const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 });
const clean = pieces.map((p) => p.join(''));
/** What an attacker inserts: one bare CR, a CR run, a BS run, or BS and CR mixed. */
const trick = fc.oneof(
  fc.constant('\r'),
  fc.integer({ min: 1, max: 8 }).map((n) => '\r'.repeat(n)),
  fc.integer({ min: 1, max: 40 }).map((n) => '\b'.repeat(n)),
  fc.array(fc.constantFrom('\r', '\b'), { minLength: 1, maxLength: 12 }).map((a) => a.join('')),
);
const inserts = fc.array(fc.tuple(fc.nat(), trick), { minLength: 1, maxLength: 6 });
/** Clean text with tricks inserted between its pieces (so no emoji or conjunct is split). */
const tricked = fc.tuple(pieces, inserts).map(([parts, add]) => {
  const out = [...parts];
  for (const [at, t] of add) out.splice(at % (out.length + 1), 0, t);
  return out.join('');
});
/** The same, inserted at any UTF-16 offset (inside surrogate pairs and emoji sequences too). */
const trickedAnywhere = fc.tuple(clean, inserts).map(([text, add]) => {
  let out = text;
  for (const [at, t] of add) {
    const k = at % (out.length + 1);
    out = `${out.slice(0, k)}${t}${out.slice(k)}`;
  }
  return out;
});

const BARE_CR = /\r(?!\n)/g;
/** Bare CRs and BSs of `text` (a CR inserted right before an LF forms a CRLF: a line break, not a trick). */
const trickCount = (text: string) => (text.match(BARE_CR) ?? []).length + (text.match(/\x08/g) ?? []).length;
const overwriteCount = (counts: readonly { rule: string; count: number }[]) =>
  counts.find((c) => c.rule === 'terminal-overwrite')?.count;

describe('terminal-overwrite (bare CR and BS)', () => {
  const rules = compileRules();
  const input = compileRules([], { direction: 'input' });

  it('neutralises the redraw trick: the overwritten line stays visible, on its own line', () => {
    const r = sanitizeText('Transfer approved: NO\rTransfer approved: YES', rules);
    expect(r.text).toBe('Transfer approved: NO\nTransfer approved: YES');
    expect(r.counts).toEqual([
      expect.objectContaining({
        rule: 'terminal-overwrite',
        category: 'terminal',
        count: 1,
        enforced: true,
        kinds: { cr: 1 },
      }),
    ]);
    const bs = sanitizeText(`Transfer approved: NO${'\b'.repeat(2)}YES`, rules);
    expect(bs.text).toBe('Transfer approved: NOYES');
    expect(bs.counts).toEqual([
      expect.objectContaining({ rule: 'terminal-overwrite', count: 2, kinds: { bs: 2 } }),
    ]);
  });

  it('random text with bare CRs / BS runs at random places: none survive, each one is recorded', () => {
    fc.assert(
      fc.property(tricked, (text) => {
        const expected = trickCount(text);
        fc.pre(expected > 0);
        for (const r of [rules, input]) {
          const result = sanitizeText(text, r);
          expect(result.text).toBe(text.replace(BARE_CR, '\n').replace(/\x08/g, ''));
          expect(BARE_CR.test(result.text)).toBe(false);
          expect(result.text.includes('\b')).toBe(false);
          expect(overwriteCount(result.counts)).toBe(expected);
          expect(result.changed).toBe(true);
          // Idempotent: the output has nothing left to neutralise.
          const again = sanitizeText(result.text, r);
          expect(again.text).toBe(result.text);
          expect(again.counts).toEqual([]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('tricks inserted at any offset (inside emoji, surrogate pairs): none survive, each one is recorded', () => {
    fc.assert(
      fc.property(trickedAnywhere, (text) => {
        const expected = trickCount(text);
        fc.pre(expected > 0);
        const result = sanitizeText(text, rules);
        expect(BARE_CR.test(result.text)).toBe(false);
        expect(result.text.includes('\b')).toBe(false);
        expect(overwriteCount(result.counts)).toBe(expected);
        expect(sanitizeText(result.text, rules).text).toBe(result.text);
      }),
      { numRuns: 1000 },
    );
  });

  it('random text with only CRLF and LF line breaks comes through unchanged (the same string), with no finding', () => {
    fc.assert(
      fc.property(clean, (text) => {
        const result = sanitizeText(text, rules);
        expect(result.text).toBe(text);
        expect(result.changed).toBe(false);
        expect(result.counts).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    expect(sanitizeText('a\r\nb\r\n\r\nc\n', rules).text).toBe('a\r\nb\r\n\r\nc\n');
    expect(sanitizeText('a\r\r\nb', rules).text).toBe('a\n\r\nb');
  });

  it('audit records and keeps; off keeps without a finding', () => {
    const text = 'x\ry\b\bz';
    const audit = sanitizeText(text, compileRules([{ 'terminal-overwrite': 'audit' }]));
    expect(audit.text).toBe(text);
    expect(audit.counts).toEqual([
      expect.objectContaining({ rule: 'terminal-overwrite', count: 3, enforced: false }),
    ]);
    const off = sanitizeText(text, compileRules([{ 'terminal-overwrite': 'off' }]));
    expect(off.text).toBe(text);
    expect(off.counts).toEqual([]);
    // Other control characters are still removed when the overwrite rule is off.
    expect(sanitizeText('x\ry\x00\x1b[2Kz', compileRules([{ 'terminal-overwrite': 'off' }])).text).toBe(
      'x\ryz',
    );
  });
});

describe('scanControls with a modes object written before terminal-overwrite existed', () => {
  it('keeps bare CRs and reports BS as control-chars, as before', () => {
    const sink = new FindingCollector();
    const modes = {
      tags: 'enforce',
      bidi: 'enforce',
      invisible: 'enforce',
      variation: 'enforce',
      escapes: 'enforce',
      controls: 'enforce',
    } as const;
    expect(scanControls('a\rb\b\bc', modes, sink)).toBe('a\rbc');
    expect(sink.counts()).toEqual([expect.objectContaining({ rule: 'control-chars', count: 2 })]);
  });
});

describe('per-tool opt-out (keepOverwrites)', () => {
  const events: SecurityEventInput[] = [];
  const ctx = (name: string, text: string): ResponseContext =>
    ({
      requestId: 1,
      method: 'tools/call',
      action: 'tools:call',
      target: { type: 'tool', name },
      params: {},
      arguments: undefined,
      principal: createPrincipal({ id: 'u', kind: 'test' }),
      transport: 'memory',
      sessionId: undefined,
      remoteAddress: undefined,
      signal: new AbortController().signal,
      state: new Map(),
      services: { provide() {}, get: () => undefined, require: () => undefined as never },
      mode: 'enforce',
      emit: (e: SecurityEventInput) => events.push(e),
      result: { content: [{ type: 'text', text }] },
    }) as unknown as RequestContext as ResponseContext;
  const textOf = (out: unknown, fallback: string) =>
    (out as { result?: { content: { text: string }[] } } | undefined)?.result?.content[0]?.text ?? fallback;

  it('keeps bare CRs and BS runs for the opted-out tools (exact and prefix*), and neutralises them for the rest', () => {
    const plugin = sanitize({
      tools: { progress: { keepOverwrites: true }, 'tty_*': { keepOverwrites: true } },
    });
    fc.assert(
      fc.property(tricked, (text) => {
        fc.pre(trickCount(text) > 0);
        for (const raw of ['progress', 'tty_capture']) {
          events.length = 0;
          expect(textOf(plugin.afterResponse(ctx(raw, text)), text)).toBe(text);
          expect(events).toEqual([]);
        }
        events.length = 0;
        const out = textOf(plugin.afterResponse(ctx('other', text)), text);
        expect(out).toBe(text.replace(BARE_CR, '\n').replace(/\x08/g, ''));
        expect(events).toHaveLength(1);
        expect(events[0]?.details?.rules).toEqual([
          expect.objectContaining({ rule: 'terminal-overwrite', count: trickCount(text), enforced: true }),
        ]);
      }),
      { numRuns: 300 },
    );
  });

  it('the opt-out keeps only CR and BS: escapes and hidden text are still removed for that tool', () => {
    const plugin = sanitize({ tools: { progress: { keepOverwrites: true } } });
    const out = textOf(plugin.afterResponse(ctx('progress', '10%\r\x1b[2K20%\b\u200B')), '');
    expect(out).toBe('10%\r20%\b');
  });

  it('rejects a non-boolean keepOverwrites when sanitize() is called', () => {
    expect(() => sanitize({ tools: { x: { keepOverwrites: 'yes' as never } } })).toThrow(/keepOverwrites/);
  });
});

describe('terminal-overwrite end to end (real SDK client and McpServer)', () => {
  const PROGRESS = '10%\r20%\r30%\b\b\b100%\r\n';
  const createServer = () => {
    const server = new McpServer({ name: 'overwrite-e2e', version: '1.0.0' });
    server.registerTool('transfer_status', { description: 'status' }, async () => ({
      content: [{ type: 'text', text: 'Transfer approved: NO\rTransfer approved: YES\r\n' }],
    }));
    server.registerTool('progress', { description: 'a progress bar' }, async () => ({
      content: [{ type: 'text', text: PROGRESS }],
    }));
    return server;
  };

  it('a redraw in a tool result reaches the client neutralised and recorded; the raw tool keeps it', async () => {
    const kit = await connectTestClient({
      plugins: [sanitize({ tools: { progress: { keepOverwrites: true } } })],
      createServer,
    });
    try {
      const result = (await kit.client.callTool({ name: 'transfer_status', arguments: {} })) as {
        content: { text: string }[];
      };
      expect(result.content[0]?.text).toBe('Transfer approved: NO\nTransfer approved: YES\r\n');
      const [event, ...rest] = kit.events.ofType('content.sanitized');
      expect(rest).toEqual([]);
      expect(event).toMatchObject({ outcome: 'modified', target: 'transfer_status' });
      expect(event?.details?.direction).toBe('output');
      expect(event?.details?.rules).toEqual([
        expect.objectContaining({ rule: 'terminal-overwrite', count: 1, kinds: { cr: 1 } }),
      ]);
      const raw = (await kit.client.callTool({ name: 'progress', arguments: {} })) as {
        content: { text: string }[];
      };
      expect(raw.content[0]?.text).toBe(PROGRESS);
      expect(kit.events.ofType('content.sanitized')).toHaveLength(1);
    } finally {
      await kit.close();
    }
  });
});
