// Reads a V8 CPU profile (.cpuprofile JSON) and attributes self time to places a reader of MCP Warden knows: each
// workspace package by source file, each dependency by package name, Node's own code, GC. Self time is the time a
// function was on top of the stack; summed per place it says where the CPU went, not who called it.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per place, and per function (place + name + line) for the top-functions list. */
export interface Attribution {
  byPlace: Map<string, number>;
  byFunction: Map<string, number>;
  /**
   * Self time of Node's own code (http, streams, fetch classes) charged to the nearest caller outside it, by
   * function: whose use of Node's machinery the time was spent on (e.g. a `new Request` in core's node adapter).
   */
  internalsByCaller: Map<string, number>;
  totalUs: number;
}

const INTERNALS = 'node internals (http, streams, timers)';

function functionName(node: ProfileNode, place: string): string {
  return `${node.callFrame.functionName || '(anonymous)'} · ${place}:${node.callFrame.lineNumber + 1}`;
}

/** For each node, the nearest frame at or above it that is not Node's own code (by parent links). */
function callersOutsideInternals(nodes: Map<number, ProfileNode>): Map<number, string> {
  const parent = new Map<number, number>();
  for (const node of nodes.values()) for (const child of node.children ?? []) parent.set(child, node.id);
  const caller = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = caller.get(id);
    if (known !== undefined) return known;
    const node = nodes.get(id)!;
    const place = placeOf(node.callFrame);
    const up = parent.get(id);
    const name =
      place !== undefined && place !== INTERNALS && place !== 'V8 and native code' && place !== 'GC'
        ? functionName(node, place)
        : up === undefined
          ? '(no caller outside Node)'
          : resolve(up);
    caller.set(id, name);
    return name;
  };
  for (const id of nodes.keys()) resolve(id);
  return caller;
}

const WORKSPACE_FILE = /\/(packages|apps)\/([^/]+)\/src\/(.+?)(?:\?.*)?$/;
const DEPENDENCY = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//;

/** Where a frame's code lives, e.g. `@mcp-warden/core pipeline.ts`, `zod`, `node internals`, `GC`. */
export function placeOf(frame: ProfileNode['callFrame']): string | undefined {
  const { url, functionName } = frame;
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)' || functionName === '(root)') return 'V8 and native code';
  const workspace = WORKSPACE_FILE.exec(url);
  if (workspace) {
    const pkg = workspace[1] === 'apps' ? workspace[2] : `@mcp-warden/${workspace[2]}`;
    return pkg === '@mcp-warden/core' ? `${pkg} ${workspace[3]}` : pkg;
  }
  const dependency = DEPENDENCY.exec(url);
  if (dependency) return dependency[1];
  if (url.includes('/bench/src/')) return 'bench server';
  return INTERNALS;
}

/** Nodes at or under the profiler preload's own frames: starting and stopping the profiler is not the server's work. */
function profilerNodes(nodes: Map<number, ProfileNode>): Set<number> {
  const own = new Set<number>();
  const mark = (id: number) => {
    if (own.has(id)) return;
    own.add(id);
    for (const child of nodes.get(id)?.children ?? []) mark(child);
  };
  for (const node of nodes.values())
    if (node.callFrame.url.includes('/servers/cpu-profile.ts')) mark(node.id);
  return own;
}

export function attribute(profile: CpuProfile): Attribution {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const profiler = profilerNodes(nodes);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const internalsByCaller = new Map<string, number>();
  const callers = callersOutsideInternals(nodes);
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || delta <= 0 || profiler.has(node.id)) continue;
    const place = placeOf(node.callFrame);
    if (place === undefined) continue;
    totalUs += delta;
    byPlace.set(place, (byPlace.get(place) ?? 0) + delta);
    const name = functionName(node, place);
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    if (place === INTERNALS) {
      const caller = callers.get(node.id)!;
      internalsByCaller.set(caller, (internalsByCaller.get(caller) ?? 0) + delta);
    }
  }
  return { byPlace, byFunction, internalsByCaller, totalUs };
}
