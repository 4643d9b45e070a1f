/**
 * The credential rule set. Formats are taken from each vendor's public documentation of its token prefixes and
 * lengths; where a format has no prefix, the rule needs a key name next to the value (`aws_secret_access_key=…`).
 * Every pattern uses bounded quantifiers only (see pattern-rule.ts for the linear-time argument).
 */
import { type PatternContext, type PatternRule, shannonEntropy } from './pattern-rule.js';

/** Left boundary: not glued to a preceding token character. */
const B = '(?<![A-Za-z0-9_-])';
/** Right boundary. */
const E = '(?![A-Za-z0-9_-])';
/** An assignment between a key name and its value: optional quote, `=`, `:`, `:=` or `=>`, optional quote. */
const ASSIGN = String.raw`["']?\s{0,3}(?::=|=>|[:=])\s{0,3}["']?`;

function re(source: string, flags = 'g'): RegExp {
  return new RegExp(source, flags);
}

interface Spec {
  id: string;
  title: string;
  anchors?: readonly string[];
  anchorsCI?: readonly string[];
  prefilter?: RegExp;
  pattern?: string;
  /** Source of a sticky regex tried at each anchor position (see PatternRule.at). */
  at?: string;
  back?: number;
  flags?: string;
  group?: number;
  validate?: PatternRule['validate'];
  find?: PatternRule['find'];
}

function secret(spec: Spec): PatternRule {
  const rule: {
    -readonly [K in keyof PatternRule]: PatternRule[K];
  } = { id: spec.id, title: spec.title, category: 'secrets', action: 'redact' };
  if (spec.anchors) rule.anchors = spec.anchors;
  if (spec.anchorsCI) rule.anchorsCI = spec.anchorsCI;
  if (spec.at !== undefined) rule.at = re(spec.at, spec.flags ?? (spec.group === undefined ? 'y' : 'yd'));
  if (spec.back !== undefined) rule.back = spec.back;
  if (spec.prefilter) rule.prefilter = spec.prefilter;
  if (spec.pattern !== undefined)
    rule.pattern = re(spec.pattern, spec.flags ?? (spec.group === undefined ? 'g' : 'gd'));
  if (spec.group !== undefined) rule.group = spec.group;
  if (spec.validate) rule.validate = spec.validate;
  if (spec.find) rule.find = spec.find;
  return rule;
}

/** A simple prefixed token: `<prefix><class>{min,max}` with boundaries on both sides. */
function prefixed(id: string, title: string, prefixes: readonly string[], body: string): PatternRule {
  const alternatives = prefixes.map(escapeRegExp).join('|');
  // Tried at each occurrence of a prefix (a sticky regex), never as a scan of the whole text.
  return secret({ id, title, anchors: prefixes, at: `${B}(?:${alternatives})${body}${E}` });
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const PLACEHOLDER =
  /^(?:x{3,}|\*{3,}|\.{3,}|<[^>]{0,64}>|\$\{[^}]{0,64}\}|\{\{[^}]{0,64}\}\}|%\([^)]{0,64}\)s|changeme|password|secret|example|redacted|null|none|undefined|true|false)$/i;
const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]{0,80}(?:\??\.[A-Za-z_$][\w$]{0,80}){1,8}[!?]?$/;

/** True for values that are clearly not a literal secret: placeholders, variables, member paths. */
export function looksLikePlaceholder(value: string): boolean {
  return (
    PLACEHOLDER.test(value) ||
    value.startsWith('$') ||
    value.startsWith('%') ||
    value.startsWith('[REDACTED:') ||
    IDENTIFIER_PATH.test(value)
  );
}

/** A generic secret value: long and varied enough, mixes character classes, not a placeholder. */
export function isLikelySecretValue(value: string, ctx: PatternContext): boolean {
  if (value.length < 8 || looksLikePlaceholder(value)) return false;
  const digit = /[0-9]/.test(value);
  const lower = /[a-z]/.test(value);
  const upper = /[A-Z]/.test(value);
  const symbol = /[^A-Za-z0-9]/.test(value);
  if (!((digit && (lower || upper)) || (lower && upper && symbol))) return false;
  return shannonEntropy(value) >= ctx.entropyThreshold;
}

