export type { Cipher, DecryptOptions, EncryptOptions } from './cipher.js';
export {
  type KeygenOptions,
  type KeygenResult,
  type KeyLocation,
  keygen,
  type ReencryptCommandOptions,
  type ReencryptCommandResult,
  type RotateOptions,
  type RotateResult,
  reencrypt,
  rotate,
} from './commands.js';
export {
  DATA_DIR_FILES,
  type DataDirKeys,
  type OpenDataDirKeysOptions,
  openDataDirKeys,
} from './data-dir.js';
export { type CryptoContext, encodeContext } from './encoding.js';
export {
  type EncryptedNamespace,
  EncryptedStore,
  type EncryptedStoreOptions,
  MAX_STORE_VALUE_BYTES,
  type StoredRow,
} from './encrypted-store.js';
export {
  DEFAULT_MASTER_KEYS_ENV,
  EnvelopeCipher,
  envKeyProvider,
  fileKeyProvider,
  type KeyProvider,
  keyRingKeyProvider,
} from './envelope.js';
export { CRYPTO_ERROR_CODES, CryptoError, type CryptoErrorCode, type CryptoErrorOptions } from './errors.js';
export { type SealingEventSinkOptions, sealingEventSink } from './event-sealing.js';
export {
  type CiphertextInfo,
  encodeCiphertextText,
  FORMAT_VERSION,
  inspectCiphertext,
  isCiphertextText,
  TEXT_PREFIX,
} from './format.js';
export {
  DEFAULT_KDF_PARAMS,
  type KdfParams,
  keyFileInfo,
  type ReadKeyFileOptions,
  readKeyFile,
  type WriteKeyFileOptions,
  writeKeyFile,
} from './key-file.js';
export { KeyRing, type KeyRingEntry, newKeyId } from './key-ring.js';
export {
  CRYPTO_CAPABILITY,
  CRYPTO_SERVICE,
  type CryptoPluginOptions,
  cryptoOptionsSchema,
  cryptoPlugin,
  DEFAULT_PASSPHRASE_ENV,
} from './plugin.js';
export {
  type ReencryptOptions,
  type ReencryptProgress,
  type ReencryptReport,
  reencryptStore,
} from './reencrypt-job.js';
export {
  type CryptoService,
  type CryptoServiceOptions,
  createCryptoService,
  cryptoFailedEvent,
} from './service.js';
export { constantTimeEqual, loadSodium } from './sodium.js';
