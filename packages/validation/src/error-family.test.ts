import { tmpdir } from 'node:os';
import { runErrorFamilyTests } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as validation from './index.js';

const { VALIDATION_ERROR_CODES: CODES, PathValidationError, UrlValidationError } = validation;
const codes = (prefix: string) => Object.values(CODES).filter((code) => code.startsWith(prefix));

runErrorFamilyTests({
  name: '@mcp-warden/validation',
  exports: validation,
  codes: CODES,
  samples: {
    PathValidationError: () => codes('PATH_').map((code) => new PathValidationError({ code, message: code })),
    UrlValidationError: () => codes('URL_').map((code) => new UrlValidationError({ code, message: code })),
  },
});

describe('validation errors from the checks themselves', () => {
  it('safePath and safeUrl refuse with a code of the map', async () => {
    const path = await validation.safePath('../etc/passwd', { root: tmpdir() }).catch((e: unknown) => e);
    const url = await validation.safeUrl('http://127.0.0.1/admin').catch((e: unknown) => e);
    expect(PathValidationError.is(path)).toBe(true);
    expect(UrlValidationError.is(url)).toBe(true);
    expect(Object.values(CODES)).toContain((path as InstanceType<typeof PathValidationError>).code);
    expect(Object.values(CODES)).toContain((url as InstanceType<typeof UrlValidationError>).code);
  });
});
