import { constants, existsSync } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import { PathValidationError, VALIDATION_ERROR_CODES, type ValidationErrorCode } from '../errors.js';
import { createSafePath, type SafePathChecker, type SafePathOptions } from './safe-path.js';

/**
 * How to open: `r` read, `r+` read/write, `w` write (create or truncate), `wx` create a new file (fails if it
 * exists), `a` append (create if missing).
 */
export type OpenSafeFlags = 'r' | 'r+' | 'w' | 'wx' | 'a';

export interface OpenSafeOptions {
  /** @default 'r' */
  flags?: OpenSafeFlags;
  /** File mode for created files. @default 0o600 */
  mode?: number;
}

export interface SafeFileHandle {
  /** The open file. The caller closes it (`await handle.close()`, or `await using`). */
  handle: FileHandle;
  /** The real path that was checked and opened. */
  path: string;
}

// O_TRUNC is never passed to open(): truncating happens only after the opened file has been verified, so a file
// swapped in during the race is never truncated.
const FLAG_BITS: Record<OpenSafeFlags, number> = {
  r: constants.O_RDONLY,
  'r+': constants.O_RDWR,
  w: constants.O_WRONLY | constants.O_CREAT,
  wx: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
  a: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
};

/** `O_NOFOLLOW` (the last component must not be a symlink) and `O_NONBLOCK` (a FIFO cannot hang the open), where they exist. */
const SAFETY_BITS = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Linux (and some others) expose the path of an open descriptor under /proc/self/fd. */
const HAS_PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

const OPEN_ERRORS: Record<string, [ValidationErrorCode, string]> = {
  ENOENT: [VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'the path does not exist'],
  ENOTDIR: [VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'a component of the path is not a directory'],
  EISDIR: [VALIDATION_ERROR_CODES.PATH_NOT_A_FILE, 'the path is not a regular file'],
  ENXIO: [VALIDATION_ERROR_CODES.PATH_NOT_A_FILE, 'the path is not a regular file'],
  EEXIST: [VALIDATION_ERROR_CODES.PATH_INVALID, 'the file already exists'],
  // With O_NOFOLLOW, ELOOP means the checked real path became a symbolic link: the tree changed.
  ELOOP: [VALIDATION_ERROR_CODES.PATH_CHANGED, 'the path changed while it was being opened'],
  EMLINK: [VALIDATION_ERROR_CODES.PATH_CHANGED, 'the path changed while it was being opened'],
  EACCES: [VALIDATION_ERROR_CODES.PATH_ACCESS_DENIED, 'the path cannot be accessed'],
  EPERM: [VALIDATION_ERROR_CODES.PATH_ACCESS_DENIED, 'the path cannot be accessed'],
};

/**
 * Opens a path that {@link safePath} already returned, and proves the opened file is still that path inside the
 * root: opened with `O_NOFOLLOW`, then on Linux the descriptor's own path (`/proc/self/fd/N`) is read back and
 * compared; elsewhere the path is resolved again and its device/inode compared with the descriptor's `fstat`.
 * Any difference closes the file and throws `PathValidationError` (`PATH_CHANGED`).
 *
 * @example
 * const real = await checkPath(args.path);
 * const { handle } = await openWithin(real, checkPath);
 */
export async function openWithin(
  realPath: string,
  checker: SafePathChecker,
  options: OpenSafeOptions = {},
): Promise<SafeFileHandle> {
  const flags = options.flags ?? 'r';
  const fail = (code: ValidationErrorCode, message: string, reason?: string): never => {
    throw new PathValidationError({
      code,
      message,
      pointer: checker.options.pointer,
      reason: reason && `${code}: ${reason}`,
    });
  };
  const fold = (s: string): string => (checker.caseSensitive ? s : s.toLowerCase());
  let handle: FileHandle;
  try {
    handle = await open(realPath, FLAG_BITS[flags] | SAFETY_BITS, options.mode ?? 0o600);
  } catch (error) {
    const errno = errnoOf(error) ?? 'unknown';
    const [code, message] = OPEN_ERRORS[errno] ?? [
      VALIDATION_ERROR_CODES.PATH_INVALID,
      'the path cannot be opened',
    ];
    return fail(code, message, `open failed with ${errno}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) fail(VALIDATION_ERROR_CODES.PATH_NOT_A_FILE, 'the path is not a regular file');
    if (HAS_PROC_FD) {
      const actual = await readlink(`/proc/self/fd/${handle.fd}`);
      const root = checker.root.endsWith('/') ? checker.root : `${checker.root}/`;
      if (fold(actual) !== fold(realPath) || !fold(actual).startsWith(fold(root))) {
        fail(
          VALIDATION_ERROR_CODES.PATH_CHANGED,
          'the path changed while it was being opened',
          'the opened descriptor is not the checked file',
        );
      }
    } else {
      // No descriptor path to read back: resolve the path again and check it is still the same inode.
      const again = await realpath(realPath);
      const current = await stat(again);
      if (fold(again) !== fold(realPath) || current.ino !== st.ino || current.dev !== st.dev) {
        fail(
          VALIDATION_ERROR_CODES.PATH_CHANGED,
          'the path changed while it was being opened',
          'the opened inode is not the checked file',
        );
      }
    }
    if (flags === 'w') await handle.truncate(0);
    return { handle, path: realPath };
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (PathValidationError.is(error)) throw error;
    const errno = errnoOf(error) ?? 'unknown';
    return fail(
      VALIDATION_ERROR_CODES.PATH_CHANGED,
      'the path changed while it was being opened',
      `verification failed with ${errno}`,
    );
  }
}

/**
 * Checks a user-supplied path like {@link safePath} and opens it without the check-to-open race escaping the root
 * (see {@link openWithin}). Pass the options, or a checker from `createSafePath` to reuse it.
 *
 * @example
 * const { handle, path } = await openSafe(args.path, { root: '/srv/notes', mustExist: true });
 * try { return await handle.readFile('utf8'); } finally { await handle.close(); }
 */
export async function openSafe(
  input: unknown,
  options: (SafePathOptions & OpenSafeOptions) | SafePathChecker,
  openOptions: OpenSafeOptions = {},
): Promise<SafeFileHandle> {
  const checker = typeof options === 'function' ? options : cachedChecker(options);
  const merged: OpenSafeOptions =
    typeof options === 'function'
      ? openOptions
      : { flags: options.flags, mode: options.mode, ...openOptions };
  const real = await checker(input);
  return openWithin(real, checker, merged);
}

const checkers = new WeakMap<SafePathOptions, SafePathChecker>();
function cachedChecker(options: SafePathOptions & OpenSafeOptions): SafePathChecker {
  let checker = checkers.get(options);
  if (!checker) {
    const { flags: _flags, mode: _mode, ...pathOptions } = options;
    checker = createSafePath(pathOptions);
    checkers.set(options, checker);
  }
  return checker;
}
