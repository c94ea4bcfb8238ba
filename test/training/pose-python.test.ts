/**
 * The Python tests of the pose-aware loss and its training data (training/tests_pose, unittest, CPU): the
 * hand-landmark network's reader and contract, the loss, the evaluation-photo check, the hand composites and masks.
 * Kept apart from training/tests so that they run beside the main Python suite (python.test.ts) instead of
 * lengthening it. Missing modules fail, naming the install step.
 */
import { describe, expect, it } from 'vitest';
import { requireTorch, runPython } from './python.js';

describe('training/tests_pose (Python unittest)', () => {
  it('passes python3 -m unittest discover -s tests_pose', () => {
    requireTorch('torch, numpy, scipy.ndimage, PIL, yaml');
    // 37 s alone and 55 s under vitest, both beside a training run on two cores: the limit leaves room.
    const result = runPython(['-m', 'unittest', 'discover', '-s', 'tests_pose', '-t', '.'], 170_000);
    if (result.status !== 0) {
      throw new Error(`Python tests failed (exit ${result.status}):\n${result.output}`);
    }
    expect(result.output).toMatch(/\nOK\b/);
    expect(result.output).toMatch(/Ran (1\d|[2-9]\d) tests/);
  }, 180_000);
});
