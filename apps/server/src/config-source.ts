import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

/** Where each setting of a config file is written, to point at a problem by line and column. */
export class ConfigSource {
  readonly #doc: ReturnType<typeof parseDocument>;
  readonly #lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    // YAML 1.2 reads JSON too, so one parser gives positions for both formats.
    this.#doc = parseDocument(text, { lineCounter: this.#lines, keepSourceTokens: false });
  }

  /** `file:line:column` of the value at `path`, or of the key `key` under it; the file alone if not found. */
  locate(path: readonly PropertyKey[], key?: string): string {
    const offset = this.#offset(path, key);
    if (offset === undefined) return this.file;
    const { line, col } = this.#lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  #offset(path: readonly PropertyKey[], key?: string): number | undefined {
    let node: unknown = this.#doc.contents;
    let offset: number | undefined = rangeStart(node);
    const steps = key === undefined ? path : [...path, key];
    for (const step of steps) {
      if (!isMap(node)) return offset;
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(step));
      if (!pair) return offset;
      offset =
        step === key && key !== undefined
          ? (rangeStart(pair.key) ?? offset)
          : (rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset);
      node = pair.value;
    }
    return offset;
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

const SECRET_KEY = /(secret|password|passphrase|token|pepper|api[-_]?key|private[-_]?key|credential)/i;

/**
 * A copy of the configuration fit to print: values under secret-looking keys are masked, and so are passwords in
 * URLs (`redis://:pw@host`). Keys ending in `Env` name an environment variable, not a secret, and stay visible.
 */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  // An upstream's headers and environment carry credentials whatever their names: only `${VAR}` templates,
  // which name a variable and hold no secret, are shown.
  if ((key === 'headers' || key === 'env') && typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typeof v === 'string' && /\$\{/.test(v) ? v : '[masked]']),
    );
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  if (typeof value !== 'string') return value;
  if (SECRET_KEY.test(key) && !/Env$/.test(key)) return '[masked]';
  return maskUrlPassword(value);
}

function maskUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = 'masked';
    return url.href;
  } catch {
    return text;
  }
}
