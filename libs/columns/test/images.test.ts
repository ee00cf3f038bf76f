import { Field, FixedSizeBinary, makeData, RecordBatch, Schema, Struct, Uint8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readImages } from '../src/index.js';

function imageBatch(rows: number, width = 3072): RecordBatch {
  const bytes = new Uint8Array(rows * width).map((_, i) => i % 251);
  const type = new FixedSizeBinary(width);
  const image = makeData({ type, length: rows, nullCount: 0, data: bytes });
  const fine = makeData({ type: new Uint8(), length: rows, nullCount: 0, data: new Uint8Array(rows) });
  const schema = new Schema([new Field('image', type, false), new Field('fine', new Uint8(), false)]);
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [image, fine] });
  return new RecordBatch(schema, struct);
}

describe('readImages', () => {
  it('returns the image bytes as one zero-copy view', () => {
    const batch = imageBatch(3);
    const images = readImages(batch);
    expect(images.length).toBe(3 * 3072);
    expect(images[3072 + 5]).toBe((3072 + 5) % 251);
    expect(images.buffer).toBe((batch.getChild('image')!.data[0].values as Uint8Array).buffer);
  });

  it('names the column when it is missing or mistyped', () => {
    const batch = imageBatch(2);
    const noImage = new RecordBatch({ fine: batch.getChild('fine')!.data[0] });
    expect(() => readImages(noImage, 'stdin')).toThrow(/image/);
    expect(() => readImages(imageBatch(2, 16), 'stdin')).toThrow(/column "image".*FixedSizeBinary\[16\].*expected FixedSizeBinary\[3072\]/);
  });
});
