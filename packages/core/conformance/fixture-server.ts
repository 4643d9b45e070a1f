/**
 * The MCP server the conformance suite (`@modelcontextprotocol/conformance` 0.1.16, server scenarios) talks to.
 *
 * Every tool, resource and prompt below is named by a scenario of that suite; the expected texts and shapes come
 * from the scenario descriptions (`conformance list --server`). The server is a plain SDK `McpServer` so that the
 * same instance factory can be served bare and behind MCP Warden.
 */
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, type RegisteredTool, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  ListToolsRequestSchema,
  SubscribeRequestSchema,
  type Tool,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A 1×1 PNG (one opaque pixel), base64. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A valid 8 kHz, 8-bit mono PCM WAV file of 8 samples of silence, base64 (built from the RIFF layout). */
export const WAV_BASE64 = (() => {
  const samples = Buffer.alloc(8, 0x80); // 8-bit PCM is unsigned: 0x80 is silence
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(8000, 24); // sample rate
  header.writeUInt32LE(8000, 28); // byte rate
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]).toString('base64');
})();

/**
 * The input schema `tools/list` must show for `json_schema_2020_12_tool` (SEP-1613: `$schema`, `$defs` and
 * `additionalProperties` survive). The SDK's McpServer renders zod schemas as draft-07, hence the raw listing.
 */
export const JSON_SCHEMA_2020_12_INPUT = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
  },
  additionalProperties: false,
} as const;

export const WATCHED_RESOURCE_URI = 'test://watched-resource';

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

const text = (value: string) => ({ type: 'text' as const, text: value });

/** The schema the plain `test_elicitation` tool asks the user to fill in. */
const CONTACT_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "User's response" },
    email: { type: 'string', description: "User's email address" },
  },
  required: ['username', 'email'],
};

/** SEP-1034: a default value for every primitive type. */
const DEFAULTS_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Full name', default: 'John Doe' },
    age: { type: 'integer', description: 'Age in years', default: 30 },
    score: { type: 'number', description: 'Score', default: 95.5 },
    status: {
      type: 'string',
      description: 'Account status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verified account', default: true },
  },
};

/** SEP-1330: the five enum shapes (untitled/titled single, legacy enumNames, untitled/titled multi). */
const ENUMS_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', description: 'Pick one', enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string',
      description: 'Pick one (titled)',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Pick one (legacy titles)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Pick several',
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Pick several (titled)',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
} as unknown as ElicitRequestFormParams['requestedSchema'];

/** A tool's input schema as McpServer lists it (draft-07 JSON Schema of the zod object; empty object if none). */
function listedSchema(schema: RegisteredTool['inputSchema']): Tool['inputSchema'] {
  if (!schema) return { type: 'object', properties: {} };
  const json = z.toJSONSchema(schema as z.ZodType, { target: 'draft-7', io: 'input' }) as Record<
    string,
    unknown
  >;
  return { ...json, type: 'object' } as Tool['inputSchema'];
}

/**
 * Builds a fresh fixture server (one per session: the SDK connects a server to one transport).
 * @example const server = createFixtureServer(); await server.connect(transport);
 */
