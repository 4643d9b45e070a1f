import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Resolves `userPath` inside `root` following symlinks, or throws. The reference server uses the validation
 * plugin's `safePath` when it is enabled; this is the floor without it.
 */
export async function resolveInside(root: string, userPath: string): Promise<string> {
  if (userPath.includes('\0') || isAbsolute(userPath)) throw new Error('Path refused: it must be relative to the sandbox.');
  const realRoot = await realpath(root);
  const target = await realpath(resolve(realRoot, userPath)).catch(() => {
    throw new Error('File not found in the sandbox.');
  });
  const rel = relative(realRoot, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw new Error('Path refused: it leaves the sandbox.');
  return target;
}
