import { MemoryEventSink, SecurityEventBus } from '@mcp-warden/core';
import { describe, expect, it } from 'vitest';
import { sealingEventSink } from './event-sealing.js';
import { KeyRing } from './key-ring.js';

describe('sealingEventSink', () => {
  it('encrypts declared event fields before the inner sink sees them', async () => {
    const keyRing = await KeyRing.generate();
    const inner = new MemoryEventSink();
    const bus = new SecurityEventBus([
      sealingEventSink(inner, { keyRing, fields: ['/remoteAddress', '/details/ip', '/missing'] }),
    ]);
    const emitted = bus.emit({
      type: 'auth.failed',
      outcome: 'denied',
      remoteAddress: '203.0.113.9',
      details: { ip: '203.0.113.9', n: 1 },
    });
    const written = inner.events[0]!;
    expect(JSON.stringify(written)).not.toContain('203.0.113.9');
    expect(written.details?.n).toBe(1);
    expect(written.type).toBe('auth.failed');
    expect(emitted.remoteAddress).toBe('203.0.113.9'); // listeners and other sinks keep the original
    const context = { purpose: 'security-event', field: '/remoteAddress' };
    expect(keyRing.decryptString(written.remoteAddress!, { context })).toBe('203.0.113.9');
  });
});
