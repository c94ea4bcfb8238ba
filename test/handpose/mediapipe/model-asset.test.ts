import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { ModelAssetError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import {
  CACHE_DIR_ENV,
  HAND_LANDMARKER_TASK_SHA256,
  TASK_MEMBER_NAMES,
  assembleHandLandmarkerTask,
  cachedModelFileName,
  defaultModelCacheDir,
  loadHandLandmarkerModel,
  mediapipeHandsDir,
  sha256Hex,
} from '../../../src/handpose/mediapipe/model-asset.js';
import { TASK_MEMBER_ALIGNMENT, readTaskBundle, writeTaskBundle } from '../../../src/handpose/mediapipe/task-bundle.js';
import { attachTfliteMetadata, buildImageInputMetadata, hasTfliteMetadata, readTfliteMetadata } from '../../../src/handpose/mediapipe/tflite-metadata.js';
import { tempDir } from '../../helpers.js';

const handsDir = mediapipeHandsDir();
const landmarkLite = new Uint8Array(readFileSync(join(handsDir, 'hand_landmark_lite.tflite')));

/** Reads a table field's position, or undefined (flatbuffers: vtable slot 4 + 2 * field index). */
const field = (bb: ByteBuffer, table: number, slot: number) => {
  const offset = bb.__offset(table, 4 + 2 * slot);
  return offset === 0 ? undefined : table + offset;
};
const table = (bb: ByteBuffer, table: number, slot: number) => bb.__indirect(field(bb, table, slot)!);
const vectorTables = (bb: ByteBuffer, t: number, slot: number) => {
  const at = field(bb, t, slot)!;
  return Array.from({ length: bb.__vector_len(at) }, (_, i) => bb.__indirect(bb.__vector(at) + 4 * i));
};
const floats = (bb: ByteBuffer, t: number, slot: number) => {
  const at = field(bb, t, slot)!;
  return Array.from({ length: bb.__vector_len(at) }, (_, i) => bb.readFloat32(bb.__vector(at) + 4 * i));
};
const str = (bb: ByteBuffer, t: number, slot: number) => bb.__string(field(bb, t, slot)!) as string;

describe('TFLite metadata', () => {
  it('builds a ModelMetadata flatbuffer (M001) with an RGB image input normalized by mean 0, std 255', () => {
    const bytes = buildImageInputMetadata({ mean: [0], std: [255], modelName: 'test' });
    const bb = new ByteBuffer(bytes);
    expect(bb.__has_identifier('M001')).toBe(true);
    const root = bb.readUint32(0);
    expect(str(bb, root, 0)).toBe('test'); // name
    expect(str(bb, root, 7)).toBe('1.0.0'); // min_parser_version
    const [subgraph] = vectorTables(bb, root, 3); // subgraph_metadata
    const [tensor] = vectorTables(bb, subgraph!, 2); // input_tensor_metadata
    expect(str(bb, tensor!, 0)).toBe('image');
    const content = table(bb, tensor!, 3);
    expect(bb.readUint8(field(bb, content, 0)!)).toBe(2); // content_properties_type = ImageProperties
    const imageProperties = table(bb, content, 1);
    expect(bb.readInt8(field(bb, imageProperties, 0)!)).toBe(1); // color_space = RGB
    const [unit] = vectorTables(bb, tensor!, 4); // process_units
    expect(bb.readUint8(field(bb, unit!, 0)!)).toBe(1); // options_type = NormalizationOptions
    const normalization = table(bb, unit!, 1);
    expect(floats(bb, normalization, 0)).toEqual([0]);
    expect(floats(bb, normalization, 1)).toEqual([255]);
  });

  it('attaches it to a model without touching the model: same fields, one more buffer, a TFLITE_METADATA entry', () => {
    const metadata = buildImageInputMetadata({ mean: [0], std: [255], modelName: 'hand_landmark_lite.tflite' });
    expect(hasTfliteMetadata(landmarkLite)).toBe(false);
    expect(readTfliteMetadata(landmarkLite)).toBeUndefined();
    const out = attachTfliteMetadata(landmarkLite, metadata);
    expect(hasTfliteMetadata(out)).toBe(true);
    expect(Array.from(readTfliteMetadata(out)!)).toEqual(Array.from(metadata));
    // The old file follows the new prefix unchanged; the prefix keeps 16-byte alignment.
    const shift = out.length - landmarkLite.length;
    expect(shift % 16).toBe(0);
    expect(Buffer.compare(out.subarray(shift), landmarkLite)).toBe(0);

    const before = new ByteBuffer(landmarkLite);
    const after = new ByteBuffer(out);
    const rootBefore = before.readUint32(0);
    const rootAfter = after.readUint32(0);
    expect(after.__has_identifier('TFL3')).toBe(true);
    expect(after.readUint32(field(after, rootAfter, 0)!)).toBe(before.readUint32(field(before, rootBefore, 0)!)); // version
    for (const slot of [1, 2]) {
      // operator_codes and subgraphs: the same tables, moved by the prefix.
      expect(vectorTables(after, rootAfter, slot)).toEqual(vectorTables(before, rootBefore, slot).map((t) => t + shift));
    }
    const buffersBefore = vectorTables(before, rootBefore, 4);
    const buffersAfter = vectorTables(after, rootAfter, 4);
    expect(buffersAfter).toHaveLength(buffersBefore.length + 1);
    expect(buffersAfter.slice(0, -1)).toEqual(buffersBefore.map((t) => t + shift));
    // Every weight buffer still starts on a 16-byte boundary.
    for (const buffer of buffersAfter) {
      const data = field(after, buffer, 0);
      if (data !== undefined) expect(after.__vector(data) % 16).toBe(0);
    }
  });

  it('refuses a model that already has metadata, and a file that is not a TFLite model', () => {
    const once = attachTfliteMetadata(landmarkLite, buildImageInputMetadata({ mean: [0], std: [255], modelName: 'x' }));
    expect(() => attachTfliteMetadata(once, new Uint8Array(8))).toThrow('TFLite metadata: the model already has a TFLITE_METADATA entry');
    expect(() => attachTfliteMetadata(new TextEncoder().encode('not a model at all'), new Uint8Array(8))).toThrow('TFLite metadata: not a TFLite model (no TFL3 identifier)');
  });
});

describe('task bundle (zip)', () => {
  it('stores members uncompressed, aligned, with CRC and sizes in each local header; reads them back', () => {
    const members = [
      { name: 'a.tflite', data: new Uint8Array([1, 2, 3, 4, 5]) },
      { name: 'longer_name.tflite', data: new Uint8Array(1000).map((_, i) => i % 251) },
    ];
    const zip = writeTaskBundle(members);
    const view = new DataView(zip.buffer);
    expect(view.getUint32(0, true)).toBe(0x04034b50);
    expect(view.getUint16(6, true)).toBe(0); // no data descriptor
    expect(view.getUint16(8, true)).toBe(0); // stored
    expect(view.getUint32(18, true)).toBe(5); // compressed size in the local header
    expect(view.getUint32(22, true)).toBe(5);
    const read = readTaskBundle(zip);
    expect(read.map((m) => m.name)).toEqual(['a.tflite', 'longer_name.tflite']);
    expect(Array.from(read[1]!.data)).toEqual(Array.from(members[1]!.data));
    for (const m of read) expect(m.data.byteOffset % TASK_MEMBER_ALIGNMENT).toBe(0);
    expect(Buffer.compare(writeTaskBundle(members), zip)).toBe(0);
    const damaged = zip.slice();
    damaged[read[0]!.data.byteOffset] = damaged[read[0]!.data.byteOffset]! ^ 0xff;
    expect(() => readTaskBundle(damaged)).toThrow('Zip member a.tflite fails its CRC check');
  });
});

describe('hand landmarker model asset', () => {
  it('assembles both variants deterministically: the bundles hash to the recorded SHA-256', async () => {
    for (const model of ['full', 'lite'] as const) {
      const bundle = await assembleHandLandmarkerTask(model);
      expect(sha256Hex(bundle), model).toBe(HAND_LANDMARKER_TASK_SHA256[model]);
      const members = readTaskBundle(bundle);
      expect(members.map((m) => m.name)).toEqual([TASK_MEMBER_NAMES.detector, TASK_MEMBER_NAMES.landmarks]);
      for (const m of members) expect(hasTfliteMetadata(m.data)).toBe(true);
    }
  });

  it('caches the bundle atomically, reuses it, and replaces a damaged cached copy', async () => {
    const cacheDir = join(tempDir('promotion-cache-'), 'nested');
    const first = await loadHandLandmarkerModel({ model: 'lite', cacheDir });
    expect(first).toMatchObject({ model: 'lite', fromCache: false, sha256: HAND_LANDMARKER_TASK_SHA256.lite, path: join(cacheDir, cachedModelFileName('lite')) });
    expect(readdirSync(cacheDir)).toEqual([cachedModelFileName('lite')]); // no temporary file left
    const second = await loadHandLandmarkerModel({ model: 'lite', cacheDir });
    expect(second.fromCache).toBe(true);
    expect(Buffer.compare(second.bytes, first.bytes)).toBe(0);

    const damaged = readFileSync(first.path!);
    damaged[1000] = damaged[1000]! ^ 0xff;
    writeFileSync(first.path!, damaged);
    const repaired = await loadHandLandmarkerModel({ model: 'lite', cacheDir });
    expect(repaired.fromCache).toBe(false);
    expect(sha256Hex(readFileSync(first.path!))).toBe(HAND_LANDMARKER_TASK_SHA256.lite);
  });

  it('fails with a ModelAssetError (exit code 4) when the source files are not the published ones', async () => {
    const sourceDir = tempDir('promotion-hands-');
    for (const f of ['hand_landmark_lite.tflite', 'hands_solution_packed_assets.data', 'hands_solution_packed_assets_loader.js']) copyFileSync(join(handsDir, f), join(sourceDir, f));
    const landmark = readFileSync(join(sourceDir, 'hand_landmark_lite.tflite'));
    landmark[landmark.length - 100] = landmark[landmark.length - 100]! ^ 0x01; // one bit of one weight
    writeFileSync(join(sourceDir, 'hand_landmark_lite.tflite'), landmark);
    const cacheDir = tempDir('promotion-cache-');
    const error = await loadHandLandmarkerModel({ model: 'lite', cacheDir, sourceDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelAssetError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^The hand landmarker model \\(lite\\) assembled from @mediapipe/hands in ${sourceDir} has SHA-256 [0-9a-f]{64}, but ${HAND_LANDMARKER_TASK_SHA256.lite} is expected: ` +
          'those files are not @mediapipe/hands@0\\.4\\.1675469240 as published, or are damaged\\. Reinstall dependencies with `npm ci`\\.$',
      ),
    );
    expect(exitCodeFor(error)).toBe(4);
    expect(existsSync(join(cacheDir, cachedModelFileName('lite')))).toBe(false);

    mkdirSync(join(sourceDir, 'empty'));
    await expect(loadHandLandmarkerModel({ model: 'lite', cacheDir, sourceDir: join(sourceDir, 'empty') })).rejects.toThrow(
      `Cannot read ${join(sourceDir, 'empty', 'hands_solution_packed_assets_loader.js')}, needed to assemble the hand landmarker model. Reinstall dependencies with \`npm ci\`.`,
    );
  });

  it('puts the cache under node_modules/.cache unless PROMOTION_CACHE_DIR says otherwise; validates options', async () => {
    const saved = process.env[CACHE_DIR_ENV];
    try {
      delete process.env[CACHE_DIR_ENV];
      expect(defaultModelCacheDir()).toBe(join(handsDir, '..', '..', '.cache', 'promotion-handpose'));
      process.env[CACHE_DIR_ENV] = '/somewhere/else';
      expect(defaultModelCacheDir()).toBe('/somewhere/else');
    } finally {
      if (saved === undefined) delete process.env[CACHE_DIR_ENV];
      else process.env[CACHE_DIR_ENV] = saved;
    }
    await expect(loadHandLandmarkerModel({ model: 'huge' as never })).rejects.toThrow(`Expected one of 'full', 'lite' for model but received "huge" of type string`);
    await expect(loadHandLandmarkerModel({ cachedir: 'x' } as never)).rejects.toThrow('Unknown option cachedir in loadHandLandmarkerModel options; known options: model, cacheDir, sourceDir');
  });
});
