/**
 * Re-exports for `bench/src/oauth.bench.ts`: the bench package has its own dependencies, and comparing against the
 * very `jose` and MCP SDK copies this package uses keeps the comparison fair. Not part of the public API.
 */

export { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
export { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
export { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
export { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
