/**
 * The Python training package's own tests (training/tests, unittest, CPU, tiny configs), run under `npm test`.
 * Missing torch/onnx is a failure that names the install step, never a skip.
 */
import { describe, expect, it } from 'vitest';
import { requireTorch, runPython } from './python.js';

describe('training/ (Python unittest)', () => {
  it('passes python3 -m unittest discover', () => {
    requireTorch('torch, onnx, torchvision, yaml, PIL, numpy');
    // It took 311 s beside a training run on two cores, more than the 170 s limit it had: the limit leaves room.
    const result = runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], 400_000);
    if (result.status !== 0) {
      throw new Error(`Python tests failed (exit ${result.status}):\n${result.output}`);
    }
    expect(result.output).toMatch(/\nOK\b/);
    expect(result.output).toMatch(/Ran \d+ tests/);
  }, 410_000);

  it('fails, naming the install step, when a module cannot be imported', () => {
    expect(() => requireTorch('torch, promotion_no_such_module')).toThrow(/apt-get install -y python3-torch python3-onnx/);
  });
});
