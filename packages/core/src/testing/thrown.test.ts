import { describe, expect, it } from 'vitest';
import { ConfigError, WardenError } from '../errors.js';
import { configErrorMessage, thrownBy } from './thrown.js';

describe('thrownBy / configErrorMessage', () => {
  it('returns what was thrown, and fails when nothing was', () => {
    const error = new Error('x');
    expect(
      thrownBy(() => {
        throw error;
      }),
    ).toBe(error);
    expect(() => thrownBy(() => 1)).toThrow(/expected a throw/);
  });

  it('gives the message of an options ConfigError only', () => {
    const bad = () => {
      throw new ConfigError('demo: invalid options (1 problem)');
    };
    expect(configErrorMessage(bad)).toBe('demo: invalid options (1 problem)');
    const other = () => {
      throw new WardenError({ code: 'X', message: 'not config' });
    };
    expect(() => configErrorMessage(other)).toThrow();
    expect(() => configErrorMessage(() => new ConfigError('x', { code: 'OTHER' }))).toThrow();
    expect(() =>
      configErrorMessage(() => {
        throw new ConfigError('x', { code: 'OTHER' });
      }),
    ).toThrow();
  });
});
