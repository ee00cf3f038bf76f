/**
 * SGD with momentum and weight decay with PyTorch's `torch.optim.SGD` semantics (dampening 0, no
 * Nesterov), and the step decay of `torch.optim.lr_scheduler.MultiStepLR`:
 *
 *   g   <- grad + weight_decay * p          (L2 decay added to the gradient)
 *   buf <- momentum * buf + g               (buf = g on the first step)
 *   p   <- p - lr * buf
 *   lr(epoch) = lr0 * decay ^ (number of milestones <= epoch)
 */
import * as tf from '@tensorflow/tfjs';

export interface SgdOptions {
  /** Initial learning rate (default 0.05, the authors' CIFAR-100 setting). */
  lr?: number;
  /** Momentum (default 0.9). */
  momentum?: number;
  /** L2 weight decay added to the gradient (default 5e-4). */
  weightDecay?: number;
  /** Epochs at which the learning rate is multiplied by `lrDecay` (default none). */
  milestones?: readonly number[];
  /** Factor of each step decay (default 0.1). */
  lrDecay?: number;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`SGD option ${name} must be a finite number >= 0, got ${v}`);
  return v;
}

/** The learning rate of epoch `epoch` (0-based) under step decay at `milestones`. */
export function stepDecayLr(lr: number, epoch: number, milestones: readonly number[] = [], decay = 0.1): number {
  let passed = 0;
  for (const m of milestones) if (epoch >= m) passed += 1;
  return lr * decay ** passed;
}

/** SGD with momentum and weight decay over a fixed list of variables; owns its momentum buffers. */
export class SgdMomentum {
  readonly lr0: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly milestones: readonly number[];
  readonly lrDecay: number;
  private readonly buffers = new Map<string, tf.Variable>();
  private disposed = false;

  constructor(options: SgdOptions = {}) {
    this.lr0 = nonNegative('lr', options.lr ?? 0.05);
    this.momentum = nonNegative('momentum', options.momentum ?? 0.9);
    this.weightDecay = nonNegative('weightDecay', options.weightDecay ?? 5e-4);
    this.lrDecay = nonNegative('lrDecay', options.lrDecay ?? 0.1);
    const milestones = [...(options.milestones ?? [])];
    for (const m of milestones) if (!Number.isInteger(m) || m < 0) throw new RangeError(`SGD option milestones must be whole epochs >= 0, got ${m}`);
    this.milestones = milestones.sort((a, b) => a - b);
  }

  /** The learning rate of `epoch` (0-based). */
  lrAt(epoch: number): number {
    return stepDecayLr(this.lr0, epoch, this.milestones, this.lrDecay);
  }

  /** Number of momentum buffers held (one per updated variable). */
  get size(): number {
    return this.buffers.size;
  }

  /**
   * Applies one update to every variable of `vars` with a gradient in `grads` (keyed by variable name)
   * at learning rate `lr`. Gradients are not disposed (the caller owns them).
   */
  apply(vars: readonly tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    if (this.disposed) throw new Error('SgdMomentum: used after dispose()');
    nonNegative('lr', lr);
    for (const v of vars) {
      const g = grads[v.name];
      if (g === undefined) continue;
      let buf = this.buffers.get(v.name);
      const first = buf === undefined;
      if (buf === undefined) {
        const zeros = tf.zerosLike(v);
        buf = tf.variable(zeros, false);
        zeros.dispose();
        this.buffers.set(v.name, buf);
      }
      const b = buf;
      tf.tidy(() => {
        const d = this.weightDecay === 0 ? g : tf.add(g, tf.mul(v, this.weightDecay));
        const next = first || this.momentum === 0 ? d : tf.add(tf.mul(b, this.momentum), d);
        b.assign(next);
        v.assign(tf.sub(v, tf.mul(b, lr)));
      });
    }
  }

  /**
   * The momentum buffer of variable `name` (undefined before its first update), e.g. to checkpoint
   * it. The optimizer owns it: do not dispose it.
   */
  buffer(name: string): tf.Tensor | undefined {
    return this.buffers.get(name);
  }

  /**
   * Restores the momentum buffer of variable `name` (e.g. from a checkpoint), replacing any previous
   * one; the next update then uses momentum, as after a first step. `values` is copied.
   */
  setBuffer(name: string, values: Float32Array, shape: readonly number[]): void {
    if (this.disposed) throw new Error('SgdMomentum: used after dispose()');
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new RangeError(`SgdMomentum.setBuffer('${name}'): ${values.length} values for shape [${shape.join(', ')}] (${size})`);
    }
    const t = tf.tensor(values, [...shape], 'float32');
    const next = tf.variable(t, false);
    t.dispose();
    this.buffers.get(name)?.dispose();
    this.buffers.set(name, next);
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
    this.disposed = true;
  }
}
