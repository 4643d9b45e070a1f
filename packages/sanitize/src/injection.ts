/**
 * Prompt-injection markers in tool output. These rules only flag (they never change text): an operator sees in
 * the security events which tools return instruction-like text, hidden HTML comments or invisible HTML.
 * Heuristics, tuned to stay quiet on ordinary prose ("Ignore the noise in the first chart").
 */
import type { PatternRule } from './pattern-rule.js';

const INSTRUCTION_WORDS =
  /\b(?:ignore|disregard|instructions?|assistant|system|prompt|you must|do not|don't|execute|run|call|send|secret|password|tool|AI|model|agent|LLM)\b/i;

const COMMENT_MAX = 16 * 1024;

/** HTML comments whose content reads like instructions (memoised `indexOf`, linear). */
function findHiddenComments(text: string, emit: (start: number, end: number, kind?: string) => void): void {
  let from = 0;
  let closeFrom = -1;
  let closeAt = -1;
  for (;;) {
    const open = text.indexOf('<!--', from);
    if (open === -1) return;
    const body = open + 4;
    if (!(closeFrom !== -1 && body >= closeFrom && (closeAt === -1 || closeAt >= body))) {
      closeFrom = body;
      closeAt = text.indexOf('-->', body);
    }
    if (closeAt === -1) {
      // Unterminated: a browser hides everything after it.
      const content = text.slice(body, Math.min(text.length, body + COMMENT_MAX));
      if (INSTRUCTION_WORDS.test(content)) emit(open, text.length, 'html-comment');
      return;
    }
    const end = closeAt + 3;
    if (closeAt - body <= COMMENT_MAX && INSTRUCTION_WORDS.test(text.slice(body, closeAt)))
      emit(open, end, 'html-comment');
    from = end;
  }
}

const HIDDEN_STYLE =
  /<[A-Za-z][A-Za-z0-9-]{0,20}(?=\s)[^<>]{0,1000}?(?:display\s{0,3}:\s{0,3}none|visibility\s{0,3}:\s{0,3}hidden|font-size\s{0,3}:\s{0,3}0(?:px|pt|em|rem|%)?(?![0-9.])|opacity\s{0,3}:\s{0,3}0(?:\.0{1,4})?(?![0-9.])|\shidden(?=[\s>/=]))[^<>]{0,1000}>/gi;

export const INJECTION_RULES: readonly PatternRule[] = [
  {
    id: 'prompt-injection',
    title: 'Instructions addressed to the assistant, chat-template role markers, <IMPORTANT> tags',
    category: 'injection',
    action: 'flag',
    // Every alternative starts with one of these; the sticky regex is tried at each occurrence.
    anchorsCI: [
      'ignore',
      'disregard',
      'forget',
      'override',
      'bypass',
      '<|',
      '[inst]',
      '[/inst]',
      '<<sys>>',
      '<</sys>>',
      '<system>',
      '</system>',
      '<important>',
      '</important>',
      '<instruction',
      '</instruction',
      'do not',
      "don't",
      'never',
      'from now on',
      'new',
    ],
    at: new RegExp(
      [
        String.raw`\b(?:ignore|disregard|forget|override|bypass)\s{1,3}(?:(?:all|any|the|your|my|these|those|previous|prior|above|earlier|preceding|system|original|safety)\s{1,3}){0,4}(?:instructions?|prompts?|rules|directions|guidelines|guardrails|directives|constraints)\b`,
        String.raw`<\|(?:im_start|im_end|system|assistant|user|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|important|instructions?)>`,
        String.raw`\b(?:do not|don't|never)\s{1,3}(?:tell|inform|mention|reveal|show|disclose)\s{1,3}(?:(?:this|that|it|anything)\s{1,3})?(?:to\s{1,3})?the\s{1,3}user\b`,
        String.raw`\bfrom now on,?\s{1,3}you\s{1,3}(?:are|will|must|should)\b`,
        String.raw`\bnew\s{1,3}(?:system\s{1,3})?instructions\s{0,3}:`,
      ].join('|'),
      'iy',
    ),
  },
  {
    id: 'hidden-html',
    title:
      'Hidden HTML: instruction-like comments, display:none / visibility:hidden / zero-size / hidden elements',
    category: 'injection',
    action: 'flag',
    anchors: ['<!--'],
    anchorsCI: ['display', 'visibility', 'font-size', 'opacity', 'hidden'],
    find(text, emit) {
      if (text.includes('<!--')) findHiddenComments(text, emit);
      if (!/display|visibility|font-size|opacity|hidden/i.test(text)) return;
      HIDDEN_STYLE.lastIndex = 0;
      for (let m = HIDDEN_STYLE.exec(text); m !== null; m = HIDDEN_STYLE.exec(text)) {
        emit(m.index, m.index + m[0].length, 'hidden-element');
      }
    },
  },
];