function notPlaceholder(value: string): boolean {
  return /[A-Za-z0-9]/.test(value) && !looksLikePlaceholder(value);
}

// --- PEM private keys: a hand-written scanner (the body can be many KB; no bounded regex fits it cleanly) ---

const PEM_HEADER = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const PEM_FOOTER = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
const PEM_MAX_BODY = 64 * 1024;

function isPemBodyChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2b ||
    c === 0x2f ||
    c === 0x3d || // + / =
    c === 0x20 ||
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d || // whitespace
    c === 0x5c ||
    c === 0x3a ||
    c === 0x2c ||
    c === 0x2d // \ (JSON-escaped newlines) : , - (encrypted-key headers)
  );
}

/** Finds PEM private-key blocks; a block without its footer is redacted through the end of its body. */
export function findPrivateKeys(text: string, emit: (start: number, end: number) => void): void {
  let from = 0;
  let endFrom = -1;
  let endAt = -1;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin === -1) return;
    PEM_HEADER.lastIndex = begin;
    if (!PEM_HEADER.test(text)) {
      from = begin + 11;
      continue;
    }
    const bodyStart = PEM_HEADER.lastIndex;
    // Memoised search for the next footer: each footer search covers fresh text only.
    if (!(endFrom !== -1 && bodyStart >= endFrom && (endAt === -1 || endAt >= bodyStart))) {
      endFrom = bodyStart;
      endAt = text.indexOf('-----END ', bodyStart);
    }
    if (endAt !== -1 && endAt - bodyStart <= PEM_MAX_BODY) {
      PEM_FOOTER.lastIndex = endAt;
      if (PEM_FOOTER.test(text)) {
        emit(begin, PEM_FOOTER.lastIndex);
        from = PEM_FOOTER.lastIndex;
        continue;
      }
    }
    let k = bodyStart;
    const limit = Math.min(text.length, bodyStart + PEM_MAX_BODY);
    while (k < limit && isPemBodyChar(text.charCodeAt(k)) && !text.startsWith('-----', k)) k++;
    emit(begin, k);
    from = k;
  }
}

function basicCredential(value: string): boolean {
  try {
    const decoded = Buffer.from(value, 'base64').toString('latin1');
    return decoded.includes(':') && !looksLikePlaceholder(value);
  } catch {
    return false;
  }
}

/**
 * The built-in secret rules, most specific first (on overlapping matches at one position the earlier rule's
 * id is used).
 */
