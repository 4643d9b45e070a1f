import { ConfigError } from '@mcp-warden/core';

/** Matches a URI against an RFC 6570 template and returns its variables, or `undefined` when it does not match. */
export type UriTemplateMatcher = (uri: string) => Record<string, string> | undefined;

/**
 * Compiles the subset of RFC 6570 that MCP resource templates use in practice: `{name}` (one path segment,
 * percent-decoded) and `{+name}` / `{#name}` (reserved expansion, may span `/`). Hand-rolled because the only
 * matcher that understands MCP's templates lives inside the SDK, which this package does not depend on.
 */
export function compileUriTemplate(template: string): UriTemplateMatcher {
  const names: string[] = [];
  let pattern = '^';
  let last = 0;
  for (const match of template.matchAll(/\{([+#]?)([A-Za-z0-9_.%]+)\}/g)) {
    pattern += escapeRegExp(template.slice(last, match.index));
    const operator = match[1] ?? '';
    if (operator === '#') pattern += '#';
    pattern += operator === '' ? '([^/?#]*)' : '(.*?)';
    names.push(match[2] ?? '');
    last = match.index + match[0].length;
  }
  const rest = template.slice(last);
  if (
    rest.includes('{') ||
    rest.includes('}') ||
    template
      .slice(0, last)
      .replace(/\{[+#]?[A-Za-z0-9_.%]+\}/g, '')
      .includes('{')
  ) {
    throw new ConfigError(
      `resource template "${template}": only {name}, {+name} and {#name} expressions are supported.`,
    );
  }
  pattern += `${escapeRegExp(rest)}$`;
  const regex = new RegExp(pattern, 's');
  return (uri) => {
    const m = regex.exec(uri);
    if (!m) return undefined;
    const vars: Record<string, string> = {};
    names.forEach((name, i) => {
      const raw = m[i + 1] ?? '';
      try {
        vars[name] = decodeURIComponent(raw);
      } catch {
        vars[name] = raw;
      }
    });
    return vars;
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
