/**
 * Positive and negative vectors of every secret rule, shared by the rule tests and the linear-time tests.
 * Credential prefixes are assembled at run time; none of these is a real credential.
 */
import { ALNUM, B32, B64, DIGITS, gen, HEX, k, LOWER, UPPER, URL64 } from './test-helpers.js';

/** A positive vector: the text, and the secret that must be gone from the output. */
export type Positive = [text: string, secret: string];
export interface Vectors {
  positive: Positive[];
  negative: string[];
}

const inline = (secret: string): Positive => [`token for the job: ${secret} (rotate monthly)`, secret];
export const PW = 'Zx9!kP2qL7vR';
const pem = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----`;
const rsaBody = gen(600, B64, 3);

export const SECRET_VECTORS: Record<string, Vectors> = {
  'private-key': {
    positive: [
      [`key:\n${pem('RSA PRIVATE KEY', rsaBody)}\nthanks`, rsaBody.slice(0, 64)],
      [pem('OPENSSH PRIVATE KEY', rsaBody), rsaBody.slice(64, 128)],
      [
        `{"private_key": "-----BEGIN PRIVATE KEY-----\\n${rsaBody.slice(0, 128)}\\n-----END PRIVATE KEY-----\\n"}`,
        rsaBody.slice(0, 64),
      ],
      [`-----BEGIN EC PRIVATE KEY-----\n${rsaBody.slice(0, 120)}`, rsaBody.slice(0, 64)],
      [pem('PGP PRIVATE KEY BLOCK', rsaBody), rsaBody.slice(0, 64)],
    ],
    negative: [pem('PUBLIC KEY', rsaBody), pem('CERTIFICATE', rsaBody), 'a line -----BEGIN nothing'],
  },
  jwt: {
    positive: [
      inline(
        k('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.', gen(43, URL64)),
      ),
    ],
    negative: ['eyJhbGciOiJIUzI1NiJ9 alone', 'eyJ.eyJ.x', `x${k('eyJhbGciOiJIUzI1NiJ9', '.', 'abc')}`],
  },
  'mcp-warden-api-key': {
    positive: [inline(k('mcpw', '_', gen(38)))],
    negative: ['mcpw_short', k('mcpw_', gen(37)), k('mcpw_', gen(39)), k('xmcpw_', gen(38))],
  },
  'aws-access-key-id': {
    positive: [inline(k('AKIA', 'IOSFODNN7EXAMPLE')), inline(k('ASIA', gen(16, B32)))],
    negative: [k('AKIA', 'IOSFODNN7EXAMPL'), k('XAKIA', 'IOSFODNN7EXAMPLE'), k('AKIA', 'IOSFODNN7EXAMPLE1')],
  },
  'aws-secret-access-key': {
    positive: [
      [`aws_secret_access_key = ${gen(40, B64, 11)}`, gen(40, B64, 11)],
      [`AWS_SECRET_ACCESS_KEY="${gen(40, B64, 12)}"`, gen(40, B64, 12)],
      [`"SecretAccessKey": "${gen(40, B64, 13)}"`, gen(40, B64, 13)],
    ],
    negative: [`aws_secret_access_key = ${gen(39, B64)}`, `the secret key is ${gen(40, B64)}`],
  },
  'aws-session-token': {
    positive: [[`aws_session_token=${gen(300, B64)}`, gen(300, B64)]],
    negative: ['aws_session_token=short'],
  },
  'gcp-api-key': { positive: [inline(k('AI', 'za', gen(35, URL64)))], negative: [k('AI', 'za', gen(20))] },
  'gcp-oauth-client-secret': {
    positive: [inline(k('GOCSPX', '-', gen(28, URL64)))],
    negative: [k('GOCSPX', '-', gen(10))],
  },
  'google-oauth-access-token': {
    positive: [inline(k('ya29', '.', gen(100, URL64)))],
    negative: ['ya29.short'],
  },
  'google-oauth-refresh-token': { positive: [inline(k('1//0', gen(60, URL64)))], negative: ['1//0abc'] },
  'gcp-service-account-key-id': {
    positive: [[`"private_key_id": "${gen(40, HEX)}"`, gen(40, HEX)]],
    negative: ['"private_key_id": "abc"'],
  },
  'azure-storage-account-key': {
    positive: [
      [
        `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${gen(86, B64)}==;EndpointSuffix=core.windows.net`,
        gen(86, B64),
      ],
    ],
    negative: ['AccountKey=short=='],
  },
  'azure-shared-access-key': {
    positive: [
      [
        `Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${gen(43, B64)}=`,
        gen(43, B64),
      ],
    ],
    negative: ['SharedAccessKey=abc='],
  },
  'azure-sas-signature': {
    positive: [
      [`https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=${gen(43, B64)}%3D`, gen(43, B64)],
    ],
    negative: ['https://example.com/?sig=abc'],
  },
  'azure-ad-client-secret': { positive: [inline(k('abc8', 'Q~', gen(34)))], negative: ['abc8Q~short'] },
  'github-pat': {
    positive: [inline(k('gh', 'p_', gen(36)))],
    negative: [k('gh', 'p_', gen(35)), k('gh', 'p_', gen(37))],
  },
  'github-oauth-token': { positive: [inline(k('gh', 'o_', gen(36)))], negative: [k('gh', 'o_', gen(30))] },
  'github-user-token': { positive: [inline(k('gh', 'u_', gen(36)))], negative: [k('gh', 'u_', gen(30))] },
  'github-server-token': { positive: [inline(k('gh', 's_', gen(36)))], negative: [k('gh', 's_', gen(30))] },
  'github-refresh-token': { positive: [inline(k('gh', 'r_', gen(76)))], negative: [k('gh', 'r_', gen(30))] },
  'github-fine-grained-pat': {
    positive: [inline(k('github', '_pat_', gen(22), '_', gen(59)))],
    negative: [k('github', '_pat_', gen(22))],
  },
  'gitlab-pat': { positive: [inline(k('gl', 'pat-', gen(20, URL64)))], negative: [k('gl', 'pat-', gen(10))] },
  'gitlab-pipeline-trigger-token': {
    positive: [inline(k('gl', 'ptt-', gen(40, HEX)))],
    negative: [k('gl', 'ptt-', gen(39, HEX))],
  },
  'gitlab-runner-token': { positive: [inline(k('gl', 'rt-', gen(20, URL64)))], negative: ['glrt-abc'] },
  'gitlab-token': {
    positive: [inline(k('gl', 'dt-', gen(20, URL64))), inline(k('gl', 'cbt-', gen(30, URL64)))],
    negative: ['gldt-abc'],
  },
  'bitbucket-app-password': {
    positive: [inline(k('AT', 'BB', gen(32)))],
    negative: [k('AT', 'BB', gen(10))],
  },
  'bitbucket-access-token': {
    positive: [inline(k('ATCTT', '3', gen(180, URL64)))],
    negative: [k('ATCTT', '3', gen(50))],
  },
  'atlassian-api-token': {
    positive: [inline(k('ATATT', '3', gen(186, URL64)))],
    negative: [k('ATATT', '3', gen(50))],
  },
  'slack-bot-token': {
    positive: [inline(k('xo', 'xb-', gen(11, DIGITS), '-', gen(13, DIGITS), '-', gen(24)))],
    negative: ['xoxb-123-456-abc'],
  },
  'slack-user-token': {
    positive: [
      inline(k('xo', 'xp-', gen(11, DIGITS), '-', gen(11, DIGITS), '-', gen(13, DIGITS), '-', gen(32, HEX))),
    ],
    negative: ['xoxp-1-2-3-4'],
  },
  'slack-legacy-token': { positive: [inline(k('xo', 'xs-', gen(30), '-', gen(10)))], negative: ['xoxs-abc'] },
  'slack-config-token': {
    positive: [inline(k('xoxe', '.xoxp-1-', gen(150))), inline(k('xo', 'xe-1-', gen(140)))],
    negative: ['xoxe-1-short'],
  },
  'slack-app-token': {
    positive: [
      inline(k('xa', 'pp-1-', gen(11, `${UPPER}${DIGITS}`), '-', gen(13, DIGITS), '-', gen(64, HEX))),
    ],
    negative: ['xapp-1-ABC-123-abc'],
  },
  'slack-webhook-url': {
    positive: [
      inline(k('https://hooks.', 'slack.com/services/T', gen(8, UPPER), '/B', gen(8, UPPER), '/', gen(24))),
    ],
    negative: ['https://hooks.slack.com/services/', 'https://api.slack.com/apps'],
  },
  'discord-bot-token': {
    positive: [inline(k('MT', gen(24, URL64), '.', gen(6, URL64), '.', gen(38, URL64)))],
    negative: ['MTabc.def.ghi', 'Mr. Smith went to Washington.'],
  },
  'discord-webhook-url': {
    positive: [inline(k('https://discord.com/api/', 'webhooks/', gen(18, DIGITS), '/', gen(68, URL64)))],
    negative: ['https://discord.com/api/webhooks/123/abc'],
  },
  'telegram-bot-token': {
    positive: [inline(k('1', gen(9, DIGITS), ':AA', gen(33, URL64)))],
    negative: ['123:AAabc', 'at 10:AA meeting'],
  },
  'stripe-secret-key': {
    positive: [inline(k('sk', '_live_', gen(24))), inline(k('sk', '_test_', gen(99)))],
    negative: [k('sk', '_live_', gen(10)), k('pk', '_live_', gen(24))],
  },
  'stripe-restricted-key': { positive: [inline(k('rk', '_live_', gen(24)))], negative: ['rk_live_abc'] },
  'stripe-webhook-secret': { positive: [inline(k('wh', 'sec_', gen(32)))], negative: ['whsec_abc'] },
  'square-token': {
    positive: [inline(k('sq0', 'atp-', gen(22, URL64))), inline(k('sq0', 'csp-', gen(43, URL64)))],
    negative: ['sq0atp-abc'],
  },
  'braintree-access-token': {
    positive: [inline(k('access_token$', 'production$', gen(16, `${LOWER}${DIGITS}`), '$', gen(32, HEX)))],
    negative: ['access_token$sandbox$abc$def'],
  },
  'twilio-api-key': {
    positive: [inline(k('S', 'K', gen(32, HEX)))],
    negative: [k('SK', gen(31, HEX)), k('ASK', gen(32, HEX)), 'ASK ME ANYTHING'],
  },
  'twilio-auth-token': {
    positive: [[`TWILIO_AUTH_TOKEN=${gen(32, HEX)}`, gen(32, HEX)]],
    negative: ['TWILIO_AUTH_TOKEN=abc'],
  },
  'sendgrid-api-key': {
    positive: [inline(k('S', 'G.', gen(22, URL64), '.', gen(43, URL64)))],
    negative: ['SG.abc.def'],
  },
  'mailgun-api-key': {
    positive: [inline(k('ke', 'y-', gen(32, HEX)))],
    negative: [k('key-', gen(31, HEX)), k('monkey-', gen(32, HEX))],
  },
  'mailchimp-api-key': {
    positive: [inline(k(gen(32, HEX), '-us', '14'))],
    negative: [k(gen(32, HEX), '-uk1')],
  },
  'openai-api-key': {
    positive: [
      inline(k('sk', '-proj-', gen(120, URL64))),
      inline(k('sk-', gen(20), 'T3Blbk', 'FJ', gen(20))),
    ],
    negative: ['sk-proj-short', k('sk-', gen(48))],
  },
  'anthropic-api-key': {
    positive: [inline(k('sk', '-ant-api03-', gen(93, URL64), 'AA'))],
    negative: ['sk-ant-api03-short'],
  },
  'huggingface-token': {
    positive: [inline(k('h', 'f_', gen(34, `${UPPER}${LOWER}`)))],
    negative: [k('hf_', gen(20))],
  },
  'groq-api-key': { positive: [inline(k('gs', 'k_', gen(52)))], negative: ['gsk_short'] },
  'replicate-api-token': { positive: [inline(k('r8', '_', gen(37)))], negative: [k('r8_', gen(36))] },
  'perplexity-api-key': { positive: [inline(k('pp', 'lx-', gen(48)))], negative: ['pplx-short'] },
  'xai-api-key': { positive: [inline(k('xa', 'i-', gen(80)))], negative: [k('xai-', gen(20))] },
  'npm-token': { positive: [inline(k('np', 'm_', gen(36)))], negative: [k('npm_', gen(35))] },
  'npmrc-auth-token': {
    positive: [[`//registry.npmjs.org/:_authToken=${gen(40, `${ALNUM}-`)}`, gen(40, `${ALNUM}-`)]],
    negative: ['//registry.npmjs.org/:_authToken=${NPM_TOKEN}'],
  },
  'pypi-token': {
    positive: [inline(k('pypi-', 'AgEIcHlwaS5vcmc', gen(100, URL64)))],
    negative: [k('pypi-AgEIcHlwaS5vcmc', gen(10))],
  },
  'docker-hub-token': { positive: [inline(k('dckr', '_pat_', gen(27, URL64)))], negative: ['dckr_pat_abc'] },
  'rubygems-api-key': { positive: [inline(k('ruby', 'gems_', gen(48, HEX)))], negative: ['rubygems_abc'] },
  'nuget-api-key': {
    positive: [inline(k('oy', '2', gen(43, `${LOWER}${DIGITS}`)))],
    negative: ['oy2abcdef'],
  },
  'shopify-access-token': {
    positive: [inline(k('shp', 'at_', gen(32, HEX)))],
    negative: [k('shpat_', gen(31, HEX))],
  },
  'shopify-shared-secret': { positive: [inline(k('shp', 'ss_', gen(32, HEX)))], negative: ['shpss_abc'] },
  'digitalocean-token': { positive: [inline(k('dop', '_v1_', gen(64, HEX)))], negative: ['dop_v1_abc'] },
  'hashicorp-vault-token': { positive: [inline(k('hv', 's.', gen(90, URL64)))], negative: ['hvs.abc'] },
  'terraform-cloud-token': {
    positive: [inline(k(gen(14), '.atlas', 'v1.', gen(67, URL64)))],
    negative: ['abc.atlasv1.def'],
  },
  'heroku-api-key': { positive: [inline(k('HR', 'KU-', gen(60, URL64)))], negative: ['HRKU-abc'] },
  'new-relic-api-key': {
    positive: [inline(k('NR', 'AK-', gen(27, `${UPPER}${DIGITS}`)))],
    negative: ['NRAK-abc'],
  },
  'sentry-auth-token': { positive: [inline(k('sntry', 's_', gen(100, ALNUM)))], negative: ['sntrys_abc'] },
  'linear-api-key': { positive: [inline(k('lin', '_api_', gen(40)))], negative: ['lin_api_abc'] },
  'notion-token': {
    positive: [inline(k('nt', 'n_', gen(11, DIGITS), gen(35))), inline(k('sec', 'ret_', gen(43)))],
    negative: ['secret_abc', 'ntn_123'],
  },
  'postman-api-key': {
    positive: [inline(k('PM', 'AK-', gen(24, HEX), '-', gen(34, HEX)))],
    negative: ['PMAK-abc-def'],
  },
  'age-secret-key': {
    positive: [inline(k('AGE-SECRET', '-KEY-1', gen(58, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L')))],
    negative: ['AGE-SECRET-KEY-1ABC'],
  },
  'grafana-token': {
    positive: [inline(k('gl', 'sa_', gen(32), '_', gen(8, HEX))), inline(k('gl', 'c_', gen(80, ALNUM)))],
    negative: ['glsa_abc'],
  },
  'doppler-token': { positive: [inline(k('dp', '.pt.', gen(43)))], negative: ['dp.pt.abc'] },
  'databricks-token': {
    positive: [inline(k('da', 'pi', gen(32, HEX)))],
    negative: [k('dapi', gen(10, HEX))],
  },
  'planetscale-token': {
    positive: [inline(k('pscale', '_tkn_', gen(43, URL64)))],
    negative: ['pscale_tkn_abc'],
  },
  'supabase-access-token': { positive: [inline(k('sb', 'p_', gen(40, HEX)))], negative: ['sbp_abc'] },
  'database-url-password': {
    positive: [
      [`DATABASE_URL=postgres://app:${PW}@db.internal:5432/prod`, PW],
      [`mongodb+srv://u:${PW}@cluster0.x.mongodb.net/db`, PW],
      [`redis://:${PW}@cache:6379/0`, PW],
    ],
    negative: [
      'postgres://db.internal:5432/prod',
      'postgres://app:${DB_PASSWORD}@db/prod',
      'postgres://app@db/prod',
    ],
  },
  'url-password': {
    positive: [[`clone https://admin:${PW}@git.example.com/repo.git`, PW]],
    negative: ['https://example.com:8443/path?user=a@b.c', 'ssh -p 22 deploy@build.internal'],
  },
  'connection-string-password': {
    positive: [[`Server=tcp:db.example.com,1433;Database=app;User Id=sa;Password=${PW};`, PW]],
    negative: [`Password=${PW} without any server`],
  },
  'authorization-bearer': {
    positive: [[`Authorization: Bearer ${gen(40, URL64, 5)}`, gen(40, URL64, 5)]],
    negative: ['the bearer of this letter', 'Bearer token authentication is described in RFC 6750'],
  },
  'authorization-basic': {
    positive: [
      [
        `Authorization: Basic ${Buffer.from(`alice:${PW}`).toString('base64')}`,
        Buffer.from(`alice:${PW}`).toString('base64'),
      ],
    ],
    negative: ['Basic configuration', `Basic ${Buffer.from('nocolonhere').toString('base64')}`],
  },
  'generic-secret': {
    positive: [
      [`password = "${PW}"`, PW],
      [`DB_PASSWORD=${PW}`, PW],
      [`api_key: ${PW}`, PW],
      [`{"client_secret": "${PW}"}`, PW],
    ],
    negative: [
      'password: process.env.DB_PASSWORD',
      'token: string',
      'password = "changeme"',
      'secret: my-secret-volume',
      'password: ${DB_PASSWORD}',
      'const token = await getToken(request)',
      'password_hash: abc',
    ],
  },
};
