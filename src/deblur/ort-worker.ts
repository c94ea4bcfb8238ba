/**
 * An ONNX Runtime session in a worker thread. onnxruntime-node's `run` computes on the calling thread, so on the
 * main thread it holds up everything else in the process for the whole network call (about 150-200 ms for a
 * 640x480 frame on 2 cores): the next frame's decoding, motion map and statistics then wait for it, although ONNX
 * Runtime keeps only about 1.1 of 2 cores busy. Here the session lives in a worker; `run` posts the inputs there and
 * the JavaScript thread goes on with the next frame while the network runs (docs/deblur-model.md, the speed section,
 * measures what that buys).
 *
 * The worker is an inline script that loads the same onnxruntime-node as the caller (by its resolved path), so it
 * runs from the TypeScript sources and from `dist/` alike. Inputs are copied to the worker (the caller keeps its
 * arrays), or moved there by `runMoving` when they were made for the call (an 18 MB window at 640x480 costs about
 * 16 ms to copy on the calling thread); outputs are moved back without a copy. The worker does not keep the process alive while it is idle.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as OrtModule from 'onnxruntime-node';

/** What the deblurring code uses of an ONNX Runtime session (InferenceSession or {@link WorkerSession}). */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: Metadata;
  readonly outputMetadata?: Metadata;
  run(feeds: Record<string, OrtModule.Tensor>): Promise<Record<string, OrtModule.Tensor>>;
  release(): Promise<void>;
}

/** ONNX Runtime's description of a session's inputs or outputs (plain data: it crosses between threads). */
type Metadata = OrtModule.InferenceSession['inputMetadata'];

/** A tensor as it crosses between threads. */
interface PlainTensor {
  readonly type: OrtModule.Tensor.Type;
  readonly data: OrtModule.Tensor.DataType;
  readonly dims: readonly number[];
}

type Reply =
  | { id: number; info: { inputNames: string[]; outputNames: string[]; inputMetadata?: Metadata; outputMetadata?: Metadata } }
  | { id: number; outputs: Record<string, PlainTensor> }
  | { id: number; released: true }
  | { id: number; error: { message: string; stack?: string } };

