import { realpathSync, statSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '@mcp-warden/core';
import { z } from 'zod';
import { PathValidationError, VALIDATION_ERROR_CODES, type ValidationErrorCode } from '../errors.js';
import { findCharProblem, findEncodedProblem, findWindowsSegmentProblem } from './path-chars.js';

/** Options of {@link safePath} and {@link createSafePath}. */
export interface SafePathOptions {
  /** The directory every path must stay inside. Must exist. Resolved with `realpath` once, when compiled. */
  root: string;
  /**
   * Allowed file-name endings, compared case-insensitively (`'.txt'`, `'md'`, `'.tar.gz'`). Checked on the name the
   * caller gave and on the real file it resolves to. Omit to allow any name.
   */
  allowedExtensions?: readonly string[];
  /** The target must exist. @default false */
  mustExist?: boolean;
  /**
   * The target is about to be created (or overwritten): its parent directory must exist inside the root; the
   * target itself may be missing. @default false
   */
  forCreate?: boolean;
  /**
   * Whether the file system under the root tells `A` from `a`. `'auto'` probes the root once (falls back to the
   * platform default: insensitive on macOS and Windows). On a case-insensitive file system, containment and
   * `deniedNames` compare case-folded. @default 'auto'
   */
  caseSensitive?: boolean | 'auto';
  /** Accept absolute paths that lie inside the root (`/srv/data/a.txt` with root `/srv/data`). @default true */
  allowAbsolute?: boolean;
  /**
   * Path segments refused anywhere under the root, e.g. `['.git', '.env', '.ssh']`. Compared case-folded on
   * case-insensitive file systems. @default []
   */
  deniedNames?: readonly string[];
  /** Longest input accepted, in UTF-16 code units. @default 4096 */
  maxLength?: number;
  /** JSON pointer reported in errors (the plugin sets it to where the path sits in the arguments). @default '' */
  pointer?: string;
}

export const safePathOptionsSchema = z
  .object({
    root: z.string().min(1, 'root must be a non-empty directory path'),
    allowedExtensions: z.array(z.string().min(1)).optional(),
    mustExist: z.boolean().optional(),
    forCreate: z.boolean().optional(),
    caseSensitive: z.union([z.boolean(), z.literal('auto')]).optional(),
    allowAbsolute: z.boolean().optional(),
    deniedNames: z.array(z.string().min(1)).optional(),
    maxLength: z.number().int().positive().max(65_536).optional(),
    pointer: z.string().optional(),
  })
  .refine((o) => !(o.mustExist && o.forCreate), { message: 'mustExist and forCreate cannot both be true' });

/** A compiled path checker: call it with user input, get the real absolute path inside the root. */
export interface SafePathChecker {
  (input: unknown, overrides?: { pointer?: string }): Promise<string>;
  /** The real path of the root. */
  readonly root: string;
  readonly caseSensitive: boolean;
  readonly options: Readonly<SafePathOptions>;
}

const ERRNO_CODES: Record<string, ValidationErrorCode> = {
  ELOOP: VALIDATION_ERROR_CODES.PATH_SYMLINK_LOOP,
  EACCES: VALIDATION_ERROR_CODES.PATH_ACCESS_DENIED,
  EPERM: VALIDATION_ERROR_CODES.PATH_ACCESS_DENIED,
  ENAMETOOLONG: VALIDATION_ERROR_CODES.PATH_INVALID,
};

const ERRNO_MESSAGES: Partial<Record<ValidationErrorCode, string>> = {
  PATH_SYMLINK_LOOP: 'the path contains a symbolic link loop',
  PATH_ACCESS_DENIED: 'the path cannot be accessed',
  PATH_INVALID: 'the path is not valid',
  PATH_NOT_FOUND: 'the path does not exist',
};

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

/** Probes whether the directory `dir` lives on a case-insensitive file system, by looking it up with flipped case. */
function detectCaseSensitivity(dir: string): boolean {
  const parts = dir.split(path.sep);
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] ?? '';
    const flipped = [...part]
      .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
      .join('');
    if (flipped === part) continue;
    const probe = [...parts.slice(0, i), flipped, ...parts.slice(i + 1)].join(path.sep) || path.sep;
    try {
      const a = statSync(dir);
      const b = statSync(probe);
      return !(a.ino === b.ino && a.dev === b.dev);
    } catch {
      return true;
    }
  }
  return !(process.platform === 'darwin' || process.platform === 'win32');
}

function hasExtension(file: string, extensions: readonly string[]): boolean {
  const name = path.basename(file).toLowerCase();
  return extensions.some((ext) => name.length > ext.length && name.endsWith(ext));
}

function normaliseExtension(ext: string): string {
  const lower = ext.normalize('NFC').toLowerCase();
  return lower.startsWith('.') ? lower : `.${lower}`;
}

