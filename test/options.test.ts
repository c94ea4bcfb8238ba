import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../src/errors.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf } from '../src/options.js';

describe('option validation messages', () => {
  it('names the option, the expectation and what came', () => {
    expect(() => expectInteger('windowSize', 0, 1, 255)).toThrow(new InvalidOptionError('Expected integer between 1 and 255 for windowSize but received 0 of type number'));
    expect(() => expectInteger('maxFrames', 2.5, 1)).toThrow('Expected integer >= 1 for maxFrames but received 2.5 of type number');
    expect(() => expectNumber('fps', 'abc', 0, 10_000, true)).toThrow('Expected number greater than 0 and at most 10000 for fps but received "abc" of type string');
    expect(() => expectNumber('gamma', Number.NaN, 0)).toThrow('Expected number at least 0 for gamma but received NaN of type number');
    expect(() => expectOneOf('format', 'gif', ['png', 'jpeg'] as const)).toThrow("Expected one of 'png', 'jpeg' for format but received \"gif\" of type string");
    expect(() => expectKnownKeys('openVideo options', { maxframes: 3 }, ['maxFrames'])).toThrow('Unknown option maxframes in openVideo options; known options: maxFrames');
  });
  it('returns valid values unchanged', () => {
    expect(expectInteger('n', 3, 1, 5)).toBe(3);
    expect(expectNumber('x', 0.5, 0, 1)).toBe(0.5);
    expect(expectOneOf('k', 'png', ['png', 'jpeg'] as const)).toBe('png');
  });
  it('errors carry a stable code', () => {
    try {
      expectInteger('n', -1, 0);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).code).toBe('INVALID_OPTION');
    }
  });
});
