/**
 * The SDK v2 conformance fixture: one `createMcpHandler` endpoint (public API of @modelcontextprotocol/server
 * only) with every tool, resource and prompt the 2026-07-28 server scenarios of
 * @modelcontextprotocol/conformance call by name. 2025-era traffic is served by the SDK's stateless fallback.
 *
 * The scenario that needs a given entry is named next to it; the names and argument keys are the suite's.
 */
import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type CreateMcpHandlerOptions,
  createMcpHandler,
  createRequestStateCodec,
  type GetPromptResult,
  type InputRequests,
  type InputRequiredResult,
  inputRequired,
  type McpHttpHandler,
  McpServer,
  type ReadResourceResult,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';

/** A 1×1 PNG and a minimal WAV file, base64. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

type State = Record<string, unknown>;
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
/** An elicitation asking for one required field. */
const askFor = (message: string, field: string, type: 'string' | 'boolean' = 'string') =>
  inputRequired.elicit({
    message,
    requestedSchema:
      type === 'string'
        ? { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] }
        : { type: 'object', properties: { [field]: { type: 'boolean' } }, required: [field] },
  });
const askName = (message = 'What is your name?') => askFor(message, 'name');
const askConfirm = () => askFor('Please confirm', 'ok', 'boolean');
const samplingText = (responses: unknown, key: string): string | undefined => {
  const entry = (responses as Record<string, { content?: { text?: unknown } }> | undefined)?.[key];
  return typeof entry?.content?.text === 'string' ? entry.content.text : undefined;
};
const rootsOf = (responses: unknown, key: string): unknown[] | undefined => {
  const entry = (responses as Record<string, { roots?: unknown }> | undefined)?.[key];
  return Array.isArray(entry?.roots) ? entry.roots : undefined;
};

/** Content tools (tools-call-* scenarios) and the diagnostic tools of server-stateless. */
function registerContentTools(server: McpServer, notifier: () => McpHttpHandler['notify']): void {
  const noArgs = { inputSchema: z.object({}) };
  server.registerTool('test_simple_text', { description: 'Returns one text block' }, async () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool('test_image_content', { description: 'Returns one PNG image block' }, async () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns one WAV audio block' }, async () => ({
    content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }],
  }));
  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded resource' },
    async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'Embedded resource text.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and resource blocks' },
    async () => ({
      content: [
        { type: 'text', text: 'Mixed content:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_error_handling',
    { description: 'Always fails (isError)', ...noArgs },
    async () => {
      throw new Error('This tool intentionally returns an error for testing');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50, 100 when given a token', ...noArgs },
    async (_args, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        for (const progress of [0, 50, 100]) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `step ${progress}` },
          });
          if (progress < 100) await new Promise((resolve) => setTimeout(resolve, 30));
        }
      }
      return text(String(progressToken ?? 'no progress token'));
    },
  );
  // server-stateless: -32021 when the envelope lacks the sampling capability this tool asks for.
  server.registerTool(
    'test_missing_capability',
    { description: 'Needs the sampling client capability', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      if (ctx.mcpReq.inputResponses?.answer !== undefined) return text('sampling answered');
      return inputRequired({
        inputRequests: {
          answer: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Say pong' } }],
            maxTokens: 16,
          }),
        },
      });
    },
  );
  server.registerTool('test_streaming_elicitation', { description: 'Plain result', ...noArgs }, async () =>
    text('result frames only'),
  );
  server.registerTool(
    'test_logging_tool',
    { description: 'Logs through the request (gated on _meta logLevel)', ...noArgs },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran');
      return text('logged');
    },
  );
  server.registerTool(
    'test_trigger_tool_change',
    { description: 'Publishes tools/list_changed', ...noArgs },
    async () => {
      notifier().toolsChanged();
      return text('tools list change published');
    },
  );
  server.registerTool(
    'test_trigger_prompt_change',
    { description: 'Publishes prompts/list_changed', ...noArgs },
    async () => {
      notifier().promptsChanged();
      return text('prompts list change published');
    },
  );
}

