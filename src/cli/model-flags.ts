/**
 * The `--model-*` flags: how to read a plain model (src/deblur/plain-model.ts, an ONNX graph without this project's
 * contract) when no minimal card is beside it, or to override one. Shared by `promotion deblur` and `promotion eval`.
 */
import type { Command } from 'commander';
import { DEFAULT_PLAIN_PADDING_MULTIPLE, type PlainModelOptions } from '../deblur/plain-model.js';
import { num } from './args.js';

/** The `--model-*` flags as commander passes them. */
export interface ModelFlags {
  modelLayout?: string;
  modelRange?: string;
  modelWindow?: string;
  modelPadding?: string;
  modelColour?: string;
  modelInput?: string;
  modelOutput?: string;
}

/** The plain-model option each flag sets, for messages. */
export const MODEL_FLAG_NAMES: Readonly<Record<string, string>> = {
  'plain.layout': '--model-layout',
  'plain.range': '--model-range',
  'plain.windowSize': '--model-window',
  'plain.paddingMultiple': '--model-padding',
  'plain.colourOrder': '--model-colour',
  'plain.input': '--model-input',
  'plain.output': '--model-output',
};

/** Adds the `--model-*` flags to a command. */
export function addModelFlags(cmd: Command): Command {
  return cmd
    .option('--model-layout <nchw|ntchw>', 'a plain ONNX model (no project card): one image [B,3,H,W] or a window [B,T,3,H,W] (default: from the graph)')
    .option('--model-range <0,1|0,255|-1,1>', 'a plain ONNX model: the value range it takes and gives (default 0,1)')
    .option('--model-window <T>', 'a plain ONNX model with layout ntchw: frames per window, odd (default: the graph\'s T)')
    .option('--model-padding <n>', `a plain ONNX model: height and width fed are multiples of this (default ${DEFAULT_PLAIN_PADDING_MULTIPLE})`)
    .option('--model-colour <rgb|bgr>', 'a plain ONNX model: channel order (default rgb)')
    .option('--model-input <name>', 'a plain ONNX model: the graph input to feed (default: its only one)')
    .option('--model-output <name>', 'a plain ONNX model: the graph output to read (default: its first)');
}

/**
 * The plain-model options the flags give (undefined when none is set), not yet checked: the model loader checks them
 * (`plain.layout` ...), and the command's {@link MODEL_FLAG_NAMES} turn those names into the flags'.
 */
export function plainOptionsFromFlags(flags: ModelFlags): PlainModelOptions | undefined {
  const raw = {
    ...(flags.modelLayout !== undefined ? { layout: flags.modelLayout } : {}),
    ...(flags.modelRange !== undefined ? { range: flags.modelRange } : {}),
    ...(flags.modelWindow !== undefined ? { windowSize: num(flags.modelWindow) } : {}),
    ...(flags.modelPadding !== undefined ? { paddingMultiple: num(flags.modelPadding) } : {}),
    ...(flags.modelColour !== undefined ? { colourOrder: flags.modelColour } : {}),
    ...(flags.modelInput !== undefined ? { input: flags.modelInput } : {}),
    ...(flags.modelOutput !== undefined ? { output: flags.modelOutput } : {}),
  };
  return Object.keys(raw).length === 0 ? undefined : (raw as PlainModelOptions);
}
