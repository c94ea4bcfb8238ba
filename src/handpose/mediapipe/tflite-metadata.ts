/**
 * Adds TFLite model metadata (the `TFLITE_METADATA` entry that MediaPipe Tasks reads) to a TFLite flatbuffer that
 * has none, as the legacy `@mediapipe/hands` models do. Without it the Tasks graph refuses a float image input:
 * "requires specifying NormalizationOptions metadata".
 *
 * Two flatbuffers are involved:
 *   - the metadata itself, a `ModelMetadata` table (tflite-support `metadata_schema.fbs`, file identifier `M001`),
 *     built here with the flatbuffers Builder: one subgraph, one input tensor with content ImageProperties (RGB)
 *     and process unit NormalizationOptions { mean, std };
 *   - the model (TFLite `schema.fbs`, identifier `TFL3`), which must gain a `buffers` entry holding those bytes and
 *     a `metadata` entry `{ name: "TFLITE_METADATA", buffer: <that index> }`.
 *
 * Flatbuffer offsets (uoffset) only point forward, so new vectors that list old tables must sit before them. The
 * model is therefore not edited in place: a new header, a new root `Model` table and the new vectors and tables are
 * written in front of the untouched old bytes, and the new root's fields point forward into them. The old root
 * table stays behind as unreferenced bytes. The prefix is padded to a multiple of 16 bytes, so every old buffer keeps
 * its 16-byte alignment. The output depends only on the input bytes and the options: it is deterministic.
 */
import { Builder, ByteBuffer } from 'flatbuffers';

/** Name of the `Model.metadata` entry MediaPipe Tasks looks for. */
export const TFLITE_METADATA_NAME = 'TFLITE_METADATA';

/** Input normalization written into the metadata: the model sees (x - mean) / std for 8-bit x. */
export interface ImageInputMetadata {
  /** Per-channel mean (one value applies to all channels). */
  mean: readonly number[];
  /** Per-channel standard deviation (one value applies to all channels). */
  std: readonly number[];
  /** Name written for the model (ModelMetadata.name). */
  modelName: string;
}

// Field slots (declaration order) of the tables used here.
const MODEL = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5, metadata: 6, signatureDefs: 7 } as const;
const MODEL_FIELD_COUNT = 8;
const BUFFER = { data: 0, offset: 1, size: 2 } as const;
const METADATA = { name: 0, buffer: 1 } as const;
// metadata_schema.fbs
const MODEL_METADATA = { name: 0, description: 1, version: 2, subgraphMetadata: 3, author: 4, license: 5, associatedFiles: 6, minParserVersion: 7 } as const;
const SUBGRAPH_METADATA = { name: 0, description: 1, inputTensorMetadata: 2 } as const;
const TENSOR_METADATA = { name: 0, description: 1, dimensionNames: 2, content: 3, processUnits: 4 } as const;
const CONTENT = { contentPropertiesType: 0, contentProperties: 1 } as const;
const IMAGE_PROPERTIES = { colorSpace: 0 } as const;
const PROCESS_UNIT = { optionsType: 0, options: 1 } as const;
const NORMALIZATION_OPTIONS = { mean: 0, std: 1 } as const;
/** Union tags: ContentProperties.ImageProperties = 2, ProcessUnitOptions.NormalizationOptions = 1; ColorSpaceType.RGB = 1. */
const CONTENT_IMAGE_PROPERTIES = 2;
const PROCESS_UNIT_NORMALIZATION = 1;
const COLOR_SPACE_RGB = 1;