type Codec = ReturnType<typeof createRequestStateCodec<State>>;

/** Single-round input-required tools (input-required-result-basic-*, -capability-check and friends). */
function registerSingleRoundTools(server: McpServer): void {
  const noArgs = { inputSchema: z.object({}) };
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for a name (elicitation)', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'user_name')?.name;
      if (typeof name !== 'string') return inputRequired({ inputRequests: { user_name: askName() } });
      return text(`Hello, ${name}!`);
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks for a completion (sampling)', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const answer = samplingText(ctx.mcpReq.inputResponses, 'capital_question');
      if (answer !== undefined) return text(`Sampling response: ${answer}`);
      return inputRequired({
        inputRequests: {
          capital_question: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
            maxTokens: 100,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks for the client roots', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const roots = rootsOf(ctx.mcpReq.inputResponses, 'client_roots');
      if (!roots) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`The client exposed ${roots.length} root(s)`);
    },
  );
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks only for what the declared client capabilities cover', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      if (ctx.mcpReq.inputResponses !== undefined) return text('declared inputs received');
      // The envelope's declared capabilities, read by the SDK's key (its exported type is opaque here).
      const envelope = ctx.mcpReq.envelope as Record<string, Record<string, unknown> | undefined> | undefined;
      const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY];
      const inputRequests: InputRequests = {};
      if (declared?.elicitation !== undefined) inputRequests.user_name = askName();
      if (declared?.sampling !== undefined)
        inputRequests.greeting = inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Write a greeting' } }],
          maxTokens: 50,
        });
      if (declared?.roots !== undefined) inputRequests.client_roots = inputRequired.listRoots();
      if (Object.keys(inputRequests).length === 0) return text('no declared capability takes input');
      return inputRequired({ inputRequests });
    },
  );
}

/** Input-required tools that carry a sealed requestState across rounds. */
function registerStatefulTools(server: McpServer, codec: Codec): void {
  const noArgs = { inputSchema: z.object({}) };
  const mint = (payload: State) => codec.mint({ ...payload, nonce: crypto.randomUUID() });
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Round-trips a sealed requestState', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm');
      const state = ctx.mcpReq.requestState<State>();
      if (confirmed !== undefined && state?.tool === 'request_state') return text('state-ok');
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await mint({ tool: 'request_state' }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for elicitation, sampling and roots at once', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const responses = ctx.mcpReq.inputResponses;
      const name = acceptedContent<{ name: string }>(responses, 'user_name')?.name;
      const greeting = samplingText(responses, 'greeting');
      const roots = rootsOf(responses, 'client_roots');
      if (typeof name === 'string' && greeting !== undefined && roots)
        return text(`${greeting} ${name} (${roots.length} root(s))`);
      return inputRequired({
        inputRequests: {
          user_name: askName(),
          greeting: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
            maxTokens: 50,
          }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await mint({ tool: 'multiple_inputs' }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Two elicitation rounds; the round lives in the sealed state', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const state = ctx.mcpReq.requestState<State>();
      const round = state?.tool === 'multi_round' && typeof state.round === 'number' ? state.round : 0;
      const responses = ctx.mcpReq.inputResponses;
      if (round === 0)
        return inputRequired({
          inputRequests: { step1: askName('Step 1: What is your name?') },
          requestState: await mint({ tool: 'multi_round', round: 1 }),
        });
      if (round === 1) {
        const name = acceptedContent<{ name: string }>(responses, 'step1')?.name ?? 'unknown';
        return inputRequired({
          inputRequests: {
            step2: askFor('Step 2: What is your favorite color?', 'color'),
          },
          requestState: await mint({ tool: 'multi_round', round: 2, name }),
        });
      }
      const color = acceptedContent<{ color: string }>(responses, 'step2')?.color ?? 'unknown';
      return text(`${String(state?.name ?? 'unknown')} likes ${color}`);
    },
  );
  // A tampered state never reaches this handler: the codec's verify hook refuses it with -32602.
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Refuses a requestState that fails verification', ...noArgs },
    async (_args, ctx): Promise<CallToolResult | InputRequiredResult> => {
      if (ctx.mcpReq.requestState() !== undefined && acceptedContent(ctx.mcpReq.inputResponses, 'confirm'))
        return text('integrity-ok');
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await mint({ tool: 'tampered_state' }),
      });
    },
  );
}

