import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrincipal } from '@mcp-warden/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessPolicy } from './access-policy.js';
import type { PolicyError } from './errors.js';
import { PolicyWatcher } from './policy-watcher.js';

const alice = createPrincipal({ id: 'alice', kind: 'apikey' });
const allowing = (tool: string) =>
  `version: 1\nrules:\n  - id: allow-${tool}\n    effect: allow\n    subjects: [authenticated]\n    actions: [tools:call]\n    targets: [${tool}]\n`;

/** Resolves with the next value pushed to a callback (the watcher's events arrive asynchronously). */
function nextEvent<T>() {
  let resolveNext: ((value: T) => void) | undefined;
  const queue: T[] = [];
  return {
    push(value: T) {
      if (resolveNext) {
        const r = resolveNext;
        resolveNext = undefined;
        r(value);
      } else queue.push(value);
    },
    next(): Promise<T> {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve) => {
        resolveNext = resolve;
      });
    },
  };
}

describe('PolicyWatcher (hot reload)', () => {
  let dir: string;
  let file: string;
  let watcher: PolicyWatcher | undefined;
  let loaded = nextEvent<AccessPolicy>();
  let rejected = nextEvent<PolicyError>();

  beforeEach(async () => {
    loaded = nextEvent<AccessPolicy>();
    rejected = nextEvent<PolicyError>();
    dir = await mkdtemp(join(tmpdir(), 'warden-acl-watch-'));
    file = join(dir, 'policy.yaml');
    await writeFile(file, allowing('echo'));
    watcher = await PolicyWatcher.start({
      file,
      debounceMs: 20,
      onLoaded: (p) => loaded.push(p),
      onRejected: (e) => rejected.push(e),
    });
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('swaps in a valid new file', async () => {
    expect(watcher?.current.check(alice, 'tools:call', 'echo')).toBe(true);
    const before = watcher?.current;
    await writeFile(file, allowing('read_note'));
    const next = await loaded.next();
    expect(watcher?.current).toBe(next);
    expect(before?.check(alice, 'tools:call', 'echo')).toBe(true); // the old object is untouched
    expect(watcher?.current.check(alice, 'tools:call', 'echo')).toBe(false);
    expect(watcher?.current.check(alice, 'tools:call', 'read_note')).toBe(true);
  });

  it('sees files replaced by rename (how editors and deploy tools write)', async () => {
    const temp = join(dir, '.policy.yaml.tmp');
    await writeFile(temp, allowing('list_notes'));
    await rename(temp, file);
    await loaded.next();
    expect(watcher?.current.check(alice, 'tools:call', 'list_notes')).toBe(true);
  });

  it('keeps the old policy when the new file is broken, and reports where', async () => {
    const before = watcher?.current;
    await writeFile(
      file,
      'version: 1\nrules:\n  - effect: allow\n    subjects: [authenticated]\n    actions: [tools:cal]\n',
    );
    const error = await rejected.next();
    expect(error.issues[0]).toMatchObject({ file, line: 5, hint: 'did you mean "tools:call"?' });
    expect(watcher?.current).toBe(before);
    expect(watcher?.current.check(alice, 'tools:call', 'echo')).toBe(true);
    // A later good file is taken again.
    await writeFile(file, allowing('write_note'));
    await loaded.next();
    expect(watcher?.current.check(alice, 'tools:call', 'write_note')).toBe(true);
  });

  it('reload() on demand (watch: false); an unchanged file is not reloaded', async () => {
    const manual = await PolicyWatcher.start({ file, watch: false });
    expect(await manual.reload()).toBe(false);
    await writeFile(file, allowing('admin_stats'));
    expect(await manual.reload()).toBe(true);
    expect(manual.current.check(alice, 'tools:call', 'admin_stats')).toBe(true);
    manual.close();
  });

  it('refuses to start on a broken file', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 2\nrules: []\n');
    await expect(PolicyWatcher.start({ file: bad, watch: false })).rejects.toMatchObject({
      name: 'PolicyError',
    });
  });
});
