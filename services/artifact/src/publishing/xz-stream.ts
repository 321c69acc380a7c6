import { run } from './run';

/**
 * One .xz stream made of blocks compressed separately, so that an index of 10,000 packages is
 * recompressed one chunk at a time: apt reads a single xz stream only (it stops after the first of
 * concatenated streams), but a stream may hold any number of blocks. Each chunk is compressed by
 * xz on its own, its one block cut out of that stream, and the blocks are joined under a new
 * stream header, index and footer (the .xz file format, sections 2 and 4).
 */
export interface XzBlock {
  /** The block as it appears in a stream: header, compressed data, padding, check. */
  bytes: Buffer;
  /** Its size without the padding, as the stream's index records it. */
  unpadded: number;
  uncompressed: number;
}

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FOOTER_MAGIC = Buffer.from('YZ', 'ascii');
/** CRC64 checks, xz's default: every block joined into one stream must use the same check. */
const STREAM_FLAGS = Buffer.from([0x00, 0x04]);
/** xz -1: a fraction of the default preset's time, for a slightly larger index. */
const XZ_PRESET = '-1';

/** Compresses `data` into one block (xz writes a single block for input this size when single-threaded). */
export async function compressBlock(data: Buffer): Promise<XzBlock> {
  return singleBlockOf(await run('xz', [XZ_PRESET, '-T1', '--check=crc64', '--format=xz', '-c'], { input: data }));
}

/** The one block of a stream that has exactly one, with the sizes its index gives. */
export function singleBlockOf(stream: Buffer): XzBlock {
  if (stream.length < 24 || !stream.subarray(0, 6).equals(MAGIC) || !stream.subarray(stream.length - 2).equals(FOOTER_MAGIC)) throw new Error('not an .xz stream');
  if (!stream.subarray(6, 8).equals(STREAM_FLAGS)) throw new Error('the .xz stream does not use CRC64 checks');
  const indexSize = (stream.readUInt32LE(stream.length - 8) + 1) * 4;
  const indexStart = stream.length - 12 - indexSize;
  let offset = indexStart;
  if (stream[offset] !== 0x00) throw new Error('the .xz stream has no index where its footer says');
  offset += 1;
  const [records, afterCount] = readVarint(stream, offset);
  if (records !== 1) throw new Error(`the .xz stream has ${records} blocks, not one`);
  const [unpadded, afterUnpadded] = readVarint(stream, afterCount);
  const [uncompressed] = readVarint(stream, afterUnpadded);
  return { bytes: stream.subarray(12, indexStart), unpadded, uncompressed };
}

/** One stream of the blocks, in order; no blocks make a valid empty stream. */
export function assembleStream(blocks: XzBlock[]): Buffer {
  const header = Buffer.concat([MAGIC, STREAM_FLAGS, uint32(crc32(STREAM_FLAGS))]);
  const records = [Buffer.from([0x00]), varint(blocks.length), ...blocks.flatMap((block) => [varint(block.unpadded), varint(block.uncompressed)])];
  let index = Buffer.concat(records);
  index = Buffer.concat([index, Buffer.alloc((4 - (index.length % 4)) % 4)]);
  index = Buffer.concat([index, uint32(crc32(index))]);
  const backward = uint32(index.length / 4 - 1);
  const footer = Buffer.concat([uint32(crc32(Buffer.concat([backward, STREAM_FLAGS]))), backward, STREAM_FLAGS, FOOTER_MAGIC]);
  return Buffer.concat([header, ...blocks.map((block) => block.bytes), index, footer]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function readVarint(data: Buffer, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let offset = start; offset < start + 9; offset += 1) {
    const byte = data[offset] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, offset + 1];
    scale *= 0x80;
  }
  throw new Error('an .xz size longer than nine bytes');
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
