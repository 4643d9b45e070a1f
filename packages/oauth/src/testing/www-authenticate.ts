/** One parsed `WWW-Authenticate` challenge: the scheme and its auth-params (names lower-cased). */
export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Parses a `WWW-Authenticate` header value (RFC 7235 §4.1: challenges separated by commas, each a scheme followed by
 * `name=token` or `name="quoted"` parameters). Strict enough for tests: it throws on anything it cannot read, so a
 * malformed header fails the test instead of being half-read.
 */
export function parseWwwAuthenticate(header: string): ParsedChallenge[] {
  const out: ParsedChallenge[] = [];
  let rest = header.trim();
  let current: ParsedChallenge | undefined;
  while (rest.length > 0) {
    const name = TOKEN.exec(rest)?.[0];
    if (!name) throw new Error(`unreadable WWW-Authenticate at: ${rest}`);
    rest = rest.slice(name.length).trimStart();
    if (rest.startsWith('=') && current) {
      rest = rest.slice(1).trimStart();
      let value: string;
      if (rest.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === '\\') i++;
          value += rest[i] ?? '';
          i++;
        }
        if (rest[i] !== '"') throw new Error('unterminated quoted-string in WWW-Authenticate');
        rest = rest.slice(i + 1);
      } else {
        value = TOKEN.exec(rest)?.[0] ?? '';
        rest = rest.slice(value.length);
      }
      const key = name.toLowerCase();
      if (key in current.params) throw new Error(`parameter ${key} appears twice in one challenge`);
      current.params[key] = value;
    } else {
      current = { scheme: name, params: {} };
      out.push(current);
    }
    rest = rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
  }
  return out;
}

/** The Bearer challenges of a response (asserting there is a header at all). */
export function bearerChallenges(response: Response): ParsedChallenge[] {
  const header = response.headers.get('www-authenticate');
  if (header === null) throw new Error(`HTTP ${response.status} without WWW-Authenticate`);
  return parseWwwAuthenticate(header).filter((c) => c.scheme.toLowerCase() === 'bearer');
}

/** The scopes of a challenge's `scope` parameter, sorted. */
export function challengeScopes(challenge: ParsedChallenge | undefined): string[] {
  return (challenge?.params.scope ?? '').split(' ').filter(Boolean).sort();
}
