/** Parsing of command-line option strings before the shared validators see them (src/options.ts). */

/**
 * A numeric option: the number it spells, or the string itself when it spells none, so the validator's message
 * shows what was typed (`Expected integer >= 1 for --max-frames but received "ten" of type string`).
 */
export const num = (v: string | undefined): number | string | undefined => (v === undefined ? undefined : Number.isNaN(Number(v)) ? v : Number(v));

/** A comma-separated list option (`--subjects Subject_1,Subject_2`), blanks dropped. */
export const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
