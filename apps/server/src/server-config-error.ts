/** Thrown for a configuration that cannot be used; the message says what and where (the CLI exits with 2). */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}
