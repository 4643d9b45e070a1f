import { z } from 'zod';
import { serverConfigSchema } from './config.js';

/** Plugin sections as editors see them: the switch is typed, the rest is each plugin's own options (see its README). */
const PLUGIN_SECTIONS: Record<string, { description: string; enabledByDefault: boolean }> = {
  apikeyAuth: {
    description: 'API keys (@mcp-warden/apikey-auth): prefix, header, bootstrapAdminKey, pepperEnv',
    enabledByDefault: true,
  },
  oauth: {
    description:
      'OAuth 2.1 resource server (@mcp-warden/oauth): issuer, jwksUri or introspection, scopes per tool',
    enabledByDefault: false,
  },
  acl: {
    description: 'Access policy (@mcp-warden/acl): policyFile (default <dataDir>/policy.yaml), watch, mode',
    enabledByDefault: true,
  },
  validation: {
    description: 'Argument validation (@mcp-warden/validation): limits, tools, prompts',
    enabledByDefault: true,
  },
  sanitize: {
    description: 'Sanitizing (@mcp-warden/sanitize): input, output, tools, rule modes',
    enabledByDefault: true,
  },
  ratelimit: {
    description: 'Rate limits (@mcp-warden/ratelimit): store, rules, bruteForce',
    enabledByDefault: true,
  },
  crypto: { description: 'Encryption at rest (@mcp-warden/crypto): passphraseEnv', enabledByDefault: true },
  toolPinning: {
    description:
      'Tool pinning (@mcp-warden/tool-pinning): storeFile (default <dataDir>/tool-pins.db), upstream, trustOnFirstUse, detectShadowing, mode',
    enabledByDefault: false,
  },
};

/** The JSON Schema of the reference server's config file (written to config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(serverConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  > & {
    properties: Record<string, unknown>;
  };
  schema.properties.plugins = {
    type: 'object',
    description: 'Per-plugin settings. Each section takes "enabled" plus the options in the plugin README.',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(PLUGIN_SECTIONS).map(([name, { description, enabledByDefault }]) => [
        name,
        {
          type: 'object',
          description,
          properties: { enabled: { type: 'boolean', default: enabledByDefault } },
          additionalProperties: true,
        },
      ]),
    ),
  };
  return { title: 'MCP Warden reference server configuration', ...schema };
}