/**
 * Compiles a path checker for one root: validates the options and resolves the root once (throws `ConfigError`).
 * Prefer this over calling {@link safePath} repeatedly with fresh option objects.
 *
 * @example
 * const checkPath = createSafePath({ root: '/srv/notes', allowedExtensions: ['.md', '.txt'] });
 * const real = await checkPath('drafts/todo.md'); // '/srv/notes/drafts/todo.md', or a PathValidationError
 */
export function createSafePath(options: SafePathOptions): SafePathChecker {
  const parsed = safePathOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(
      `safePath: invalid option ${first?.path.join('.') || '(options)'}: ${first?.message ?? 'invalid'}.`,
    );
  }
  let root: string;
  try {
    root = realpathSync.native(path.resolve(options.root));
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new ConfigError(
      `safePath: root "${options.root}" must be an existing directory; create it or fix the "root" option.`,
    );
  }
  const configuredRoot = path.resolve(options.root);
  const caseSensitive =
    options.caseSensitive === undefined || options.caseSensitive === 'auto'
      ? detectCaseSensitivity(root)
      : options.caseSensitive;
  const fold = (s: string): string => (caseSensitive ? s : s.toLowerCase());
  const extensions = options.allowedExtensions?.map(normaliseExtension);
  const denied = new Set((options.deniedNames ?? []).map((n) => fold(n.normalize('NFC'))));
  const maxLength = options.maxLength ?? 4096;
  const allowAbsolute = options.allowAbsolute ?? true;
  const windows = process.platform === 'win32';

  /** Relative path of `candidate` inside `base` (`''` for the base itself), or `undefined` when outside. */
  const relativeInside = (base: string, candidate: string): string | undefined => {
    const head = candidate.slice(0, base.length);
    if (head !== base && fold(head) !== fold(base)) return undefined;
    if (candidate.length === base.length) return '';
    if (base.endsWith(path.sep)) return candidate.slice(base.length);
    return candidate[base.length] === path.sep ? candidate.slice(base.length + 1) : undefined;
  };

  const check = async (input: unknown, overrides?: { pointer?: string }): Promise<string> => {
    const pointer = overrides?.pointer ?? options.pointer ?? '';
    const fail = (code: ValidationErrorCode, message: string, reason?: string): never => {
      throw new PathValidationError({
        code,
        message,
        pointer,
        reason: reason === undefined ? undefined : `${code}: ${reason}`,
      });
    };
    if (typeof input !== 'string')
      return fail(VALIDATION_ERROR_CODES.PATH_INVALID, 'the path must be a string');
    if (input.length === 0) return fail(VALIDATION_ERROR_CODES.PATH_INVALID, 'the path is empty');
    if (input.length > maxLength)
      return fail(VALIDATION_ERROR_CODES.PATH_INVALID, `the path is longer than ${maxLength} characters`);

    const value = input.normalize('NFC');
    const charProblem = findCharProblem(value);
    if (charProblem) return fail(charProblem.code, charProblem.message);
    if (value.startsWith('//'))
      return fail(VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM, 'network (UNC-style) paths are not allowed');

    const segments = value.split('/');
    for (const segment of segments) {
      if (segment.includes('%')) {
        const encoded = findEncodedProblem(segment);
        if (encoded) return fail(encoded.code, encoded.message);
      }
      if (windows) {
        const win = findWindowsSegmentProblem(segment);
        if (win) return fail(win.code, win.message);
      }
    }

    // Lexical containment first: separator-aware, never a string prefix of the raw input.
    let relative: string | undefined;
    if (path.isAbsolute(value)) {
      if (!allowAbsolute)
        return fail(
          VALIDATION_ERROR_CODES.PATH_ABSOLUTE_NOT_ALLOWED,
          'absolute paths are not allowed; give a path relative to the root',
        );
      const lexical = path.resolve(value);
      relative = relativeInside(root, lexical) ?? relativeInside(configuredRoot, lexical);
    } else {
      relative = relativeInside(root, path.resolve(root, value));
    }
    if (relative === undefined)
      return fail(
        VALIDATION_ERROR_CODES.PATH_OUTSIDE_ROOT,
        'the path is outside the allowed directory',
        'lexically outside the root',
      );
    const target = relative === '' ? root : path.join(root, relative);

    if (relative !== '' && denied.size > 0) {
      for (const segment of relative.split(path.sep)) {
        if (denied.has(fold(segment)))
          return fail(
            VALIDATION_ERROR_CODES.PATH_NAME_DENIED,
            'the path names a file or directory that is not allowed',
          );
      }
    }
    if (extensions && !hasExtension(target, extensions)) {
      return fail(VALIDATION_ERROR_CODES.PATH_EXTENSION_NOT_ALLOWED, 'this file type is not allowed');
    }

    // Real containment: resolve symbolic links of the target (or of its nearest existing ancestor).
    const resolved = await resolveReal(target, fail);
    const realRelative = relativeInside(root, resolved.real);
    if (realRelative === undefined) {
      return fail(
        VALIDATION_ERROR_CODES.PATH_SYMLINK_ESCAPE,
        'the path is outside the allowed directory',
        'a symbolic link leads outside the root',
      );
    }
    if (options.mustExist && !resolved.exists)
      return fail(VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'the path does not exist');
    if (options.forCreate && !resolved.exists && resolved.missing > 1) {
      return fail(VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'the parent directory does not exist');
    }
    if (resolved.real !== target) {
      if (realRelative !== '' && denied.size > 0) {
        for (const segment of realRelative.split(path.sep)) {
          if (denied.has(fold(segment)))
            return fail(
              VALIDATION_ERROR_CODES.PATH_NAME_DENIED,
              'the path names a file or directory that is not allowed',
            );
        }
      }
      if (extensions && !hasExtension(resolved.real, extensions)) {
        return fail(
          VALIDATION_ERROR_CODES.PATH_EXTENSION_NOT_ALLOWED,
          'this file type is not allowed',
          'a symbolic link points to another file type',
        );
      }
    }
    return resolved.real;
  };

  return Object.assign(check, { root, caseSensitive, options: Object.freeze({ ...options }) });
}

