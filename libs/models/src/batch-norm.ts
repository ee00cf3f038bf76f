// The zoo's batch norm: TF.js's BatchNormalization layer, with its training-mode forward pass run as
// ONE kernel where the active backend registers it (the torch engine's AtkdBatchNormTrain: ATen's
// native_batch_norm forward, and one native_batch_norm_backward as its gradient). TF.js's own
// training path composes `moments` (Mean, Reshape, Sub, Square, Mean) with FusedBatchNorm, about ten
// full-activation passes forward and back; PyTorch does two or three.
// Everything else (inference, the weights, the config, the moving averages' arithmetic) is the
// stock layer's, and on a backend without the kernel (cpu, wasm, webgl) every call is the stock
// layer's own, so those backends compute exactly what they did. ATKD_FUSED_BN=0 turns the fused
// path off (for A/B measurements).
// The class keeps TF.js's class name 'BatchNormalization' and is registered under it, so a saved
// model loads with stock TF.js and a model loaded here (e.g. a resumed student) takes the fast path.
import * as tf from '@tensorflow/tfjs';

/** Kernel contract: inputs { x: [..., C] (rank 4 or 2), scale: [C], offset: [C] }, attrs { varianceEpsilon },
 * outputs [y, batch mean [C], batch variance [C] divided by N as TF.js's `moments`]. */
export const BATCH_NORM_TRAIN_KERNEL = 'AtkdBatchNormTrain';

type Kwargs = Record<string, unknown>;
type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type StockLayer = ReturnType<typeof tf.layers.batchNormalization>;
type StockCtor = new (args?: BatchNormArgs) => StockLayer;

/** The stock layer's fields the fused path reads (private in TF.js's typings). */
interface Internals {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly gamma: tf.LayerVariable;
  readonly beta: tf.LayerVariable;
  readonly movingMean: tf.LayerVariable;
  readonly movingVariance: tf.LayerVariable;
}

const FUSED = Symbol.for('atkd.fusedBatchNormalization');
const registeredClass = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization']?.[0] as unknown as
  (StockCtor & { [FUSED]?: StockCtor }) | undefined;
if (registeredClass === undefined) throw new Error('@atkd/models: TF.js has no BatchNormalization layer registered');
/** TF.js's BatchNormalization (also when this module was loaded twice and registered itself already). */
const Stock: StockCtor = registeredClass[FUSED] ?? registeredClass;

/** Whether the fused training path is on (ATKD_FUSED_BN=0 turns it off). */
function fusedSwitchOn(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.['ATKD_FUSED_BN'] !== '0';
}

/** Whether the active backend runs train-mode batch norm as one kernel (and ATKD_FUSED_BN is not 0). */
export function fusedBatchNormActive(): boolean {
  return fusedSwitchOn() && tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend()) !== undefined;
}

/** TF.js's moving average, op for op as the stock layer does it: v - (v - value) * (1 - momentum). */
function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
  });
}

export class BatchNormalization extends Stock {
  static readonly className = 'BatchNormalization';
  static readonly [FUSED] = Stock;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as Internals;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (!kwargs['training'] || !(x.rank === 4 || x.rank === 2) || !lastAxis || !self.center || !self.scale || !fusedBatchNormActive()) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL,
        { x, scale: self.gamma.read(), offset: self.beta.read() }, { varianceEpsilon: self.epsilon }) as tf.Tensor[];
      movingAverage(self.movingMean, mean, self.momentum);
      movingAverage(self.movingVariance, variance, self.momentum);
      return y;
    });
  }
}

tf.serialization.registerClass(BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A batch-norm layer (TF.js's arguments), fused in training where the backend allows it. */
export function batchNormalization(args: BatchNormArgs): BatchNormalization {
  return new BatchNormalization(args);
}
