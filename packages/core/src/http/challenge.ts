import type { AuthChallenge } from '../errors.js';

/** RFC 7230 quoted-string: escape backslash and double quote; drop control characters. */
function quote(value: string): string {
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `Bearer realm="x", scope="a b"` */
export function formatChallenge(challenge: AuthChallenge): string {
  const params = Object.entries(challenge.params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${quote(v)}`);
  return params.length ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme;
}

/** Adds RFC 6750 error parameters to every Bearer challenge (others are left as they are). */
export function withBearerError(
  challenges: readonly AuthChallenge[],
  extra: Record<string, string>,
): AuthChallenge[] {
  const list = challenges.length > 0 ? challenges : [{ scheme: 'Bearer', params: {} }];
  return list.map((c) =>
    c.scheme.toLowerCase() === 'bearer' ? { scheme: c.scheme, params: { ...c.params, ...extra } } : c,
  );
}