/** Builds a `ModelMetadata` flatbuffer (identifier `M001`) describing one RGB image input with normalization. */
export function buildImageInputMetadata(options: ImageInputMetadata): Uint8Array {
  const b = new Builder(512);
  const floats = (values: readonly number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]!);
    return b.endVector();
  };
  const offsets = (values: readonly number[]) => {
    b.startVector(4, values.length, 4);
    for (let i = values.length - 1; i >= 0; i--) b.addOffset(values[i]!);
    return b.endVector();
  };

  const mean = floats(options.mean);
  const std = floats(options.std);
  b.startObject(2);
  b.addFieldOffset(NORMALIZATION_OPTIONS.mean, mean, 0);
  b.addFieldOffset(NORMALIZATION_OPTIONS.std, std, 0);
  const normalization = b.endObject();

  b.startObject(2);
  b.addFieldInt8(PROCESS_UNIT.optionsType, PROCESS_UNIT_NORMALIZATION, 0);
  b.addFieldOffset(PROCESS_UNIT.options, normalization, 0);
  const processUnit = b.endObject();
  const processUnits = offsets([processUnit]);

  b.startObject(2);
  b.addFieldInt8(IMAGE_PROPERTIES.colorSpace, COLOR_SPACE_RGB, 0);
  const imageProperties = b.endObject();

  b.startObject(3);
  b.addFieldInt8(CONTENT.contentPropertiesType, CONTENT_IMAGE_PROPERTIES, 0);
  b.addFieldOffset(CONTENT.contentProperties, imageProperties, 0);
  const content = b.endObject();

  const tensorName = b.createString('image');
  const tensorDescription = b.createString('Input image, RGB, 8 bits per channel, normalized as (x - mean) / std.');
  b.startObject(7);
  b.addFieldOffset(TENSOR_METADATA.name, tensorName, 0);
  b.addFieldOffset(TENSOR_METADATA.description, tensorDescription, 0);
  b.addFieldOffset(TENSOR_METADATA.content, content, 0);
  b.addFieldOffset(TENSOR_METADATA.processUnits, processUnits, 0);
  const tensor = b.endObject();
  const inputs = offsets([tensor]);

  b.startObject(10);
  b.addFieldOffset(SUBGRAPH_METADATA.inputTensorMetadata, inputs, 0);
  const subgraph = b.endObject();
  const subgraphs = offsets([subgraph]);

  const name = b.createString(options.modelName);
  const parserVersion = b.createString('1.0.0');
  b.startObject(8);
  b.addFieldOffset(MODEL_METADATA.name, name, 0);
  b.addFieldOffset(MODEL_METADATA.subgraphMetadata, subgraphs, 0);
  b.addFieldOffset(MODEL_METADATA.minParserVersion, parserVersion, 0);
  const root = b.endObject();
  b.finish(root, 'M001');
  return b.asUint8Array().slice();
}

/** Thrown (as a plain Error; callers wrap it) when the input is not a TFLite model this code can extend. */
function fail(message: string): never {
  throw new Error(`TFLite metadata: ${message}`);
}

/** Absolute position a uoffset field at `pos` points to. */
function target(bb: ByteBuffer, pos: number): number {
  return pos + bb.readUint32(pos);
}

/** Positions of the tables a vector of tables at field position `fieldPos` lists. */
function tablesOfVector(bb: ByteBuffer, fieldPos: number): number[] {
  const vector = target(bb, fieldPos);
  const length = bb.readUint32(vector);
  const tables: number[] = [];
  for (let i = 0; i < length; i++) tables.push(target(bb, vector + 4 + 4 * i));
  return tables;
}

/** Reads a string field of a table (undefined when absent). */
function stringField(bb: ByteBuffer, table: number, slot: number): string | undefined {
  const offset = bb.__offset(table, 4 + 2 * slot);
  if (offset === 0) return undefined;
  const s = target(bb, table + offset);
  const length = bb.readUint32(s);
  return Buffer.from(bb.bytes().subarray(s + 4, s + 4 + length)).toString('utf8');
}

