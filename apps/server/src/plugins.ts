import type { SecurityEventBus, WardenPlugin } from '@mcp-warden/core';
import type { ServerConfig } from './config.js';
import type { SandboxResolver } from './demo-server.js';
import type { NoteCodec } from './notes-store.js';

/** What plugin wiring can contribute to the reference server besides plugins. */
export interface PluginWiring {
  plugins: WardenPlugin[];
  /** Replaces the built-in sandbox resolver (the validation plugin's `safePath`). */
  resolveInSandbox?: SandboxResolver;
  /** Seals note bodies at rest (the crypto plugin). */
  noteCodec?: NoteCodec;
  /** Runs once the warden exists (e.g. to print a bootstrap key). */
  afterStart?: (events: SecurityEventBus) => Promise<void> | void;
  close?: () => Promise<void> | void;
}

export interface WiringContext {
  config: ServerConfig;
  dataDir: string;
  /** The canonical URL of the MCP endpoint. */
  resourceUrl: URL;
  /** Prints operator-facing lines (stderr under stdio). */
  log: (line: string) => void;
  /** True when the data directory was empty at start. */
  firstStart: boolean;
}

/** Builds the plugins the configuration enables. */
export async function wirePlugins(_ctx: WiringContext): Promise<PluginWiring> {
  return { plugins: [] };
}