interface RealResolution {
  real: string;
  exists: boolean;
  /** How many trailing components do not exist (0 when the target exists). */
  missing: number;
}

/**
 * `realpath` of the target; for a missing target, `realpath` of its nearest existing ancestor with the missing
 * names appended. A missing component that `lstat` can still see is a dangling symbolic link (or a loop): creating
 * through it would land wherever it points, so it is refused.
 */
async function resolveReal(
  target: string,
  fail: (code: ValidationErrorCode, message: string, reason?: string) => never,
): Promise<RealResolution> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const real = await realpath(current);
      if (missing.length === 0) return { real, exists: true, missing: 0 };
      const firstMissing = path.join(current, missing[missing.length - 1] ?? '');
      try {
        const st = await lstat(firstMissing);
        if (st.isSymbolicLink())
          fail(VALIDATION_ERROR_CODES.PATH_DANGLING_SYMLINK, 'the path goes through a broken symbolic link');
        // It exists but realpath said it did not: the tree changed under us.
        fail(VALIDATION_ERROR_CODES.PATH_CHANGED, 'the path changed while it was being checked');
      } catch (error) {
        if (PathValidationError.is(error)) throw error;
        const code = errnoOf(error);
        if (code === 'ENOTDIR')
          fail(VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'a component of the path is not a directory');
        if (code !== 'ENOENT') mapErrno(error, fail);
      }
      return { real: path.join(real, ...[...missing].reverse()), exists: false, missing: missing.length };
    } catch (error) {
      if (PathValidationError.is(error)) throw error;
      const code = errnoOf(error);
      if (code === 'ENOENT') {
        const parent = path.dirname(current);
        if (parent === current) fail(VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'the path does not exist');
        missing.push(path.basename(current));
        current = parent;
        continue;
      }
      if (code === 'ENOTDIR')
        fail(VALIDATION_ERROR_CODES.PATH_NOT_FOUND, 'a component of the path is not a directory');
      mapErrno(error, fail);
    }
  }
}

function mapErrno(
  error: unknown,
  fail: (code: ValidationErrorCode, message: string, reason?: string) => never,
): never {
  const errno = errnoOf(error) ?? 'unknown';
  const code = ERRNO_CODES[errno] ?? VALIDATION_ERROR_CODES.PATH_INVALID;
  return fail(code, ERRNO_MESSAGES[code] ?? 'the path is not valid', `file system error ${errno}`);
}

const checkers = new WeakMap<SafePathOptions, SafePathChecker>();

/**
 * Resolves a user-supplied path against `options.root` and returns its real absolute path, only if it stays inside
 * the root. Throws {@link PathValidationError} for every refused input (and `ConfigError` for bad options).
 *
 * The result is the path to open; opening the caller's original string instead would undo the check. Between
 * this check and the open, the tree can still change: use {@link openSafe} to open with that race closed.
 *
 * @example
 * const file = await safePath(args.path, { root: '/srv/notes', mustExist: true });
 * const text = await readFile(file, 'utf8');
 */
export async function safePath(input: unknown, options: SafePathOptions): Promise<string> {
  let checker = checkers.get(options);
  if (!checker) {
    checker = createSafePath(options);
    checkers.set(options, checker);
  }
  return checker(input);
}
