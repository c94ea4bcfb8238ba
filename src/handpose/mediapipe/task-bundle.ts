/**
 * MediaPipe `.task` bundles: plain zip archives of model files, stored without compression. The Tasks runtime
 * opens them in memory with minizip and reads each member from its local file header, so every local header carries
 * the CRC and the sizes (no data descriptors). Written deterministically: fixed order, a fixed date
 * (1980-01-01 00:00), no timestamps or attributes of the machine, and each member's data aligned to
 * {@link TASK_MEMBER_ALIGNMENT} bytes with a zipalign-style extra field (id 0xD935) in its local header.
 */
import { crc32 } from 'node:zlib';

/** Alignment of each member's data inside the bundle (TFLite buffers want 16). */
export const TASK_MEMBER_ALIGNMENT = 16;

/** One member of a bundle. */
export interface TaskMember {
  /** Name inside the archive (ASCII). */
  readonly name: string;
  readonly data: Uint8Array;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ALIGNMENT_EXTRA_ID = 0xd935;
/** MS-DOS date of 1980-01-01: ((1980 - 1980) << 9) | (1 << 5) | 1. */
const DOS_DATE_1980 = 0x21;
const VERSION_STORED = 10;

/** Writes `members` as an uncompressed zip archive (see the module comment). */
export function writeTaskBundle(members: readonly TaskMember[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const member of members) {
    const name = encoder.encode(member.name);
    if (member.data.length > 0xffffffff) throw new Error(`Task bundle member ${member.name} is too large for a zip without zip64`);
    const crc = crc32(member.data);
    // The extra field (id, size, alignment, zero padding) makes the data start at a multiple of the alignment.
    let extraLength = 6;
    while ((offset + 30 + name.length + extraLength) % TASK_MEMBER_ALIGNMENT !== 0) extraLength++;
    const local = new Uint8Array(30 + name.length + extraLength);
    const l = new DataView(local.buffer);
    l.setUint32(0, LOCAL_HEADER, true);
    l.setUint16(4, VERSION_STORED, true);
    l.setUint16(6, 0, true); // flags: no data descriptor
    l.setUint16(8, 0, true); // method: stored
    l.setUint16(10, 0, true); // time 00:00:00
    l.setUint16(12, DOS_DATE_1980, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, member.data.length, true);
    l.setUint32(22, member.data.length, true);
    l.setUint16(26, name.length, true);
    l.setUint16(28, extraLength, true);
    local.set(name, 30);
    l.setUint16(30 + name.length, ALIGNMENT_EXTRA_ID, true);
    l.setUint16(32 + name.length, extraLength - 4, true);
    l.setUint16(34 + name.length, TASK_MEMBER_ALIGNMENT, true);

    const entry = new Uint8Array(46 + name.length);
    const c = new DataView(entry.buffer);
    c.setUint32(0, CENTRAL_HEADER, true);
    c.setUint16(4, VERSION_STORED, true); // made by: MS-DOS, 1.0
    c.setUint16(6, VERSION_STORED, true);
    c.setUint16(8, 0, true);
    c.setUint16(10, 0, true);
    c.setUint16(12, 0, true);
    c.setUint16(14, DOS_DATE_1980, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, member.data.length, true);
    c.setUint32(24, member.data.length, true);
    c.setUint16(28, name.length, true);
    // extra, comment, disk number, internal and external attributes: all 0
    c.setUint32(42, offset, true);
    entry.set(name, 46);

    parts.push(local, member.data);
    central.push(entry);
    offset += local.length + member.data.length;
  }
  const centralOffset = offset;
  const centralSize = central.reduce((n, e) => n + e.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, END_OF_CENTRAL_DIRECTORY, true);
  e.setUint16(8, members.length, true);
  e.setUint16(10, members.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, centralOffset, true);

  const out = new Uint8Array(centralOffset + centralSize + end.length);
  let at = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Reads the members of a stored (uncompressed) zip archive through its central directory, checking each CRC.
 * Returns views into `bundle`.
 */
export function readTaskBundle(bundle: Uint8Array): TaskMember[] {
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  let end = -1;
  for (let i = bundle.length - 22; i >= Math.max(0, bundle.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('Not a zip archive: no end-of-central-directory record');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const members: TaskMember[] = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== CENTRAL_HEADER) throw new Error(`Zip central directory entry ${i} is damaged`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(bundle.subarray(at + 46, at + 46 + nameLength));
    if (method !== 0) throw new Error(`Zip member ${name} is compressed (method ${method}); only stored members are read`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const data = bundle.subarray(dataStart, dataStart + size);
    if (crc32(data) !== crc) throw new Error(`Zip member ${name} fails its CRC check`);
    members.push({ name, data });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}
