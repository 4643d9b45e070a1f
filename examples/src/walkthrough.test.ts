import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxArgumentLength } from './first-plugin/max-argument-length.js';

// CONTRIBUTING.md's walkthrough shows its plugin in pieces, each fenced as ```ts file=<path>. Put together in
// order (one blank line between pieces) they must be exactly the files that CI tests, so the text cannot drift.
const root = join(import.meta.dirname, '..', '..');
const guide = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');
const section = guide.slice(guide.indexOf('## Your first plugin in 15 minutes'));
const exampleDir = 'examples/src/first-plugin';

function pieces(markdown: string): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const m of markdown.matchAll(/^```\w+ file=(\S+)\n([\s\S]*?)^```$/gm)) {
    const [, file, body] = m;
    byFile.set(file!, [...(byFile.get(file!) ?? []), body!]);
  }
  return byFile;
}

describe('CONTRIBUTING.md: your first plugin in 15 minutes', () => {
  const shown = pieces(section);

  it('shows every file of the example plugin', () => {
    const files = readdirSync(join(root, exampleDir)).map((f) => `${exampleDir}/${f}`);
    expect([...shown.keys()].sort()).toEqual(files.sort());
  });

  for (const [file, parts] of shown) {
    it(`its pieces of ${file} are that file`, () => {
      expect(parts.join('\n')).toBe(readFileSync(join(root, file), 'utf8'));
    });
  }
});

describe('CONTRIBUTING.md: the options rule', () => {
  it("shows the message parseOptions really gives for the walkthrough plugin's bad options", () => {
    const rule = guide.slice(guide.indexOf('## Options'), guide.indexOf('## Your first plugin'));
    const shown = /```text\n([\s\S]*?)```/.exec(rule)?.[1];
    const lines = shown
      ?.trimEnd()
      .split('\n')
      .map((line) => line.slice(2)); // the list's indentation
    expect(lines?.length).toBeGreaterThan(1);
    expect(() => maxArgumentLength({ maxLength: 0, tool: ['save_note'] } as never)).toThrow(
      lines!.join('\n'),
    );
  });
});
