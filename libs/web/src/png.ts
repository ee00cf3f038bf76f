/** Test and demo images for the pages: CIFAR images (CHW bytes) as PNG files a browser decodes to exactly these bytes. */
import { crc32, deflateSync } from 'node:zlib';

/** A PNG (8-bit RGB, no gamma or colour profile: browsers decode it to exactly these bytes). */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`encodePng: ${rgb.length} bytes for ${width}x${height} RGB`);
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** One CIFAR image (3 x 32 x 32 CHW bytes, as stored) as interleaved RGB. */
export function chwToRgb(chw: Uint8Array, size = 32): Uint8Array {
  const P = size * size;
  const out = new Uint8Array(P * 3);
  for (let p = 0; p < P; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = chw[c * P + p];
  return out;
}
