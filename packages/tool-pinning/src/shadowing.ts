import type { ShadowedTool } from './store.js';

/** Tool names shorter than this are never matched (too many accidental hits). */
export const MIN_SHADOW_NAME_LENGTH = 3;

/**
 * Words that, just before a tool name, make it an instruction about that tool ("instead of search", "before
 * calling fetch", "use send"). A plain-word tool name of another upstream counts only after one of these (or
 * before "tool"/"function"), so ordinary prose ("search the web") is not flagged.
 */
const LEAD_WORDS = new Set([
  'call',
  'calls',
  'calling',
  'called',
  'use',
  'uses',
  'using',
  'invoke',
  'invokes',
  'invoking',
  'run',
  'runs',
  'running',
  'prefer',
  'replace',
  'replaces',
  'override',
  'overrides',
  'shadow',
  'shadows',
]);
/** Two-word leads: "instead of X", "rather than X". */
const LEAD_PAIRS = new Set(['instead of', 'rather than']);
/** Skipped between a lead and the name: "call the X tool". */
const ARTICLES = new Set(['the', 'a', 'an', 'this', 'that', 'their', 'its']);
const TRAIL_WORDS = new Set(['tool', 'tools', 'function', 'functions', 'command', 'endpoint']);

const TOKEN_CHAR = /[A-Za-z0-9_\-./:]/;
/** Namespace separators: a name may be named inside a qualified one (`github.create_issue`). */
const SEGMENT_SEPARATOR = /[./:]/;
const EDGE_PUNCTUATION = /^[-./:]+|[-./:]+$/g;

/** A name with a character no English word has (`_ - . / :` or a digit, or an inner capital) is distinctive. */
function isDistinctive(name: string): boolean {
  return /[_\-./:0-9]/.test(name) || /[a-z][A-Z]/.test(name);
}

/** The tools of other upstreams, indexed for {@link findShadowedTools}. Build once per list. */
export class ShadowIndex {
  readonly #byName = new Map<string, ShadowedTool[]>();

  /**
   * @param others tools of every other upstream
   * @param own names of the checked upstream's own tools: a name both have is about the tool itself
   */
  constructor(others: readonly ShadowedTool[], own: Iterable<string> = []) {
    const mine = new Set([...own].map((n) => n.toLowerCase()));
    for (const other of others) {
      const key = other.tool.toLowerCase();
      if (other.tool.length < MIN_SHADOW_NAME_LENGTH || mine.has(key)) continue;
      const list = this.#byName.get(key);
      if (list) list.push(other);
      else this.#byName.set(key, [other]);
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  /** Tools of other upstreams that the text names. Linear in the text's length. */
  find(text: string): ShadowedTool[] {
    if (this.#byName.size === 0) return [];
    const found = new Map<string, ShadowedTool>();
    const tokens = tokenize(text);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      const candidates = [token, ...token.split(SEGMENT_SEPARATOR).filter((s) => s.length > 0)];
      for (const candidate of new Set(candidates)) {
        const hits = this.#byName.get(candidate.toLowerCase());
        if (!hits) continue;
        if (!isDistinctive(hits[0]!.tool) && !inInstruction(tokens, i)) continue;
        for (const hit of hits) found.set(`${hit.upstream}\u0000${hit.tool}`, hit);
      }
    }
    return [...found.values()];
  }
}

/** Tokens of runs of name characters, with sentence punctuation trimmed from their edges. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const inside = i < text.length && TOKEN_CHAR.test(text[i]!);
    if (inside && start < 0) start = i;
    else if (!inside && start >= 0) {
      const token = text.slice(start, i).replace(EDGE_PUNCTUATION, '');
      if (token.length > 0) tokens.push(token);
      start = -1;
    }
  }
  return tokens;
}

function inInstruction(tokens: readonly string[], index: number): boolean {
  const next = tokens[index + 1]?.toLowerCase();
  if (next !== undefined && TRAIL_WORDS.has(next)) return true;
  let k = index - 1;
  while (k >= 0 && ARTICLES.has(tokens[k]!.toLowerCase())) k--;
  const prev = tokens[k]?.toLowerCase();
  if (prev === undefined) return false;
  if (LEAD_WORDS.has(prev)) return true;
  const before = tokens[k - 1]?.toLowerCase();
  return before !== undefined && LEAD_PAIRS.has(`${before} ${prev}`);
}

const TEXT_KEYS = new Set(['description', 'title']);
const MAX_WALK_DEPTH = 64;

/**
 * The texts of a tool definition a model reads as instructions: its `title` and `description`, and every
 * `title`/`description` inside its schemas and annotations (parameter descriptions are a known hiding place).
 */
export function instructionTexts(definition: Readonly<Record<string, unknown>>): string[] {
  const texts: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > MAX_WALK_DEPTH || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (TEXT_KEYS.has(key) && typeof item === 'string') texts.push(item);
      else walk(item, depth + 1);
    }
  };
  const { title, description, inputSchema, outputSchema, annotations } = definition;
  walk({ title, description, inputSchema, outputSchema, annotations }, 0);
  return texts;
}

/** Tools of other upstreams that a definition's instruction texts name. */
export function findShadowedTools(
  definition: Readonly<Record<string, unknown>>,
  index: ShadowIndex,
): ShadowedTool[] {
  if (index.size === 0) return [];
  const found = new Map<string, ShadowedTool>();
  for (const text of instructionTexts(definition)) {
    for (const hit of index.find(text)) found.set(`${hit.upstream}\u0000${hit.tool}`, hit);
  }
  return [...found.values()];
}