function registerResources(server: McpServer): void {
  const staticText = (uri: string, body: string): ReadResourceResult => ({
    contents: [{ uri, mimeType: 'text/plain', text: body }],
  });
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    async () => staticText('test://static-text', 'This is the content of the static text resource.'),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static PNG resource', mimeType: 'image/png' },
    async () => ({ contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG_BASE64 }] }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'A template with one parameter', mimeType: 'application/json' },
    async (uri, variables) => ({
      contents: [
        {
          uri: uri.toString(),
          mimeType: 'application/json',
          text: JSON.stringify({
            id: variables.id,
            templateTest: true,
            data: `Data for ID: ${variables.id}`,
          }),
        },
      ],
    }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource to subscribe to', mimeType: 'text/plain' },
    async () => staticText('test://watched-resource', 'Watched resource content'),
  );
}

function registerPrompts(server: McpServer): void {
  const user = (content: GetPromptResult['messages'][number]['content']) => ({
    role: 'user' as const,
    content,
  });
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, async () => ({
    messages: [user({ type: 'text', text: 'This is a simple prompt for testing.' })],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two arguments',
      argsSchema: z.object({ arg1: z.string(), arg2: z.string() }),
    },
    async ({ arg1, arg2 }) => ({
      messages: [user({ type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` })],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string() }) },
    async ({ resourceUri }) => ({
      messages: [
        user({
          type: 'resource',
          resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded text.' },
        }),
        user({ type: 'text', text: 'Please process the embedded resource above.' }),
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, async () => ({
    messages: [
      user({ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }),
      user({ type: 'text', text: 'Please describe the image above.' }),
    ],
  }));
  // input-required-result-non-tool-request: prompts/get may ask for input too.
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'Asks for context before rendering' },
    async (ctx): Promise<GetPromptResult | InputRequiredResult> => {
      const responses = (ctx as ServerContext).mcpReq.inputResponses;
      const context = acceptedContent<{ context: string }>(responses, 'user_context')?.context;
      if (typeof context === 'string')
        return { messages: [user({ type: 'text', text: `Use this context: ${context}` })] };
      return inputRequired({
        inputRequests: {
          user_context: askFor('What context should the prompt use?', 'context'),
        },
      });
    },
  );
}

/**
 * Creates the fixture endpoint. Each request gets a fresh `McpServer` from the factory; the requestState key lives
 * as long as the handler, so a state minted in one round verifies in the next.
 */
export function createFixtureHandlerV2(options: CreateMcpHandlerOptions = {}): McpHttpHandler {
  const codec = createRequestStateCodec<State>({ key: crypto.getRandomValues(new Uint8Array(32)) });
  let handler: McpHttpHandler | undefined;
  const notifier = () => {
    if (!handler) throw new Error('the fixture handler is not ready');
    return handler.notify;
  };
  const factory = () => {
    const server = new McpServer(
      { name: 'warden-conformance-fixture-v2', version: '1.0.0' },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          prompts: { listChanged: true },
          logging: {},
          completions: {},
        },
        requestState: { verify: codec.verify },
      },
    );
    registerContentTools(server, notifier);
    registerSingleRoundTools(server);
    registerStatefulTools(server, codec);
    registerResources(server);
    registerPrompts(server);
    server.server.setRequestHandler('completion/complete', async () => ({
      completion: { values: [], total: 0, hasMore: false },
    }));
    return server;
  };
  handler = createMcpHandler(factory, options);
  return handler;
}
