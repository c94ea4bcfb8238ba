/**
 * A TFLite reference for parity tests: TensorFlow Lite itself, compiled to WebAssembly, as the npm package
 * `@tensorflow/tfjs-tflite` ships it (`wasm/tflite_web_api_cc.js` + `.wasm`, the TFLite web API's model runner,
 * Apache-2.0). The Emscripten module runs in plain Node: it is loaded directly and given the .wasm bytes, so neither
 * tfjs-core nor a browser is needed. It runs the .tflite file itself (TFLite's own kernels, XNNPACK delegate for
 * float operators, one thread).
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One tensor of the model runner (an embind object; `data()` views the WebAssembly heap). */
interface RunnerTensor {
  readonly name: string;
  /** Comma-separated, e.g. `1,224,224,3`. */
  readonly shape: string;
  readonly dataType: string;
  data(): Float32Array;
}

interface EmbindVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}

interface ModelRunner {
  GetInputs(): EmbindVector<RunnerTensor>;
  GetOutputs(): EmbindVector<RunnerTensor>;
  Infer(): boolean;
  delete(): void;
}

interface StatusOr<T> {
  ok(): boolean;
  errorMessage(): string;
  value(): T;
}

interface TfliteWasmModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      ptr: number,
      length: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): StatusOr<ModelRunner>;
  };
}

type ModuleFactory = (overrides: Record<string, unknown>) => Promise<TfliteWasmModule>;

/** A tensor's name, shape and values. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A loaded .tflite model under the TFLite WebAssembly runtime. Call {@link TfliteReference.close} when done. */
export interface TfliteReference {
  readonly inputs: readonly Omit<NamedTensor, 'data'>[];
  readonly outputs: readonly Omit<NamedTensor, 'data'>[];
  /** Runs the model on one input tensor (float32, the input's shape, NHWC) and returns every output, copied. */
  run(input: Float32Array): NamedTensor[];
  close(): void;
}

const require = createRequire(import.meta.url);

function wasmFolder(): string {
  let pkg: string;
  try {
    pkg = require.resolve('@tensorflow/tfjs-tflite/package.json');
  } catch (error) {
    throw new Error('@tensorflow/tfjs-tflite is not installed (the TFLite reference for the hand-landmark parity '
      + 'test): run `npm ci`', { cause: error });
  }
  const folder = join(dirname(pkg), 'wasm');
  if (!existsSync(join(folder, 'tflite_web_api_cc.wasm'))) {
    throw new Error(`${folder}/tflite_web_api_cc.wasm is missing: reinstall @tensorflow/tfjs-tflite (npm ci)`);
  }
  return folder;
}

function toArray<T>(vector: EmbindVector<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < vector.size(); i++) out.push(vector.get(i));
  vector.delete();
  return out;
}

/** Loads `modelPath` into the TFLite WebAssembly runtime (one thread). */
export async function loadTfliteReference(modelPath: string): Promise<TfliteReference> {
  if (!existsSync(modelPath)) throw new Error(`${modelPath} is missing (the .tflite file to run)`);
  const folder = wasmFolder();
  const factory = require(join(folder, 'tflite_web_api_cc.js')) as ModuleFactory;
  const wasm = await factory({
    wasmBinary: readFileSync(join(folder, 'tflite_web_api_cc.wasm')),
    print: () => undefined,
    // TFLite logs "Created TensorFlow Lite XNNPACK delegate for CPU." on stderr; keep only what is not INFO.
    printErr: (line: string) => {
      if (!line.startsWith('INFO:')) console.error(`[tflite] ${line}`);
    },
  });
  const bytes = readFileSync(modelPath);
  const ptr = wasm._malloc(bytes.length);
  wasm.HEAPU8.set(bytes, ptr);
  const created = wasm.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length, {
    numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) {
    wasm._free(ptr);
    throw new Error(`TFLite could not load ${modelPath}: ${created.errorMessage()}`);
  }
  const runner = created.value();
  const describe = (t: RunnerTensor) => ({ name: t.name, shape: t.shape.split(',').map(Number) });
  const inputs = toArray(runner.GetInputs());
  const outputs = toArray(runner.GetOutputs());
  for (const t of [...inputs, ...outputs]) {
    if (t.dataType !== 'float32') throw new Error(`${modelPath}: tensor ${t.name} is ${t.dataType}; only float32 is read`);
  }
  const [input] = inputs;
  if (inputs.length !== 1 || !input) throw new Error(`${modelPath}: ${inputs.length} inputs; the reference takes one`);
  return {
    inputs: inputs.map(describe),
    outputs: outputs.map(describe),
    run(data) {
      const view = input.data();
      if (view.length !== data.length) {
        throw new Error(`${modelPath}: input ${input.name} holds ${view.length} values, received ${data.length}`);
      }
      view.set(data);
      if (!runner.Infer()) throw new Error(`TFLite inference failed on ${modelPath}`);
      return outputs.map((t) => ({ ...describe(t), data: Float32Array.from(t.data()) }));
    },
    close() {
      runner.delete();
      wasm._free(ptr);
    },
  };
}
