/**
 * Markup rules: HTML escaping for text that a client renders as HTML, and the tutorial's SQL keyword check as an
 * opt-in compatibility rule.
 */
import type { FindingCollector } from './findings.js';
import type { PatternRule } from './pattern-rule.js';
import type { RuleMode } from './types.js';

const HTML_SPECIAL = /[&<>"']/g;
const HTML_ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '` for HTML text and attribute values. Not idempotent by nature (`&` → `&amp;` → `&amp;amp;`). */
export function escapeHtml(text: string): string {
  HTML_SPECIAL.lastIndex = 0;
  if (!HTML_SPECIAL.test(text)) return text;
  return text.replace(HTML_SPECIAL, (ch) => HTML_ENTITY[ch] ?? ch);
}

/** Applies the `html-escape` rule: one finding counting the escaped characters. */
export function applyHtmlEscape(text: string, mode: RuleMode, sink: FindingCollector | undefined): string {
  if (mode === 'off') return text;
  HTML_SPECIAL.lastIndex = 0;
  if (!HTML_SPECIAL.test(text)) return text;
  const enforced = mode === 'enforce';
  let count = 0;
  const escaped = text.replace(HTML_SPECIAL, (ch) => {
    count++;
    return HTML_ENTITY[ch] ?? ch;
  });
  sink?.add('html-escape', 'markup', 'escape', enforced, 0, text.length, undefined, count);
  return enforced ? escaped : text;
}

/**
 * The tutorial's check, kept as an opt-in compatibility rule (WEAK): it refuses ordinary prose ("Don't DROP the
 * ball; …") and protects nothing a parameterised query does not already. Use parameterised queries instead.
 */
export const SQL_KEYWORDS_RULE: PatternRule = {
  id: 'sql-keywords',
  title: 'SQL keywords and comment/statement separators (weak, opt-in compatibility rule)',
  category: 'markup',
  action: 'refuse',
  pattern: /\b(?:DROP|DELETE|INSERT|UPDATE)\b|--|;|\/\*|\*\//gi,
};

/** The tutorial's SQL-keyword regex, as written there (for the benchmark baseline). */
export const TUTORIAL_SQL_KEYWORD_REGEX = /(\bDROP\b|\bDELETE\b|\bINSERT\b|\bUPDATE\b)/i;