export function createFixtureServer(): McpServer {
  const server = new McpServer(
    { name: 'mcp-warden-conformance-fixture', version: '1.0.0' },
    {
      capabilities: { tools: {}, prompts: {}, resources: { subscribe: true }, logging: {}, completions: {} },
    },
  );
  const subscriptions = new Set<string>();
  // Every tool registered through McpServer, kept so that `tools/list` can be answered below (public fields only).
  const tools = new Map<string, RegisteredTool>();
  const registerTool: McpServer['registerTool'] = (name, config, callback) => {
    const registered = server.registerTool(name, config, callback);
    tools.set(name, registered);
    return registered;
  };

  // ---- tools: content types ----
  registerTool('test_simple_text', { description: 'Returns one text item' }, async () => ({
    content: [text('This is a simple text response for testing.')],
  }));
  registerTool('test_image_content', { description: 'Returns one PNG image' }, async () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));
  registerTool('test_audio_content', { description: 'Returns one WAV clip' }, async () => ({
    content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }],
  }));
  registerTool('test_embedded_resource', { description: 'Returns an embedded text resource' }, async () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }));
  registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, an image and a resource' },
    async () => ({
      content: [
        text('Multiple content types test:'),
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: '{"test":"data","value":123}',
          },
        },
      ],
    }),
  );
  registerTool('test_error_handling', { description: 'Always fails with isError' }, async () => ({
    isError: true,
    content: [text('This tool intentionally returns an error for testing')],
  }));

  // ---- tools: in-request notifications (sent on the request's own stream via `extra`) ----
  registerTool(
    'test_tool_with_logging',
    { description: 'Logs three messages while it runs' },
    async (extra) => {
      const steps = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
      for (const [index, message] of steps.entries()) {
        if (index > 0) await pause(50, extra.signal);
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level: 'info', logger: 'fixture', data: message },
        });
      }
      return { content: [text('Tool with logging executed successfully')] };
    },
  );
  registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50, 100 of 100' },
    async (extra) => {
      const token = extra._meta?.progressToken;
      for (const [index, progress] of [0, 50, 100].entries()) {
        if (index > 0) await pause(50, extra.signal);
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: {
              progressToken: token,
              progress,
              total: 100,
              message: `Completed step ${index + 1} of 3`,
            },
          });
        }
      }
      return {
        content: [
          text(
            token === undefined ? 'Done (no progress token given)' : 'Progress reported: 0, 50, 100 of 100',
          ),
        ],
      };
    },
  );

  // ---- tools: server → client requests ----
  registerTool(
    'test_sampling',
    {
      description: 'Asks the client LLM to answer a prompt',
      inputSchema: { prompt: z.string().describe('The prompt to sample') },
    },
    async ({ prompt }, extra) => {
      const answer = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: text(prompt) }], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      const content = Array.isArray(answer.content) ? answer.content[0] : answer.content;
      const reply = content?.type === 'text' ? content.text : `(${content?.type ?? 'no'} content)`;
      return { content: [text(`LLM response: ${reply}`)] };
    },
  );
  registerTool(
    'test_elicitation',
    {
      description: 'Asks the user for a username and an email',
      inputSchema: { message: z.string().describe('What to ask the user') },
    },
    async ({ message }, extra) => {
      const answer = await extra.sendRequest(
        { method: 'elicitation/create', params: { message, requestedSchema: CONTACT_SCHEMA } },
        ElicitResultSchema,
      );
      return {
        content: [
          text(`User response: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`),
        ],
      };
    },
  );
  registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation with default values (SEP-1034)' },
    async (extra) => {
      const answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message: 'Please review your profile (defaults filled in)',
            requestedSchema: DEFAULTS_SCHEMA,
          },
        },
        ElicitResultSchema,
      );
      return {
        content: [
          text(
            `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`,
          ),
        ],
      };
    },
  );
  registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with every enum shape (SEP-1330)' },
    async (extra) => {
      const answer = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: { message: 'Please choose your options', requestedSchema: ENUMS_SCHEMA },
        },
        ElicitResultSchema,
      );
      return {
        content: [
          text(
            `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`,
          ),
        ],
      };
    },
  );

  // ---- tools: SSE polling (SEP-1699) and JSON Schema 2020-12 (SEP-1613) ----
  registerTool(
    'test_reconnection',
    { description: 'Closes its SSE stream mid-call, then answers (resumable transports only)' },
    async (extra) => {
      extra.closeSSEStream?.(); // only offered by a transport with an event store; otherwise the answer comes on the same stream
      await pause(100, extra.signal);
      return {
        content: [text('Reconnection test completed: the result was delivered after the stream was closed.')],
      };
    },
  );
  registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: z
        .object({
          name: z.string().optional(),
          address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional(),
        })
        .strict(),
    },
    async (args) => ({ content: [text(`json_schema_2020_12_tool called with ${JSON.stringify(args)}`)] }),
  );
  // McpServer lists every input schema as draft-07; answer tools/list ourselves so one tool can show its raw
  // 2020-12 schema. Same fields as McpServer's own listing, from the public RegisteredTool fields.
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...tools]
      .filter(([, tool]) => tool.enabled)
      .map(
        ([name, tool]): Tool => ({
          name,
          title: tool.title,
          description: tool.description,
          inputSchema:
            name === 'json_schema_2020_12_tool'
              ? structuredClone(JSON_SCHEMA_2020_12_INPUT)
              : listedSchema(tool.inputSchema),
          annotations: tool.annotations,
          _meta: tool._meta,
        }),
      ),
  }));

  // ---- resources ----
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    async (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static PNG image', mimeType: 'image/png' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
  );
  server.registerResource(
    'watched-resource',
    WATCHED_RESOURCE_URI,
    { description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'text/plain',
          text: `Watched resource (${subscriptions.has(uri.href) ? 'subscribed' : 'not subscribed'})`,
        },
      ],
    }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => ['123', '456', '789'].filter((id) => id.startsWith(value)) },
    }),
    { description: 'Data for an id', mimeType: 'application/json' },
    async (uri, { id }) => {
      const value = Array.isArray(id) ? id.join(',') : String(id);
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: 'application/json',
            text: JSON.stringify({ id: value, templateTest: true, data: `Data for ID: ${value}` }),
          },
        ],
      };
    },
  );
  // McpServer has no subscription API: the low-level server answers these (capability declared above).
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  // ---- prompts ----
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First argument'), (value) =>
          ['test', 'testValue1', 'other'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string().describe('Second argument'),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt that embeds a resource',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: text('Please analyze the image above.') },
    ],
  }));

  return server;
}