/** A little writer for the new prefix, with absolute positions. */
class PrefixWriter {
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private ensure(size: number): void {
    if (this.length + size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + size));
    grown.set(this.bytes);
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  align(alignment: number, extra = 0): void {
    while ((this.length + extra) % alignment !== 0) this.u8(0);
  }
  u8(value: number): number {
    this.ensure(1);
    this.view.setUint8(this.length, value);
    return this.length++;
  }
  u16(value: number): number {
    this.ensure(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
    return this.length - 2;
  }
  u32(value: number): number {
    this.ensure(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
    return this.length - 4;
  }
  i32(value: number): number {
    this.ensure(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
    return this.length - 4;
  }
  raw(data: Uint8Array): number {
    this.ensure(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
    return this.length - data.length;
  }
  setU32(pos: number, value: number): void {
    this.view.setUint32(pos, value, true);
  }
  setI32(pos: number, value: number): void {
    this.view.setInt32(pos, value, true);
  }
  /** Reserves a uoffset slot at the current position; it is pointed at its absolute target later. */
  reserveOffset(): number {
    return this.u32(0);
  }
  point(fieldPos: number, absoluteTarget: number): void {
    if (absoluteTarget <= fieldPos) fail(`internal: offset at ${fieldPos} would point backwards to ${absoluteTarget}`);
    this.setU32(fieldPos, absoluteTarget - fieldPos);
  }
  /** Writes a vtable for a table with `fieldSlots` (slot -> byte offset within the table), returns its position. */
  vtable(slotCount: number, tableSize: number, fieldSlots: ReadonlyMap<number, number>): number {
    this.align(2);
    const pos = this.u16(4 + 2 * slotCount);
    this.u16(tableSize);
    for (let slot = 0; slot < slotCount; slot++) this.u16(fieldSlots.get(slot) ?? 0);
    return pos;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** True when the model already carries a `TFLITE_METADATA` entry. */
export function hasTfliteMetadata(model: Uint8Array): boolean {
  const bb = new ByteBuffer(model);
  if (model.length < 8 || !bb.__has_identifier('TFL3')) fail('not a TFLite model (no TFL3 identifier)');
  const root = bb.readUint32(0);
  const offset = bb.__offset(root, 4 + 2 * MODEL.metadata);
  if (offset === 0) return false;
  return tablesOfVector(bb, root + offset).some((t) => stringField(bb, t, METADATA.name) === TFLITE_METADATA_NAME);
}

/**
 * Returns a copy of `model` with `metadata` (a ModelMetadata flatbuffer) attached as a new buffer and a
 * `TFLITE_METADATA` entry. Throws when the model already has one, or stores buffers outside the flatbuffer.
 */
export function attachTfliteMetadata(model: Uint8Array, metadata: Uint8Array): Uint8Array {
  if (hasTfliteMetadata(model)) fail(`the model already has a ${TFLITE_METADATA_NAME} entry`);
  const bb = new ByteBuffer(model);
  const root = bb.readUint32(0);
  const field = (slot: number) => {
    const offset = bb.__offset(root, 4 + 2 * slot);
    return offset === 0 ? undefined : root + offset;
  };
  const buffersField = field(MODEL.buffers);
  if (buffersField === undefined) fail('the model has no buffers vector');
  const oldBuffers = tablesOfVector(bb, buffersField);
  for (const buffer of oldBuffers) {
    // Models over 2 GB keep weights after the flatbuffer, addressed from the file start; moving them would break that.
    if (bb.__offset(buffer, 4 + 2 * BUFFER.offset) !== 0) fail('the model stores buffers outside the flatbuffer (offset/size); not supported');
  }
  const metadataField = field(MODEL.metadata);
  const oldMetadata = metadataField === undefined ? [] : tablesOfVector(bb, metadataField);

  const w = new PrefixWriter();
  // Header: root uoffset, then the file identifier.
  const rootRef = w.reserveOffset();
  w.raw(new TextEncoder().encode('TFL3'));

  // The new root Model table: every present field of the old root, plus buffers and metadata.
  const slots = new Map<number, number>();
  let slotOffset = 4;
  for (let slot = 0; slot < MODEL_FIELD_COUNT; slot++) {
    if (field(slot) !== undefined || slot === MODEL.buffers || slot === MODEL.metadata) {
      slots.set(slot, slotOffset);
      slotOffset += 4;
    }
  }
  const vtable = w.vtable(MODEL_FIELD_COUNT, slotOffset, slots);
  w.align(4);
  const table = w.i32(0);
  w.setI32(table, table - vtable);
  w.setU32(rootRef, table);
  const fieldPos = new Map<number, number>();
  for (const slot of slots.keys()) fieldPos.set(slot, w.u32(0));

  // New buffers vector: old Buffer tables, then the new one.
  w.align(4);
  const buffersVector = w.u32(oldBuffers.length + 1);
  const bufferRefs = oldBuffers.map(() => w.reserveOffset());
  const newBufferRef = w.reserveOffset();
  // New metadata vector: old entries, then TFLITE_METADATA.
  const metadataVector = w.u32(oldMetadata.length + 1);
  const metadataRefs = oldMetadata.map(() => w.reserveOffset());
  const newMetadataRef = w.reserveOffset();

  // The Metadata table { name, buffer }.
  const metadataVtable = w.vtable(2, 12, new Map([[METADATA.name, 4], [METADATA.buffer, 8]]));
  w.align(4);
  const metadataTable = w.i32(0);
  w.setI32(metadataTable, metadataTable - metadataVtable);
  const nameRef = w.reserveOffset();
  w.u32(oldBuffers.length); // the index of the new buffer
  const nameBytes = new TextEncoder().encode(TFLITE_METADATA_NAME);
  w.align(4);
  const nameString = w.u32(nameBytes.length);
  w.raw(nameBytes);
  w.u8(0);

  // The Buffer table { data }, its data 16-byte aligned (schema: force_align 16).
  const bufferVtable = w.vtable(3, 8, new Map([[BUFFER.data, 4]]));
  w.align(4);
  const bufferTable = w.i32(0);
  w.setI32(bufferTable, bufferTable - bufferVtable);
  const dataRef = w.reserveOffset();
  w.align(16, 4);
  const dataVector = w.u32(metadata.length);
  w.raw(metadata);
  w.align(16);
  const shift = w.length;

  // Point everything: old targets move by `shift`.
  for (const [slot, pos] of fieldPos) {
    if (slot === MODEL.buffers) w.point(pos, buffersVector);
    else if (slot === MODEL.metadata) w.point(pos, metadataVector);
    else if (slot === MODEL.version) w.setU32(pos, bb.readUint32(field(slot)!));
    else w.point(pos, shift + target(bb, field(slot)!));
  }
  oldBuffers.forEach((t, i) => w.point(bufferRefs[i]!, shift + t));
  w.point(newBufferRef, bufferTable);
  oldMetadata.forEach((t, i) => w.point(metadataRefs[i]!, shift + t));
  w.point(newMetadataRef, metadataTable);
  w.point(nameRef, nameString);
  w.point(dataRef, dataVector);

  const prefix = w.result();
  const out = new Uint8Array(prefix.length + model.length);
  out.set(prefix);
  out.set(model, prefix.length);
  return out;
}

/** Reads back the metadata buffer a model carries under `TFLITE_METADATA` (undefined when none). */
export function readTfliteMetadata(model: Uint8Array): Uint8Array | undefined {
  const bb = new ByteBuffer(model);
  if (model.length < 8 || !bb.__has_identifier('TFL3')) fail('not a TFLite model (no TFL3 identifier)');
  const root = bb.readUint32(0);
  const metadataOffset = bb.__offset(root, 4 + 2 * MODEL.metadata);
  const buffersOffset = bb.__offset(root, 4 + 2 * MODEL.buffers);
  if (metadataOffset === 0 || buffersOffset === 0) return undefined;
  const entry = tablesOfVector(bb, root + metadataOffset).find((t) => stringField(bb, t, METADATA.name) === TFLITE_METADATA_NAME);
  if (entry === undefined) return undefined;
  const bufferSlot = bb.__offset(entry, 4 + 2 * METADATA.buffer);
  const index = bufferSlot === 0 ? 0 : bb.readUint32(entry + bufferSlot);
  const buffer = tablesOfVector(bb, root + buffersOffset)[index];
  if (buffer === undefined) fail(`metadata names buffer ${index}, which does not exist`);
  const dataSlot = bb.__offset(buffer, 4 + 2 * BUFFER.data);
  if (dataSlot === 0) return new Uint8Array(0);
  const vector = target(bb, buffer + dataSlot);
  return model.subarray(vector + 4, vector + 4 + bb.readUint32(vector));
}
