import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, WardenError } from '@mcp-warden/core';
import { runErrorFamilyTests, thrownBy } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import * as config from './config.js';
import * as errors from './errors.js';
import * as upstreamConfig from './gateway/upstream-config.js';
import * as server from './index.js';
import * as integrity from './integrity.js';

const { SERVER_ERROR_CODES: CODES } = errors;
/** A `${VAR}` template naming a variable no environment has. */
const MISSING_VARIABLE = ['$', '{NOT_SET_ANYWHERE}'].join('');

/** A zero-byte SQLite store: refused by the integrity check before anything opens it. */
function damagedStore(): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'warden-integrity-'));
  writeFileSync(join(dir, 'keys.db'), '');
  return thrownBy(() =>
    integrity.checkSqliteStores(dir, [{ file: 'keys.db', tables: ['api_keys'], lose: 'every API key' }]),
  );
}

// Every module that exports an error class, together: each class needs a sample made the way the server makes it.
runErrorFamilyTests({
  name: '@mcp-warden/server',
  exports: { ...server, ...config, ...errors, ...integrity, ...upstreamConfig },
  codes: CODES,
  samples: {
    ServerConfigError: () => thrownBy(() => config.loadConfig({ configFile: '/nonexistent/warden.yaml' })),
    UpstreamConfigError: () =>
      thrownBy(() => upstreamConfig.expandTemplate(MISSING_VARIABLE, {}, 'upstream "u"')),
    DataDirIntegrityError: damagedStore,
    ToolCommandError: () => new errors.ToolCommandError('the pin store has no tools yet.'),
  },
});

describe('server errors', () => {
  it('configuration errors are core ConfigErrors (the CLI exits 2 for them); the rest are WardenErrors', () => {
    const upstream = thrownBy(() => upstreamConfig.expandTemplate(MISSING_VARIABLE, {}, 'upstream "u"'));
    expect(upstream).toBeInstanceOf(config.ServerConfigError);
    expect(upstream).toBeInstanceOf(ConfigError);
    expect(upstream).toMatchObject({ name: 'UpstreamConfigError', code: CODES.UPSTREAM_CONFIG_INVALID });
    expect((upstream as Error).message).toBe(
      'upstream "u" names the environment variable NOT_SET_ANYWHERE, which is not set.',
    );
    const damaged = damagedStore();
    expect(WardenError.isInstance(damaged)).toBe(true);
    expect(damaged).not.toBeInstanceOf(config.ServerConfigError);
    expect(damaged).toMatchObject({ name: 'DataDirIntegrityError', code: CODES.DATA_DIR_INTEGRITY });
  });
});
