/**
 * Option validation. Every option goes through these, so every message has the same shape:
 * `Expected <what> for <option> but received <value> of type <type>`.
 */
import { InvalidOptionError } from './errors.js';

function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return `${shown} of type ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

/** Throws the toolkit's standard {@link InvalidOptionError}. */
export function invalidOption(name: string, expected: string, value: unknown): never {
  throw new InvalidOptionError(`Expected ${expected} for ${name} but received ${describe(value)}`);
}

/** An integer in [min, max]. */
export function expectInteger(name: string, value: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `integer >= ${min}` : `integer between ${min} and ${max}`;
    invalidOption(name, range, value);
  }
  return value;
}

/** A finite number in [min, max] (or (min, max] when `exclusiveMin`). */
export function expectNumber(
  name: string,
  value: unknown,
  min: number,
  max: number = Number.POSITIVE_INFINITY,
  exclusiveMin = false,
): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const lower = exclusiveMin ? `greater than ${min}` : `at least ${min}`;
    const range = max === Number.POSITIVE_INFINITY ? `number ${lower}` : `number ${lower} and at most ${max}`;
    invalidOption(name, range, value);
  }
  return value as number;
}

/** Longest delay a Node timer accepts (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout in milliseconds: greater than 0 and at most {@link MAX_TIMER_MS}, or Infinity for none. */
export function expectTimeout(name: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    invalidOption(name, `number of milliseconds greater than 0 and at most ${MAX_TIMER_MS}, or Infinity`, value);
  }
  return value;
}

/** One of a fixed set of values. */
export function expectOneOf<const T extends readonly (string | number)[]>(name: string, value: unknown, allowed: T): T[number] {
  if (!allowed.includes(value as T[number])) {
    invalidOption(name, `one of ${allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ')}`, value);
  }
  return value as T[number];
}

/** A boolean. */
export function expectBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalidOption(name, 'boolean', value);
  return value;
}

/** A non-empty string. */
export function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) invalidOption(name, 'non-empty string', value);
  return value;
}

/** A function. */
export function expectFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') invalidOption(name, 'function', value);
  return value as F;
}

/** Rejects keys the caller passed that the function does not know (catches typos like `windowsize`). */
export function expectKnownKeys(name: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) invalidOption(name, 'object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(`Unknown option ${key} in ${name}; known options: ${known.join(', ')}`);
    }
  }
}

/**
 * Runs `task`, rewriting the option names in an {@link InvalidOptionError} it throws by `names` (an API option's name
 * to the command-line flag that sets it), so a command's messages name the flags its user typed, not the API's
 * options: `Expected ... for --exposure-frames`, not `for exposureFrames`.
 */
export async function withFlagNames<T>(names: Readonly<Record<string, string>>, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    // Longest names first, so `metrics.cropBorder` goes before `cropBorder`.
    const message = Object.keys(names)
      .sort((a, b) => b.length - a.length)
      .reduce((text, name) => text.replace(new RegExp(`(?<![\\w.-])${name.replace(/\./g, '\\.')}(?![\\w-])`, 'g'), names[name]!), error.message);
    if (message === error.message) throw error;
    const renamed = new InvalidOptionError(message);
    renamed.stack = error.stack;
    throw renamed;
  }
}
