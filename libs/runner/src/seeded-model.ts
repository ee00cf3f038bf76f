import type * as tf from '@tensorflow/tfjs';
import { mixSeed, mulberry32 } from '@atkd/data';
import { createModel } from '@atkd/models';

/**
 * A zoo model with initial weights drawn from `seed`: TF.js initialisers draw their seeds from
 * Math.random, which is replaced by a seeded generator while the model is built.
 */
export function seededModel(name: string, seed: number, classes = 100): tf.LayersModel {
  const saved = Math.random;
  const next = mulberry32(mixSeed(seed >>> 0, 0x5eed));
  Math.random = () => {
    const v = next();
    return v === 0 ? 0.5 : v; // tfjs treats a seed of 0 as "no seed"
  };
  try {
    return createModel(name, { classes });
  } finally {
    Math.random = saved;
  }
}
