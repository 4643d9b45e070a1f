export { loadConfig, serverConfigSchema, ServerConfigError, type ServerConfig } from './config.js';
export { createDemoServer } from './demo-server.js';
export { NotesStore } from './notes-store.js';
export { ReferenceServer, type ReferenceServerOptions } from './reference-server.js';
