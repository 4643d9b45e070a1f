import { z } from 'zod';

// The plugin sections whose options the reference server reads itself (the plugins check their own sections).

export const cryptoSectionSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Environment variable holding the key-file passphrase (optional; the key file is 0600 either way). */
    passphraseEnv: z.string().default('MCP_WARDEN_KEY_PASSPHRASE'),
  })
  .strict();

export const apiKeySectionSchema = z
  .object({
    enabled: z.boolean().default(true),
    prefix: z.string().default('mcpw'),
    /** Extra header carrying a bare key, or false. */
    header: z.union([z.string(), z.literal(false)]).default('x-api-key'),
    /** Print an admin key once on the first start of an empty data directory. */
    bootstrapAdminKey: z.boolean().default(true),
    /** Used when the crypto plugin is off: the HMAC pepper (≥ 32 bytes) comes from this variable. */
    pepperEnv: z.string().default('MCP_WARDEN_APIKEY_PEPPER'),
  })
  .strict();

/** Any other plugin section: the switch is typed here, the rest is the plugin's own options (checked at start). */
const pluginOptions = z.looseObject({ enabled: z.boolean().optional() });

/** The sections of `plugins`; any other name is an error (a misspelled section would otherwise be ignored). */
export const pluginsSchema = z
  .object({
    apikeyAuth: apiKeySectionSchema.optional(),
    oauth: pluginOptions.optional(),
    acl: pluginOptions.optional(),
    validation: pluginOptions.optional(),
    sanitize: pluginOptions.optional(),
    ratelimit: pluginOptions.optional(),
    crypto: cryptoSectionSchema.optional(),
    toolPinning: pluginOptions.optional(),
  })
  .strict();
