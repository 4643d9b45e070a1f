/** Shared by this package's tests (not exported from the entry point). */
import { randomBytes } from 'node:crypto';
import type { Pepper } from './pepper.js';

export const PEPPER_1: Pepper = { id: 'p1', secret: randomBytes(32) };
export const PEPPER_2: Pepper = { id: 'p2', secret: randomBytes(32) };

/** A controllable clock for expiry and grace periods. */
export function fakeClock(start = Date.UTC(2026, 0, 1)): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
