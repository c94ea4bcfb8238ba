/** Importing the SDK loads no wasm and sets no browser global: MediaPipe loads inside createHandLandmarker only. */
import { describe, expect, it } from 'vitest';

describe('importing the SDK', () => {
  it('does not load @mediapipe/tasks-vision or touch globals until a landmarker is created; then sets only the documented ones', async () => {
    const before = new Set(Object.getOwnPropertyNames(globalThis));
    const sdk = await import('../../src/index.js');
    expect(typeof sdk.createHandLandmarker).toBe('function');
    expect(Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k))).toEqual([]);
    for (const name of ['self', 'WebGLRenderingContext', 'ModuleFactory', 'importScripts', 'custom_dbg']) expect(name in globalThis, name).toBe(false);
    // Validating operator options loads nothing either.
    sdk.estimateHands({ mode: 'image' });
    expect(Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k))).toEqual([]);

    const estimator = await sdk.createHandLandmarker({ mode: 'image', model: 'lite' });
    await estimator.close();
    const added = Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k));
    const documented = ['self', 'WebGLRenderingContext', 'custom_dbg', ...(before.has('navigator') ? [] : ['navigator'])];
    expect(added.sort()).toEqual(documented.sort());
  });
});
