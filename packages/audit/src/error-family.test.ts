import { runErrorFamilyTests, thrownBy } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as audit from './index.js';

let deep: unknown = 1;
for (let i = 0; i < 600; i++) deep = [deep];

runErrorFamilyTests({
  name: '@mcp-warden/audit',
  exports: audit,
  codes: audit.AUDIT_ERROR_CODES,
  samples: { NotCanonicalError: () => thrownBy(() => audit.canonicalJson(deep)) },
});

describe('audit errors', () => {
  it('a read-only store on a missing file is refused with AUDIT_STORE_MISSING', () => {
    const error = thrownBy(
      () => new audit.SqliteAuditStore({ path: '/nonexistent/audit.db', readonly: true }),
    );
    expect(error).toMatchObject({ code: audit.AUDIT_ERROR_CODES.STORE_MISSING, name: 'ConfigError' });
  });

  it('NotCanonicalError keeps its name and says the limit, not the value', () => {
    const error = thrownBy(() => audit.canonicalJson(deep)) as Error;
    expect(error).toBeInstanceOf(audit.NotCanonicalError);
    expect(error.name).toBe('NotCanonicalError');
    expect(error.message).toBe('value nested deeper than 512');
  });
});
