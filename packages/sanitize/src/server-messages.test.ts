import type { SecurityEventInput, ServerMessageContext, ServerMessageResult } from '@mcp-warden/core';
import { fakePrincipal } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { sanitize } from './plugin.js';

// What a server sends on its own (log lines, progress messages, a sampling request's messages for the client's
// model) gets the output rules, like results do.

function serverMessage(method: string, params: Record<string, unknown>) {
  const events: Omit<SecurityEventInput, 'plugin'>[] = [];
  const ctx: ServerMessageContext = {
    kind: method.startsWith('notifications/') ? 'notification' : 'request',
    method,
    params,
    relatedRequestId: 1,
    principal: fakePrincipal(),
    sessionId: undefined,
    connectionId: 'conn-test',
    transport: 'memory',
    era: 'legacy',
    upstream: 'upstream',
    services: { get: () => undefined, require: () => undefined, register: () => undefined } as never,
    mode: 'enforce',
    emit: (event) => events.push(event),
  };
  return { ctx, events };
}

describe('sanitize on server messages', () => {
  const plugin = sanitize();
  const run = (ctx: ServerMessageContext) => plugin.onServerMessage!(ctx) as ServerMessageResult | undefined;

  it('redacts credentials and strips terminal escapes in a log notification and in a sampling request', () => {
    const log = serverMessage('notifications/message', {
      level: 'info',
      data: { line: '\u001b[31mkey AKIAZ3MXQ7RT2VBN4K6P\u001b[0m' },
    });
    const out = run(log.ctx);
    expect(JSON.stringify(out?.params)).not.toContain('AKIAZ3MXQ7RT2VBN4K6P');
    expect(JSON.stringify(out?.params)).not.toContain('\\u001b');
    expect(log.events.map((e) => e.type)).toEqual(['content.sanitized']);

    const sampling = serverMessage('sampling/createMessage', {
      messages: [{ role: 'user', content: { type: 'text', text: 'summarize\u200b\u{E0041}\u{E0042} this' } }],
      maxTokens: 10,
    });
    const cleaned = run(sampling.ctx);
    expect(JSON.stringify(cleaned?.params)).not.toMatch(/[\u{E0000}-\u{E007F}]/u);
  });

  it('leaves a clean message and its opaque ids alone', () => {
    const progress = serverMessage('notifications/progress', {
      progressToken: 'AKIAZ3MXQ7RT2VBN4K6P',
      progress: 1,
      message: 'step one',
    });
    expect(run(progress.ctx)).toBeUndefined();
    expect(progress.events).toEqual([]);
  });
});
