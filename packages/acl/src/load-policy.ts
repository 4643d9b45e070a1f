import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { AccessPolicy } from './access-policy.js';
import { ACL_ERROR_CODES, PolicyError, type PolicyIssue } from './errors.js';

/** Largest policy file read (bytes). */
export const MAX_POLICY_BYTES = 8 * 1024 * 1024;

export interface ParsePolicyOptions {
  /** File name for issues and rule sources. */
  readonly file?: string;
}

/**
 * Parses and compiles a policy written in YAML or JSON (JSON is read by the YAML 1.2 parser, so line numbers work
 * for both). Throws {@link PolicyError} with the file, line, column and a fix hint for every problem.
 * @example
 * const policy = parsePolicy(await readFile('policy.yaml', 'utf8'), { file: 'policy.yaml' });
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): AccessPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const where = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    const issues: PolicyIssue[] = doc.errors.map((e) => ({
      path: [],
      message: `not valid YAML/JSON: ${e.message.split('\n')[0]}`,
      hint:
        e.code === 'DUPLICATE_KEY'
          ? 'remove the duplicate key'
          : 'check indentation, quotes and brackets near this line',
      ...(options.file !== undefined && { file: options.file }),
      ...where(e.pos[0]),
    }));
    throw new PolicyError(issues);
  }
  const locate = (path: readonly (string | number)[]): { line: number; column: number } | undefined => {
    // The deepest node that exists on the path (a missing key is reported at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return where(node.range[0]);
    }
    return undefined;
  };
  return AccessPolicy.compile(doc.toJS({ maxAliasCount: 100 }), {
    ...(options.file !== undefined && { file: options.file }),
    locate,
  });
}

/** Reads, parses and compiles a policy file (`.yaml`, `.yml` or `.json`). Throws {@link PolicyError}. */
export async function loadPolicyFile(path: string): Promise<AccessPolicy> {
  return parsePolicy(await readPolicyText(path), { file: path });
}

/** Reads a policy file as UTF-8, refusing unreadable and oversized files with a {@link PolicyError}. */
export async function readPolicyText(file: string): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PolicyError(
      [
        {
          path: [],
          file,
          message: `cannot read the policy file: ${message}`,
          hint: 'check the path and file permissions',
        },
      ],
      ACL_ERROR_CODES.POLICY_UNREADABLE,
    );
  }
  if (buffer.byteLength > MAX_POLICY_BYTES) {
    throw new PolicyError(
      [
        {
          path: [],
          file,
          message: `the policy file is larger than ${MAX_POLICY_BYTES} bytes`,
          hint: 'split or shorten the policy',
        },
      ],
      ACL_ERROR_CODES.POLICY_UNREADABLE,
    );
  }
  return buffer.toString('utf8');
}
