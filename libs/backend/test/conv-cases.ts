// Convolution geometries for the kernel properties of both engines (wasm's conv-grads, torch's conv).
import fc from 'fast-check';

export type Padding = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

export interface Case {
  n: number; h: number; w: number; ci: number; co: number; fh: number; fw: number;
  stride: [number, number]; dilation: [number, number]; pad: Padding; seed: number;
}

export const padArb: fc.Arbitrary<Padding> = fc.oneof(
  fc.constant('same' as const), fc.constant('valid' as const),
  fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(
    ([t, b, l, r]) => [[0, 0], [t, b], [l, r], [0, 0]] as [[0, 0], [number, number], [number, number], [0, 0]]),
);

/** Geometries where the output is non-empty; strides and dilations are not both > 1 (a TF.js rule). */
export const caseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
  ci: fc.integer({ min: 1, max: 5 }), co: fc.integer({ min: 1, max: 4 }),
  fh: fc.integer({ min: 1, max: 4 }), fw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 3 }), dw: fc.integer({ min: 1, max: 3 }),
  dilate: fc.boolean(), pad: padArb, seed: fc.integer({ min: 1, max: 1 << 30 }),
}).map((r) => ({
  n: r.n, h: r.h, w: r.w, ci: r.ci, co: r.co, fh: r.fh, fw: r.fw, pad: r.pad, seed: r.seed,
  stride: (r.dilate ? [1, 1] : [r.sh, r.sw]) as [number, number],
  dilation: (r.dilate ? [r.dh, r.dw] : [1, 1]) as [number, number],
})).filter((c) => {
  const effH = (c.fh - 1) * c.dilation[0] + 1, effW = (c.fw - 1) * c.dilation[1] + 1;
  if (c.pad === 'same') return true;
  const [pt, pb] = c.pad === 'valid' ? [0, 0] : c.pad[1];
  const [pl, pr] = c.pad === 'valid' ? [0, 0] : c.pad[2];
  return c.h + pt + pb >= effH && c.w + pl + pr >= effW;
});
