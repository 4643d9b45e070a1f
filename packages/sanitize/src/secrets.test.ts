import { describe, expect, it } from 'vitest';
import { sanitizeText } from './engine.js';
import { compileRules } from './rules.js';
import { PW, SECRET_VECTORS as V } from './secret-vectors.js';
import { SECRET_RULES } from './secrets.js';
import { gen, k } from './test-helpers.js';

const rules = compileRules();

describe('secret rules', () => {
  it('cover at least 50 credential formats, each with positive and negative vectors', () => {
    expect(SECRET_RULES.length).toBeGreaterThanOrEqual(50);
    for (const rule of SECRET_RULES) {
      const vectors = V[rule.id];
      expect(vectors, `vectors for ${rule.id}`).toBeDefined();
      expect(vectors?.positive.length, rule.id).toBeGreaterThan(0);
      expect(vectors?.negative.length, rule.id).toBeGreaterThan(0);
    }
    expect(new Set(SECRET_RULES.map((r) => r.id)).size).toBe(SECRET_RULES.length);
  });

  for (const [id, vectors] of Object.entries(V)) {
    describe(id, () => {
      it('redacts the positive vectors as [REDACTED:<id>]', () => {
        for (const [text, secret] of vectors.positive) {
          const result = sanitizeText(text, rules);
          expect(result.text, text).toContain(`[REDACTED:${id}]`);
          expect(result.text, text).not.toContain(secret);
          expect(result.counts.some((c) => c.rule === id && c.enforced)).toBe(true);
          // Findings never carry the secret.
          expect(JSON.stringify(result.findings)).not.toContain(secret);
        }
      });
      it('leaves the negative vectors alone', () => {
        for (const text of vectors.negative) {
          const result = sanitizeText(text, rules);
          expect(
            result.counts.filter((c) => c.rule === id),
            text,
          ).toEqual([]);
        }
      });
    });
  }

  it('redacts only the value of key/value rules and keeps the key', () => {
    expect(sanitizeText(`DB_PASSWORD=${PW}`, rules).text).toBe('DB_PASSWORD=[REDACTED:generic-secret]');
    expect(sanitizeText(`postgres://app:${PW}@db:5432/x`, rules).text).toBe(
      'postgres://app:[REDACTED:database-url-password]@db:5432/x',
    );
  });

  it('honours the entropy threshold of generic-secret', () => {
    const text = 'password: abcd1234';
    expect(sanitizeText(text, compileRules([], { entropyThreshold: 2.5 })).text).toBe(
      'password: [REDACTED:generic-secret]',
    );
    expect(sanitizeText(text, compileRules([], { entropyThreshold: 3.5 })).text).toBe(text);
  });

  it('redacts several secrets in one text and keeps the rest byte for byte', () => {
    const a = k('gh', 'p_', gen(36));
    const b = k('AKIA', 'IOSFODNN7EXAMPLE');
    const text = `first ${a}, then ${b}.\nDone.`;
    expect(sanitizeText(text, rules).text).toBe(
      'first [REDACTED:github-pat], then [REDACTED:aws-access-key-id].\nDone.',
    );
  });
});