const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const fail = (id, e) => parentPort.postMessage({ id, error: { message: (e && e.message) || String(e), stack: e && e.stack } });
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'create') {
      session = await ort.InferenceSession.create(m.bytes, m.options);
      const meta = (k) => { try { return session[k]; } catch { return undefined; } };
      parentPort.postMessage({ id: m.id, info: { inputNames: session.inputNames, outputNames: session.outputNames, inputMetadata: meta('inputMetadata'), outputMetadata: meta('outputMetadata') } });
    } else if (m.op === 'run') {
      const feeds = {};
      for (const name of Object.keys(m.feeds)) { const t = m.feeds[name]; feeds[name] = new ort.Tensor(t.type, t.data, t.dims); }
      const out = await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const name of Object.keys(out)) {
        const t = out[name];
        outputs[name] = { type: t.type, data: t.data, dims: t.dims };
        if (t.data && t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
      }
      try { parentPort.postMessage({ id: m.id, outputs }, transfer); } catch { parentPort.postMessage({ id: m.id, outputs }); }
    } else if (m.op === 'release') {
      if (session) await session.release();
      session = undefined;
      parentPort.postMessage({ id: m.id, released: true });
    }
  } catch (e) { fail(m.id, e); }
});
`;

let ortPath: string | undefined;

/**
 * A session created in a new worker thread from the model's bytes with `options` (those of
 * `InferenceSession.create`); rejects with ONNX Runtime's own error when it cannot be created (the worker is then
 * stopped).
 */
export async function createWorkerSession(ort: typeof OrtModule, bytes: Uint8Array, options: OrtModule.InferenceSession.SessionOptions): Promise<WorkerSession> {
  ortPath ??= createRequire(import.meta.url).resolve('onnxruntime-node');
  const session = new WorkerSession(ort, new Worker(WORKER_SCRIPT, { eval: true, workerData: { ortPath } }));
  try {
    await session.create(bytes, options);
  } catch (error) {
    await session.terminate();
    throw error;
  }
  return session;
}

/** An ONNX Runtime session that runs in its own worker thread (see the module comment). */
export class WorkerSession implements OrtSessionLike {
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  inputMetadata?: Metadata;
  outputMetadata?: Metadata;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private dead: Error | undefined;
  private released: Promise<void> | undefined;

  constructor(
    private readonly ort: typeof OrtModule,
    private readonly worker: Worker,
  ) {
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (!p) return;
      if ('error' in reply) {
        const error = new Error(reply.error.message);
        if (reply.error.stack) error.stack = `${error.name}: ${reply.error.message}\n--- in the ONNX Runtime worker ---\n${reply.error.stack}`;
        p.reject(error);
      } else p.resolve(reply);
    });
    const die = (error: Error) => {
      this.dead ??= error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => die(new Error(`The ONNX Runtime worker thread crashed: ${error.message}`)));
    worker.on('exit', (code) => die(new Error(`The ONNX Runtime worker thread exited (code ${code})`)));
  }

  private call(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      try {
        this.worker.postMessage({ ...message, id }, transfer);
      } catch (error) {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** @internal */
  async create(bytes: Uint8Array, options: OrtModule.InferenceSession.SessionOptions): Promise<void> {
    const reply = await this.call({ op: 'create', bytes, options });
    if (!('info' in reply)) throw new Error('The ONNX Runtime worker answered create without the session description');
    this.inputNames = reply.info.inputNames;
    this.outputNames = reply.info.outputNames;
    if (reply.info.inputMetadata) this.inputMetadata = reply.info.inputMetadata;
    if (reply.info.outputMetadata) this.outputMetadata = reply.info.outputMetadata;
  }

  /** Runs the session on `feeds`, which are copied to the worker (the caller keeps them). */
  run(feeds: Record<string, OrtModule.Tensor>): Promise<Record<string, OrtModule.Tensor>> {
    return this.runWith(feeds, []);
  }

  /**
   * Runs the session on `feeds`, moving the arrays of the inputs named in `move` to the worker where each has its
   * buffer to itself (no copy; they are left empty here), copying the others: for inputs made for this call alone.
   */
  runMoving(feeds: Record<string, OrtModule.Tensor>, move: readonly string[]): Promise<Record<string, OrtModule.Tensor>> {
    return this.runWith(feeds, move);
  }

  private async runWith(feeds: Record<string, OrtModule.Tensor>, move: readonly string[]): Promise<Record<string, OrtModule.Tensor>> {
    if (this.released) throw new Error('This ONNX Runtime session was released');
    const plain: Record<string, PlainTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      plain[name] = { type: t.type, data: t.data, dims: t.dims };
      const data = t.data as ArrayBufferView;
      if (move.includes(name) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !transfer.includes(data.buffer)) transfer.push(data.buffer);
    }
    const reply = await this.call({ op: 'run', feeds: plain }, transfer);
    if (!('outputs' in reply)) throw new Error('The ONNX Runtime worker answered run without outputs');
    const out: Record<string, OrtModule.Tensor> = {};
    for (const [name, t] of Object.entries(reply.outputs)) out[name] = new this.ort.Tensor(t.type, t.data as Float32Array, t.dims);
    return out;
  }

  release(): Promise<void> {
    this.released ??= (async () => {
      try {
        if (!this.dead) await this.call({ op: 'release' });
      } finally {
        await this.terminate();
      }
    })();
    return this.released;
  }

  /** @internal Stops the worker (pending calls reject). */
  async terminate(): Promise<void> {
    this.dead ??= new Error('This ONNX Runtime session was released');
    await this.worker.terminate();
  }
}
