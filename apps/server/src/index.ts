export { loadConfig, type ServerConfig, ServerConfigError, serverConfigSchema } from './config.js';
export { createDemoServer } from './demo-server.js';
export {
  DataDirIntegrityError,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
  UpstreamConfigError,
} from './errors.js';
export { NotesStore } from './notes-store.js';
export { ReferenceServer, type ReferenceServerOptions } from './reference-server.js';
