// Every torch kernel against the cpu backend, by fast-check properties over random shapes,
// broadcasting, axes, strides, paddings, dilations and dtypes (relative error <= 1e-4).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fallbackKernelsUsed, resetFallbackKernelsUsed } from '../src/index.js';
import { SKIP, compareKernel, relErr, tensor } from './helpers.js';

const RUNS = 25;
const shapeArb = (minRank = 0, maxRank = 4, maxDim = 5) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const seedArb = fc.integer({ min: 1, max: 1 << 30 });

/** A shape and one that broadcasts against it (dims set to 1, leading dims dropped), either order. */
const broadcastArb = fc.tuple(shapeArb(0, 4), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(4), fc.boolean())
  .map(([a, ones, drop, swap]) => {
    const b = a.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(drop, a.length));
    return swap ? [b, a] : [a, b];
  });

const prop = <T>(arb: fc.Arbitrary<T>, f: (v: T) => void, numRuns = RUNS) => fc.assert(fc.property(arb, f), { numRuns });

describe.skipIf(SKIP !== null)('torch kernels match cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('torch');
    resetFallbackKernelsUsed();
  });

  const unaryFloat = ['Abs', 'Neg', 'Exp', 'Expm1', 'Sqrt', 'Rsqrt', 'Log', 'Log1p', 'Square', 'Reciprocal', 'Sign', 'Floor', 'Ceil',
    'Round', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Erf', 'Softplus', 'Elu', 'Selu'];
  it.each(unaryFloat)('%s', (name) => {
    const positive = ['Sqrt', 'Rsqrt', 'Log', 'Log1p', 'Reciprocal'].includes(name);
    prop(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      compareKernel(name, () => {
        const x = tf.mul(tensor(shape, seed), 4);
        return { x: positive ? tf.add(tf.abs(x), 0.1) : x };
      });
    });
  });

  it.each(['LeakyRelu', 'Step'])('%s with alpha', (name) => {
    prop(fc.tuple(shapeArb(), seedArb, fc.double({ min: -1, max: 1, noNaN: true })), ([shape, seed, alpha]) => {
      compareKernel(name, () => ({ x: tensor(shape, seed) }), { alpha });
    });
  });

  it('ClipByValue', () => {
    prop(fc.tuple(shapeArb(), seedArb, fc.double({ min: -1, max: 0, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
      ([shape, seed, lo, hi]) => compareKernel('ClipByValue', () => ({ x: tensor(shape, seed) }), { clipValueMin: lo, clipValueMax: hi }));
  });

  it.each(['IsNan', 'IsInf', 'IsFinite'])('%s', (name) => {
    compareKernel(name, () => ({ x: tf.tensor([NaN, Infinity, -Infinity, 0, 1.5]) }));
  });

  it('LogicalNot', () => {
    prop(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => compareKernel('LogicalNot', () => ({ x: tensor(shape, seed, 'bool') })));
  });

  const binaryFloat = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference', 'Pow', 'Mod', 'FloorDiv', 'Atan2'];
  it.each(binaryFloat)('%s with broadcasting (float32)', (name) => {
    prop(fc.tuple(broadcastArb, seedArb), ([[sa, sb], seed]) => {
      compareKernel(name, () => {
        let a = tensor(sa, seed);
        let b = tensor(sb, seed + 1);
        if (name === 'Pow') a = tf.add(tf.abs(a), 0.5);
        if (name === 'RealDiv' || name === 'Mod' || name === 'FloorDiv') b = tf.add(tf.sign(b).add(0.5).sign(), b);
        return { a, b };
      });
    });
  });

  it.each(['Add', 'Sub', 'Multiply', 'Maximum', 'Minimum', 'FloorDiv', 'Mod', 'SquaredDifference'])('%s with broadcasting (int32)', (name) => {
    prop(fc.tuple(broadcastArb, seedArb), ([[sa, sb], seed]) => {
      compareKernel(name, () => {
        const b = tensor(sb, seed + 1, 'int32', 1, 6);
        return { a: tensor(sa, seed, 'int32'), b: name === 'FloorDiv' || name === 'Mod' ? tf.mul(b, tf.scalar(-1, 'int32')) : b };
      });
    });
  });

  it.each(['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual'])('%s (float32 and int32)', (name) => {
    prop(fc.tuple(broadcastArb, seedArb, fc.constantFrom('float32' as const, 'int32' as const)), ([[sa, sb], seed, dtype]) => {
      compareKernel(name, () => ({ a: tensor(sa, seed, dtype, -2, 2), b: tensor(sb, seed + 1, dtype, -2, 2) }));
    });
  });

  it.each(['LogicalAnd', 'LogicalOr'])('%s', (name) => {
    prop(fc.tuple(broadcastArb, seedArb), ([[sa, sb], seed]) => {
      compareKernel(name, () => ({ a: tensor(sa, seed, 'bool'), b: tensor(sb, seed + 1, 'bool') }));
    });
  });

  it('Prelu and EluGrad', () => {
    prop(fc.tuple(broadcastArb, seedArb), ([[sa, sb], seed]) => {
      const big = sa.length >= sb.length ? sa : sb;
      compareKernel('Prelu', () => ({ x: tensor(big, seed), alpha: tensor(big.slice(-1), seed + 1) }));
      compareKernel('EluGrad', () => ({ dy: tensor(big, seed), y: tensor(big, seed + 2) }));
    });
  });

  it('AddN', () => {
    prop(fc.tuple(shapeArb(), seedArb, fc.integer({ min: 1, max: 4 })), ([shape, seed, k]) => {
      compareKernel('AddN', () => Array.from({ length: k }, (_, i) => tensor(shape, seed + i)) as never);
    });
  });

  const axesArb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape),
    fc.subarray(shape.map((_, i) => i)), fc.boolean(), seedArb));
  it.each(['Sum', 'Mean', 'Max', 'Min', 'Prod'])('%s over random axes', (name) => {
    prop(axesArb, ([shape, axes, keepDims, seed]) => {
      const key = name === 'Max' ? 'reductionIndices' : 'axis';
      compareKernel(name, () => ({ x: tensor(shape, seed) }), { [key]: axes, keepDims });
      if (name !== 'Mean') compareKernel(name, () => ({ x: tensor(shape, seed, 'int32', -3, 4) }), { [key]: axes, keepDims });
    });
  });

  it.each(['All', 'Any'])('%s over random axes', (name) => {
    prop(axesArb, ([shape, axes, keepDims, seed]) => compareKernel(name, () => ({ x: tensor(shape, seed, 'bool') }), { axis: axes, keepDims }));
  });

  it.each(['ArgMax', 'ArgMin'])('%s', (name) => {
    prop(shapeArb(1, 4).chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), seedArb)), ([shape, axis, seed]) => {
      compareKernel(name, () => ({ x: tensor(shape, seed) }), { axis });
      compareKernel(name, () => ({ x: tensor(shape, seed, 'int32', 0, 3) }), { axis }); // ties: first index
    });
  });

  it.each(['Cumsum', 'Cumprod'])('%s', (name) => {
    prop(shapeArb(1, 3).chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.boolean(), fc.boolean(), seedArb)),
      ([shape, axis, exclusive, reverse, seed]) => compareKernel(name, () => ({ x: tensor(shape, seed) }), { axis, exclusive, reverse }));
  });

  it('Softmax', () => {
    prop(fc.tuple(shapeArb(1, 3), seedArb), ([shape, seed]) => {
      compareKernel('Softmax', () => ({ logits: tf.mul(tensor(shape, seed), 10) }), { dim: -1 });
    });
  });

  it('Cast between float32, int32 and bool', () => {
    const dtypes = ['float32', 'int32', 'bool'] as const;
    prop(fc.tuple(shapeArb(), seedArb, fc.constantFrom(...dtypes), fc.constantFrom(...dtypes)), ([shape, seed, from, to]) => {
      compareKernel('Cast', () => ({ x: from === 'float32' ? tf.mul(tensor(shape, seed), 5) : tensor(shape, seed, from) }), { dtype: to });
    });
  });

  it('Reshape, Transpose, Tile, Reverse', () => {
    prop(fc.tuple(shapeArb(1, 4), seedArb), ([shape, seed]) => {
      const perm = shape.map((_, i) => i).reverse();
      compareKernel('Reshape', () => ({ x: tensor(shape, seed) }), { shape: [-1] });
      compareKernel('Transpose', () => ({ x: tensor(shape, seed) }), { perm });
      compareKernel('Tile', () => ({ x: tensor(shape, seed, 'int32') }), { reps: shape.map((d) => 1 + (d % 3)) });
      compareKernel('Reverse', () => ({ x: tensor(shape, seed) }), { dims: perm.filter((d) => d % 2 === 0) });
    });
  });

  it('Slice and StridedSlice', () => {
    const arb = shapeArb(1, 4).chain((shape) => fc.tuple(fc.constant(shape),
      fc.tuple(...shape.map((d) => fc.tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: d })))),
      fc.tuple(...shape.map(() => fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0))), fc.nat(15), fc.nat(15), fc.nat(15), seedArb));
    prop(arb, ([shape, ranges, strides, beginMask, endMask, shrinkMask, seed]) => {
      const begin = ranges.map(([b]) => b);
      const size = ranges.map(([b, n], i) => Math.min(n, shape[i] - b));
      compareKernel('Slice', () => ({ x: tensor(shape, seed) }), { begin, size });
      const end = ranges.map(([b, n], i) => (strides[i] > 0 ? b + n : b - n));
      compareKernel('StridedSlice', () => ({ x: tensor(shape, seed) }),
        { begin, end, strides, beginMask, endMask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: shrinkMask & 0 });
      compareKernel('StridedSlice', () => ({ x: tensor(shape, seed) }),
        { begin, end: begin.map((b) => b + 1), strides: strides.map(() => 1), beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: shrinkMask });
    });
  });

  it('Concat, SplitV, Unpack, Pack', () => {
    prop(shapeArb(1, 4).chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), fc.integer({ min: 1, max: 3 }), seedArb)),
      ([shape, axis, k, seed]) => {
        compareKernel('Concat', () => Array.from({ length: k }, (_, i) => tensor(shape, seed + i)) as never, { axis });
        compareKernel('SplitV', () => ({ x: tensor(shape, seed) }), { numOrSizeSplits: [shape[axis] - 1, 1].filter((d) => d > 0), axis });
        compareKernel('Unpack', () => ({ value: tensor(shape, seed) }), { axis });
        compareKernel('Pack', () => Array.from({ length: k }, (_, i) => tensor(shape, seed + i)) as never, { axis: axis - shape.length });
      });
  });

  it('PadV2', () => {
    prop(fc.tuple(shapeArb(1, 4), seedArb, fc.double({ min: -2, max: 2, noNaN: true })), ([shape, seed, v]) => {
      compareKernel('PadV2', () => ({ x: tensor(shape, seed) }), { paddings: shape.map((d) => [d % 2, (d + 1) % 3]), constantValue: v });
    });
  });

  it('GatherV2', () => {
    prop(shapeArb(1, 4).chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1), shapeArb(0, 2), seedArb)), ([shape, axis, ishape, seed]) => {
      compareKernel('GatherV2', () => ({ x: tensor(shape, seed), indices: tensor(ishape, seed, 'int32', 0, shape[axis]) }), { axis, batchDims: 0 });
    });
  });

  it('OneHot (out-of-range indices give off values)', () => {
    prop(fc.tuple(shapeArb(0, 2), fc.integer({ min: 1, max: 7 }), seedArb), ([shape, depth, seed]) => {
      compareKernel('OneHot', () => ({ indices: tensor(shape, seed, 'int32', -1, depth + 1) }), { depth, onValue: 3, offValue: -1, dtype: 'float32' });
    });
  });

  // tf.where broadcasts the condition before the kernel runs, so Select sees equal shapes.
  it('Select', () => {
    prop(fc.tuple(shapeArb(0, 4), seedArb), ([shape, seed]) => {
      compareKernel('Select', () => ({ condition: tensor(shape, seed, 'bool'), t: tensor(shape, seed + 1), e: tensor(shape, seed + 2) }));
    });
  });

  it('Fill, ZerosLike, OnesLike', () => {
    prop(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      compareKernel('Fill', () => ({}), { shape, value: 2.5, dtype: 'float32' });
      compareKernel('ZerosLike', () => ({ x: tensor(shape, seed, 'int32') }));
      compareKernel('OnesLike', () => ({ x: tensor(shape, seed) }));
    });
  });

  it('BatchMatMul and _FusedMatMul, with transposes and batch broadcasting', () => {
    const arb = fc.record({ b: fc.integer({ min: 1, max: 3 }), m: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 6 }),
      n: fc.integer({ min: 1, max: 6 }), ta: fc.boolean(), tb: fc.boolean(), bcast: fc.boolean(), seed: seedArb,
      act: fc.constantFrom('linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu') });
    prop(arb, ({ b, m, k, n, ta, tb, bcast, seed, act }) => {
      const a = () => tensor(ta ? [b, k, m] : [b, m, k], seed);
      const bb = () => tensor(tb ? [bcast ? 1 : b, n, k] : [bcast ? 1 : b, k, n], seed + 1);
      compareKernel('BatchMatMul', () => ({ a: a(), b: bb() }), { transposeA: ta, transposeB: tb });
      compareKernel('_FusedMatMul', () => ({ a: a(), b: bb(), bias: tensor([n], seed + 2) }),
        { transposeA: ta, transposeB: tb, activation: act, leakyreluAlpha: 0.3 });
    });
  });

  it('BatchMatMul of rank-2 operands (oneDNN path), with transposes, up to a dense layer of MobileNetV2', () => {
    const arb = fc.record({ m: fc.integer({ min: 1, max: 70 }), k: fc.integer({ min: 1, max: 70 }), n: fc.integer({ min: 1, max: 70 }),
      ta: fc.boolean(), tb: fc.boolean(), seed: seedArb });
    prop(arb, ({ m, k, n, ta, tb, seed }) => {
      compareKernel('BatchMatMul', () => ({ a: tensor(ta ? [k, m] : [m, k], seed), b: tensor(tb ? [n, k] : [k, n], seed + 1) }),
        { transposeA: ta, transposeB: tb });
    });
    for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) {
      compareKernel('BatchMatMul', () => ({ a: tensor(ta ? [1280, 64] : [64, 1280], 3), b: tensor(tb ? [100, 1280] : [1280, 100], 4) }),
        { transposeA: ta, transposeB: tb });
    }
  });

  it('FusedBatchNorm (per-channel statistics, with and without offset/scale)', () => {
    prop(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), seedArb),
      ([n, hw, c, affine, seed]) => {
        compareKernel('FusedBatchNorm', () => ({
          x: tensor([n, hw, hw, c], seed), mean: tensor([c], seed + 1), variance: tf.abs(tensor([c], seed + 2)),
          ...(affine ? { offset: tensor([c], seed + 3), scale: tensor([c], seed + 4) } : {}),
        }), { varianceEpsilon: 1e-3 });
      });
  });

  it('the fused gradients (FusedBatchNorm, Relu, Relu6, Mean) equal TF.js\'s composed ones on cpu', () => {
    prop(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean(), seedArb),
      ([n, hw, c, affine, rank4, seed]) => {
        const shape = rank4 ? [n, hw, hw, c] : [n * hw, c];
        const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => {
          // (TF.js's engine cannot differentiate batchNorm with a missing offset or scale: always given)
          const y = tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
          return tf.sum(tf.mul(tf.add(tf.relu(y), tf.relu6(tf.mul(y, 4))), tensor(shape, seed + 9)));
        };
        const grads = (backend: string) => {
          tf.setBackend(backend);
          return tf.tidy(() => {
            const x = tensor(shape, seed);
            const { mean, variance } = tf.moments(x, rank4 ? [0, 1, 2] : [0]);
            const o = tensor([c], seed + 3), s = tensor([c], seed + 4);
            const gs = affine
              ? tf.grads((a: tf.Tensor, b: tf.Tensor, v: tf.Tensor, oo: tf.Tensor, ss: tf.Tensor) => f(a, b, tf.abs(v), oo, ss))([x, mean, tf.add(variance, 0.5), o, s])
              : tf.grads((a: tf.Tensor, b: tf.Tensor, v: tf.Tensor, ss: tf.Tensor) => f(a, b, tf.abs(v), o, ss))([x, mean, tf.add(variance, 0.5), s]);
            const viaMoments = tf.grad((a: tf.Tensor) => { const m = tf.moments(a, rank4 ? [0, 1, 2] : [0]); return f(a, m.mean, m.variance, tf.zeros([c]), tf.ones([c])); })(x);
            return [...gs, viaMoments].map((g) => Array.from(g.dataSync()));
          });
        };
        const cpu = grads('cpu');
        const torch = grads('torch');
        cpu.forEach((g, i) => expect(relErr(torch[i], g), `gradient ${i}`).toBeLessThanOrEqual(1e-4));
      });
  });

  it('uses no cpu fallback in any of the tests above', () => {
    expect(fallbackKernelsUsed()).toEqual([]);
  });
});
