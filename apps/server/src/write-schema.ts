// Regenerates config.schema.json (`pnpm --filter @mcp-warden/server schema`); a test checks it is current.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from './config-schema.js';

writeFileSync(
  new URL('../config.schema.json', import.meta.url),
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
);
