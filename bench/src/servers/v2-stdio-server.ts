// The bench's SDK v2 echo server over stdio: the upstream a gateway spawns (`mcp-warden gateway -- node …`) and the
// server an SDK client spawns directly, so both sides of the stdio comparison run the same program.
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { echoServer } from './echo-server.ts';

await echoServer().connect(new StdioServerTransport());
