import { createHash } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';

/**
 * A SHA-256 (hex) of a model's architecture (its layers-format topology, with layer and model names
 * replaced by the layers' positions, since TF.js numbers auto-generated names globally) and of every
 * weight (shape, dtype and values, trainable and not: BN running statistics included). Models with
 * the same fingerprint compute the same logits. Reads the weights; creates no tensor.
 */
export function modelFingerprint(model: tf.LayersModel): string {
  const h = createHash('sha256');
  const names = new Map<string, string>();
  model.layers.forEach((layer, i) => names.set(layer.name, `#${i}`));
  names.set(model.name, '#model');
  const raw = model.toJSON(undefined, false);
  const topology: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  h.update(JSON.stringify(topology, (_key, value: unknown) => (typeof value === 'string' && names.has(value) ? names.get(value) : value)));
  for (const w of model.weights) {
    const v = w.read();
    h.update(`\n${v.shape.join('x')}|${v.dtype}|`);
    const data = v.dataSync();
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex');
}