export const SECRET_RULES: readonly PatternRule[] = [
  // --- Private keys and tokens with their own structure ---
  secret({
    id: 'private-key',
    title: 'PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP)',
    anchors: ['-----BEGIN '],
    find: findPrivateKeys,
  }),
  secret({
    id: 'jwt',
    title: 'JSON Web Token (JWS compact serialization)',
    anchors: ['eyJ'],
    at: `${B}eyJ[A-Za-z0-9_-]{8,4096}\\.eyJ[A-Za-z0-9_-]{2,16384}\\.[A-Za-z0-9_-]{0,2048}${E}`,
  }),

  // --- mcp-warden's own API keys ---
  // Format of @mcp-warden/apikey-auth (key-format.ts): `mcpw_` + 32 base62 random characters + 6 base62 CRC32.
  prefixed(
    'mcp-warden-api-key',
    'MCP Warden API key (mcpw_ + 38 base62 characters)',
    ['mcpw_'],
    '[0-9A-Za-z]{38}',
  ),

  // --- AWS ---
  secret({
    id: 'aws-access-key-id',
    title: 'AWS access key id (long-term and temporary)',
    anchors: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    at: `(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])`,
  }),
  secret({
    id: 'aws-secret-access-key',
    title: 'AWS secret access key (next to its key name)',
    anchorsCI: ['secret_access', 'secretaccess', 'aws_secret', 'awssecret'],
    at: `(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)${ASSIGN}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])`,
    flags: 'iyd',
    group: 1,
  }),
  secret({
    id: 'aws-session-token',
    title: 'AWS session token (next to its key name)',
    anchorsCI: [
      'aws_session_token',
      'awssessiontoken',
      'aws_sessiontoken',
      'awssession_token',
      'x-amz-security-token',
    ],
    at: `(?:aws_?session_?token|x-amz-security-token)${ASSIGN}([A-Za-z0-9/+=]{100,4096})`,
    flags: 'iyd',
    group: 1,
  }),

  // --- Google Cloud ---
  prefixed('gcp-api-key', 'Google API key', ['AIza'], '[0-9A-Za-z_-]{35}'),
  prefixed('gcp-oauth-client-secret', 'Google OAuth client secret', ['GOCSPX-'], '[0-9A-Za-z_-]{28}'),
  prefixed('google-oauth-access-token', 'Google OAuth access token', ['ya29.'], '[0-9A-Za-z_-]{30,2048}'),
  prefixed('google-oauth-refresh-token', 'Google OAuth refresh token', ['1//0'], '[0-9A-Za-z_-]{40,512}'),
  secret({
    id: 'gcp-service-account-key-id',
    title: 'Google service-account key id (private_key_id in a key file)',
    anchors: ['"private_key_id"'],
    at: String.raw`"private_key_id"\s{0,3}:\s{0,3}"([0-9a-f]{40})"`,
    group: 1,
  }),

  // --- Azure ---
  secret({
    id: 'azure-storage-account-key',
    title: 'Azure storage account key in a connection string',
    anchors: ['AccountKey='],
    at: 'AccountKey=([A-Za-z0-9+/]{86}==)',
    group: 1,
  }),
  secret({
    id: 'azure-shared-access-key',
    title: 'Azure Service Bus / Event Hubs / IoT Hub shared access key',
    anchors: ['SharedAccessKey='],
    at: 'SharedAccessKey=([A-Za-z0-9+/]{42,44}=)',
    group: 1,
  }),
  secret({
    id: 'azure-sas-signature',
    title: 'Azure shared access signature (sig= of a SAS URL)',
    anchors: ['sig='],
    back: 1,
    at: '[?&]sig=([A-Za-z0-9%+/=]{40,160})(?![A-Za-z0-9%+/=])',
    group: 1,
  }),
  secret({
    id: 'azure-ad-client-secret',
    title: 'Microsoft Entra ID (Azure AD) client secret',
    anchors: ['Q~'],
    back: 4,
    at: '(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])',
  }),

  // --- Code hosts ---
  prefixed('github-pat', 'GitHub personal access token (classic)', ['ghp_'], '[A-Za-z0-9]{36}'),
  prefixed('github-oauth-token', 'GitHub OAuth access token', ['gho_'], '[A-Za-z0-9]{36}'),
  prefixed('github-user-token', 'GitHub App user-to-server token', ['ghu_'], '[A-Za-z0-9]{36}'),
  prefixed(
    'github-server-token',
    'GitHub App installation (server-to-server) token',
    ['ghs_'],
    '[A-Za-z0-9]{36}',
  ),
  prefixed('github-refresh-token', 'GitHub App refresh token', ['ghr_'], '[A-Za-z0-9]{36,76}'),
  prefixed(
    'github-fine-grained-pat',
    'GitHub fine-grained personal access token',
    ['github_pat_'],
    '[A-Za-z0-9]{22}_[A-Za-z0-9]{59}',
  ),
  prefixed('gitlab-pat', 'GitLab personal/project/group access token', ['glpat-'], '[0-9A-Za-z_-]{20,64}'),
  prefixed('gitlab-pipeline-trigger-token', 'GitLab pipeline trigger token', ['glptt-'], '[0-9a-f]{40}'),
  prefixed('gitlab-runner-token', 'GitLab runner authentication token', ['glrt-'], '[0-9A-Za-z_-]{20,64}'),
  prefixed(
    'gitlab-token',
    'GitLab deploy, OAuth app, CI job, incoming mail, agent, SCIM, feature-flag or feed token',
    ['gldt-', 'gloas-', 'glcbt-', 'glimt-', 'glagent-', 'glsoat-', 'glffct-', 'glft-'],
    '[0-9A-Za-z_-]{20,80}',
  ),
  prefixed('bitbucket-app-password', 'Bitbucket app password', ['ATBB'], '[A-Za-z0-9]{28,40}'),
  prefixed(
    'bitbucket-access-token',
    'Bitbucket repository/workspace access token',
    ['ATCTT3'],
    '[A-Za-z0-9_=-]{150,300}',
  ),
  prefixed(
    'atlassian-api-token',
    'Atlassian (Jira, Confluence) API token',
    ['ATATT3'],
    '[A-Za-z0-9_=-]{150,300}',
  ),

  // --- Chat ---
  prefixed('slack-bot-token', 'Slack bot token', ['xoxb-'], '[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{20,40}'),
  prefixed(
    'slack-user-token',
    'Slack user token',
    ['xoxp-'],
    '[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{28,40}',
  ),
  prefixed(
    'slack-legacy-token',
    'Slack legacy workspace, app or session token',
    ['xoxa-', 'xoxo-', 'xoxr-', 'xoxs-'],
    '[0-9A-Za-z-]{20,200}',
  ),
  prefixed(
    'slack-config-token',
    'Slack app configuration access/refresh token',
    ['xoxe.xoxb-', 'xoxe.xoxp-', 'xoxe-'],
    '[0-9]-[A-Za-z0-9]{100,300}',
  ),
  prefixed(
    'slack-app-token',
    'Slack app-level token',
    ['xapp-'],
    '[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{64}',
  ),
  secret({
    id: 'slack-webhook-url',
    title: 'Slack incoming webhook / workflow URL',
    anchors: ['hooks.slack.com/'],
    pattern: 'https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{20,160}',
  }),
  secret({
    id: 'discord-bot-token',
    title: 'Discord bot token',
    // The first part is the base64 of a numeric user id, so it starts with one of these pairs ("1…" → "MT", …).
    anchors: ['MT', 'Mj', 'Mz', 'ND', 'NT', 'Nj', 'Nz', 'OD', 'OT'],
    at: `${B}[MNO][A-Za-z0-9_-]{23,27}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,40}${E}`,
  }),
  secret({
    id: 'discord-webhook-url',
    title: 'Discord webhook URL',
    anchors: ['/api/webhooks/'],
    pattern:
      'https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,72}',
  }),
  secret({
    id: 'telegram-bot-token',
    title: 'Telegram bot token',
    anchors: [':AA'],
    // Tried at ":AA" with the numeric bot id checked behind it; the secret part after the colon is redacted.
    at: `(?<=(?<![0-9])[0-9]{8,10}):AA[0-9A-Za-z_-]{33}${E}`,
  }),

  // --- Payments ---
  prefixed(
    'stripe-secret-key',
    'Stripe secret key (live or test)',
    ['sk_live_', 'sk_test_'],
    '[0-9A-Za-z]{24,247}',
  ),
  prefixed('stripe-restricted-key', 'Stripe restricted key', ['rk_live_', 'rk_test_'], '[0-9A-Za-z]{24,247}'),
  secret({
    id: 'stripe-webhook-secret',
    title: 'Stripe webhook signing secret',
    anchors: ['whsec_'],
    at: `${B}whsec_[0-9A-Za-z+/=]{32,100}(?![0-9A-Za-z+/=])`,
  }),
  prefixed(
    'square-token',
    'Square access token or OAuth secret',
    ['sq0atp-', 'sq0csp-'],
    '[0-9A-Za-z_-]{22,60}',
  ),
  secret({
    id: 'braintree-access-token',
    title: 'PayPal Braintree access token',
    anchors: ['access_token$production$'],
    at: 'access_token\\$production\\$[0-9a-z]{16}\\$[0-9a-f]{32}',
  }),
  secret({
    id: 'twilio-api-key',
    title: 'Twilio API key SID',
    anchors: ['SK'],
    at: '(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])',
  }),
  secret({
    id: 'twilio-auth-token',
    title: 'Twilio auth token (next to its key name)',
    anchorsCI: ['twilio'],
    at: `twilio[A-Za-z0-9_ -]{0,20}auth[_ -]?token${ASSIGN}([0-9a-f]{32})(?![0-9a-f])`,
    flags: 'iyd',
    group: 1,
  }),

  // --- E-mail services ---
  prefixed('sendgrid-api-key', 'SendGrid API key', ['SG.'], '[0-9A-Za-z_-]{22}\\.[0-9A-Za-z_-]{43}'),
  prefixed('mailgun-api-key', 'Mailgun API key (key-…)', ['key-'], '[0-9a-f]{32}'),
  secret({
    id: 'mailchimp-api-key',
    title: 'Mailchimp API key',
    anchors: ['-us'],
    back: 32,
    at: `${B}[0-9a-f]{32}-us[0-9]{1,2}${E}`,
  }),

  // --- AI providers ---
  secret({
    id: 'openai-api-key',
    title: 'OpenAI API key (user, project, service account, admin)',
    anchors: ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'T3BlbkFJ'],
    pattern: `${B}(?:sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})${E}`,
  }),
  prefixed(
    'anthropic-api-key',
    'Anthropic API or admin key',
    ['sk-ant-'],
    '(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,120}',
  ),
  prefixed(
    'huggingface-token',
    'Hugging Face user or organization token',
    ['hf_', 'api_org_'],
    '[A-Za-z0-9]{34}',
  ),
  prefixed('groq-api-key', 'Groq API key', ['gsk_'], '[A-Za-z0-9]{48,56}'),
  prefixed('replicate-api-token', 'Replicate API token', ['r8_'], '[A-Za-z0-9]{37}'),
  prefixed('perplexity-api-key', 'Perplexity API key', ['pplx-'], '[A-Za-z0-9]{48}'),
  prefixed('xai-api-key', 'xAI API key', ['xai-'], '[A-Za-z0-9]{70,90}'),

  // --- Package registries and containers ---
  prefixed('npm-token', 'npm access token', ['npm_'], '[A-Za-z0-9]{36}'),
  secret({
    id: 'npmrc-auth-token',
    title: 'npm/yarn registry _authToken setting',
    anchors: ['_authToken'],
    at: `_authToken\\s{0,3}=\\s{0,3}["']?([A-Za-z0-9._~+/=-]{20,512})`,
    group: 1,
  }),
  prefixed('pypi-token', 'PyPI API token', ['pypi-AgEIcHlwaS5vcmc'], '[A-Za-z0-9_-]{50,1000}'),
  prefixed(
    'docker-hub-token',
    'Docker Hub personal or organization access token',
    ['dckr_pat_', 'dckr_oat_'],
    '[A-Za-z0-9_-]{27,64}',
  ),
  prefixed('rubygems-api-key', 'RubyGems API key', ['rubygems_'], '[0-9a-f]{48}'),
  prefixed('nuget-api-key', 'NuGet API key', ['oy2'], '[a-z0-9]{43}'),

  // --- Commerce, SaaS and infrastructure ---
  prefixed(
    'shopify-access-token',
    'Shopify admin, custom-app or private-app access token',
    ['shpat_', 'shpca_', 'shppa_'],
    '[a-fA-F0-9]{32}',
  ),
  prefixed('shopify-shared-secret', 'Shopify app shared secret', ['shpss_'], '[a-fA-F0-9]{32}'),
  prefixed(
    'digitalocean-token',
    'DigitalOcean personal, OAuth or refresh token',
    ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    '[a-f0-9]{64}',
  ),
  prefixed(
    'hashicorp-vault-token',
    'HashiCorp Vault service, batch or recovery token',
    ['hvs.', 'hvb.', 'hvr.'],
    '[A-Za-z0-9_-]{24,256}',
  ),
  secret({
    id: 'terraform-cloud-token',
    title: 'Terraform Cloud / HCP Terraform API token',
    anchors: ['.atlasv1.'],
    back: 14,
    at: `${B}[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,90}${E}`,
  }),
  prefixed('heroku-api-key', 'Heroku API key (HRKU- format)', ['HRKU-'], '[A-Za-z0-9_-]{60}'),
  prefixed('new-relic-api-key', 'New Relic user API key', ['NRAK-'], '[A-Z0-9]{27}'),
  secret({
    id: 'sentry-auth-token',
    title: 'Sentry organization or user auth token',
    anchors: ['sntrys_', 'sntryu_'],
    at: `${B}sntry[su]_[A-Za-z0-9+/=_]{40,400}(?![A-Za-z0-9+/=_])`,
  }),
  prefixed('linear-api-key', 'Linear API key', ['lin_api_'], '[A-Za-z0-9]{40}'),
  secret({
    id: 'notion-token',
    title: 'Notion integration token',
    anchors: ['ntn_', 'secret_'],
    at: `${B}(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})${E}`,
  }),
  prefixed('postman-api-key', 'Postman API key', ['PMAK-'], '[a-f0-9]{24}-[a-f0-9]{34}'),
  prefixed(
    'age-secret-key',
    'age encryption secret key',
    ['AGE-SECRET-KEY-1'],
    '[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
  ),
  prefixed(
    'grafana-token',
    'Grafana service-account or cloud token',
    ['glsa_', 'glc_'],
    '[A-Za-z0-9_+/]{32,400}={0,2}',
  ),
  prefixed(
    'doppler-token',
    'Doppler token',
    ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'],
    '[A-Za-z0-9]{40,44}',
  ),
  prefixed('databricks-token', 'Databricks personal access token', ['dapi'], '[a-f0-9]{32}(?:-[0-9]{1,2})?'),
  prefixed(
    'planetscale-token',
    'PlanetScale service token or password',
    ['pscale_tkn_', 'pscale_pw_', 'pscale_oauth_'],
    '[A-Za-z0-9_-]{32,64}',
  ),
  prefixed('supabase-access-token', 'Supabase personal access token', ['sbp_'], '[a-f0-9]{40}'),

  // --- Credentials in URLs, headers and connection strings ---
  secret({
    id: 'database-url-password',
    title: 'Password in a database connection URL (Postgres, MySQL, MongoDB, Redis, AMQP, MSSQL, JDBC, …)',
    anchors: ['://'],
    // Tried at each "://", with the scheme checked behind it.
    at: '(?<=(?<![A-Za-z0-9+.-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|jdbc:[a-z]{2,12})):\\/\\/[^\\s:@/]{0,128}:([^\\s@/]{1,256})@',
    group: 1,
    validate: notPlaceholder,
  }),
  secret({
    id: 'url-password',
    title: 'Password in an http(s), ftp, ws, ldap, smtp or git URL (user:password@host)',
    anchors: ['://'],
    at: '(?<=(?<![A-Za-z0-9+.-])(?:https?|ftps?|wss?|ldaps?|smtps?|git\\+https?|ssh)):\\/\\/[^\\s:@/]{1,128}:([^\\s@/]{1,256})@',
    group: 1,
    validate: notPlaceholder,
  }),
  secret({
    id: 'connection-string-password',
    title: 'Password in an ADO.NET / ODBC style connection string (Server=…;Password=…)',
    anchorsCI: ['password', 'pwd'],
    prefilter: /(?:server|data source|host|uid|user id)\s{0,2}=/i,
    at: String.raw`(?<=^|[;"'\s])(?:password|pwd)\s{0,2}=\s{0,2}([^;"'\s]{1,256})(?=;|["'\s]|$)`,
    flags: 'iyd',
    group: 1,
    validate: notPlaceholder,
  }),
  secret({
    id: 'authorization-bearer',
    title: 'Bearer token (Authorization header or "Bearer <token>")',
    anchors: ['Bearer ', 'bearer '],
    at: String.raw`(?<![A-Za-z])[Bb]earer\s{1,3}([A-Za-z0-9._~+/-]{16,4096}={0,2})(?![A-Za-z0-9._~+/=-])`,
    group: 1,
    validate: (value, ctx) =>
      /[0-9]/.test(value) &&
      !PLACEHOLDER.test(value) &&
      !value.startsWith('$') &&
      shannonEntropy(value) >= ctx.entropyThreshold,
  }),
  secret({
    id: 'authorization-basic',
    title: 'HTTP Basic credentials (Authorization: Basic …)',
    anchors: ['Basic '],
    at: String.raw`(?<![A-Za-z])Basic\s{1,3}([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])`,
    group: 1,
    validate: basicCredential,
  }),

  // --- Generic assignments (last: every specific rule wins over it) ---
  secret({
    id: 'generic-secret',
    title: 'Generic password / secret / token / API key assignment with a high-entropy value',
    // Tried at each occurrence of the last word of a key name (`DB_PASSWORD`, `client_secret`, `api_key`, …).
    anchorsCI: ['pass', 'pwd', 'secret', 'token', 'key'],
    at: String.raw`(?:passw(?:or)?d|passphrase|pwd|secret|key|token)${ASSIGN}([^\s"'\x60<>()[\]{},;]{8,200})`,
    flags: 'iyd',
    group: 1,
    validate: isLikelySecretValue,
  }),
];
