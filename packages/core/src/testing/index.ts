/**
 * The MCP Warden test kit: build a warden from plugins, talk to it with the real MCP SDK client (in memory or over
 * Streamable HTTP), fake principals, and the contract suite every plugin package runs against itself.
 */
export { type PluginContractOptions, runPluginContractTests } from './contract.js';
export {
  codeMapProblems,
  type ErrorFamilyOptions,
  errorFamilyProblems,
  exportedErrorClasses,
  runErrorFamilyTests,
} from './error-family.js';
export {
  connectHttpClient,
  connectTestClient,
  fakePrincipal,
  startTestHttpServer,
  type TestClient,
  type TestHttpServer,
} from './kit.js';
export { CONTRACT_TOOL_PAGES, pagedToolsServer } from './paged-server.js';
export {
  referenceExpand,
  referenceMatchAlternative,
  referencePatternMatch,
} from './pattern-reference.js';
export { MODERN_REQUEST_META, postJsonRpc, postModernJsonRpc } from './post-json-rpc.js';
export { pluginSetupContext } from './setup-context.js';
export { configErrorMessage, thrownBy } from './thrown.js';
