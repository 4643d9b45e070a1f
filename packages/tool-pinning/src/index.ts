export {
  canonicalDefinition,
  canonicalJson,
  fingerprintTool,
  hashCanonical,
  MAX_CANONICAL_LENGTH,
  MAX_DEFINITION_DEPTH,
  PINNED_FIELDS,
  type PinnedField,
  type ToolFingerprint,
} from './canonical.js';
export { diffLines, prettyCanonical, revealHidden, unifiedDiff } from './diff.js';
export {
  DefinitionNotPinnableError,
  PinStoreError,
  type PinStoreErrorCode,
  TOOL_PINNING_ERROR_CODES,
  type ToolPinningErrorCode,
} from './errors.js';
export { checkToolList, type ListCheckOptions, type ListVerdict } from './list-check.js';
export {
  parseToolPinningOptions,
  type ResolvedToolPinningOptions,
  type ToolPinningOptions,
  toolPinningOptionsSchema,
} from './options.js';
export { type ToolPinningPlugin, toolHeldError, toolPinning } from './plugin.js';
export { findShadowedTools, instructionTexts, MIN_SHADOW_NAME_LENGTH, ShadowIndex } from './shadowing.js';
export {
  isCallable,
  MIN_HASH_PREFIX,
  type Observation,
  type ObservedDefinition,
  type PendingDefinition,
  type PendingPin,
  type PendingReason,
  type PinRecord,
  PinStore,
  type PinStoreOptions,
  type ShadowedTool,
} from './store.js';
