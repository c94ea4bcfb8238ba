/** Each command's help states the library's defaults (its exported constants), not numbers typed into help text. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAJECTORY_RANGES } from '../../src/blur-synthesis/exact.js';
import { DEFAULT_FOREGROUND_SPEED_PX, SCENE_PHOTO_SCALE } from '../../src/blur-synthesis/scenes.js';
import { DEFAULT_VIRTUAL_FPS } from '../../src/blur-synthesis/synthesize.js';
import { DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_OVERLAP } from '../../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL } from '../../src/deblur/model-card.js';
import { DEFAULT_DEBLUR_DEVICE } from '../../src/deblur/onnx-session.js';
import { DEFAULT_PANELS_PER_SEQUENCE } from '../../src/eval/evaluate.js';
import { DEFAULT_NUM_HANDS } from '../../src/handpose/landmarker-options.js';
import { DEFAULT_PCK_THRESHOLDS } from '../../src/metrics/joints.js';
import { DEFAULT_JPEG_QUALITY } from '../../src/stream/image-sequence-sink.js';
import { DEFAULT_CRF } from '../../src/stream/video-sink.js';
import { cli } from '../helpers.js';

/** The help of a command on one line, so wrapped phrases can be matched. */
async function help(command: string): Promise<string> {
  const { code, out } = await cli([command, '--help']);
  expect(code).toBe(0);
  return out.replace(/\s+/g, ' ');
}

describe('command help', () => {
  it('states the defaults the library uses', async () => {
    const deblur = await help('deblur');
    for (const phrase of [`(default ${DEFAULT_DEBLUR_MODEL})`, `(default ${DEFAULT_DEBLUR_DEVICE})`, `(default ${DEFAULT_TILE_OVERLAP},`, `(default: the model card's clampRadius, else ${DEFAULT_CLAMP_RADIUS})`, `(default ${DEFAULT_CRF})`, `(default ${DEFAULT_JPEG_QUALITY})`]) {
      expect(deblur).toContain(phrase);
    }
    expect(await help('convert')).toContain(`(default ${DEFAULT_CRF})`);
    expect(await help('pose')).toContain(`(default ${DEFAULT_NUM_HANDS})`);
    expect(await help('synth')).toContain(`(default ${DEFAULT_VIRTUAL_FPS})`);
    const scenes = await help('scenes');
    for (const phrase of [`(default ${SCENE_PHOTO_SCALE})`, `(default ${DEFAULT_FOREGROUND_SPEED_PX.join(',')})`, `(default ${DEFAULT_TRAJECTORY_RANGES.speedPx[1]};`]) expect(scenes).toContain(phrase);
    const evalHelp = await help('eval');
    expect(evalHelp).toContain(`(default ${DEFAULT_PCK_THRESHOLDS.join(',')})`);
    expect(evalHelp).toContain(`(default ${DEFAULT_PANELS_PER_SEQUENCE})`);
    expect(evalHelp).toContain(`(default: each model card's clampRadius, else ${DEFAULT_CLAMP_RADIUS})`);
  });
});
