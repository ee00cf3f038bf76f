import { ZSCORE_EPS } from '@atkd/math';
import { resolveOptions } from '../options.js';
import { kdLossTemperatureGradient } from '../kd-gradient.js';
import {
  checkStudent,
  rowsOf,
  toTemperatures,
  type LearnableTemperatureStrategy,
  type LearnStep,
  type Logits,
  type StrategyDefinition,
  type TemperatureContext,
} from '../strategy.js';

const OPTIONS = {
  tStart: { type: 'number', default: 1, min: 0, description: 'T = tStart + tEnd * sigmoid(theta): lower end (CTKD --t_start 1)' },
  tEnd: { type: 'number', default: 20, above: 0, description: 'T = tStart + tEnd * sigmoid(theta): range (CTKD --t_end 20)' },
  init: { type: 'number', default: 1, description: 'initial raw parameter theta (CTKD: torch.ones(1)), T = 1 + 20 sigmoid(1) ~ 15.6' },
  lambdaMax: { type: 'number', default: 0, description: 'curriculum value at epoch 0 (CTKD --decay_max 0)' },
  lambdaMin: { type: 'number', default: -1, description: 'curriculum value from epoch lambdaEpochs on (CTKD --decay_min -1)' },
  lambdaEpochs: { type: 'number', default: 10, above: 0, description: 'epochs of the cosine curriculum (CTKD --decay_loops 10)' },
  cosine: { type: 'boolean', default: true, description: 'cosine curriculum (CTKD --cosine_decay 1); false: linear' },
  learningRate: { type: 'number', default: 0.05, above: 0, description: 'SGD learning rate of theta (CTKD: the student optimiser, 0.05); a context learningRate overrides it' },
  momentum: { type: 'number', default: 0.9, min: 0, max: 1, description: 'SGD momentum of theta' },
  weightDecay: { type: 'number', default: 5e-4, min: 0, description: 'SGD weight decay of theta' },
  kdWeight: { type: 'number', default: 0.9, min: 0, description: 'weight of the KD term in the student loss (CTKD -a 0.9); scales the gradient' },
  standardize: { type: 'boolean', default: false, description: "z-score the logits first (CTKD with logit standardization, the authors' --logit_stand with CTKD's temperature)" },
  eps: { type: 'number', default: ZSCORE_EPS, min: 0, description: 'epsilon of the z-score' },
} as const;

export type CtkdOptions = { [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]['default'] extends number ? number : boolean };

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** The CTKD temperature of raw parameter theta: tStart + tEnd * sigmoid(theta). */
export function ctkdTemperature(theta: number, tStart = 1, tEnd = 20): number {
  return tStart + tEnd * sigmoid(theta);
}

/** dT/dtheta = tEnd * sigmoid(theta) * (1 - sigmoid(theta)). */
export function ctkdTemperatureDerivative(theta: number, tEnd = 20): number {
  const s = sigmoid(theta);
  return tEnd * s * (1 - s);
}

/**
 * The gradient-reversal weight lambda of epoch `epoch` (CTKD's curriculum). Cosine (default):
 * (cos(pi * i / n) + 1)/2 * (max - min) + min with i = epoch clamped to [0, n]: from `max` (0: no
 * adversarial push) to `min` (-1: full reversal) over n = `lambdaEpochs` epochs. Linear: the CTKD
 * code's LinearDecay, -i * (max - min) / n with i clamped to [0, n - 1].
 * The reversal layer multiplies the temperature's gradient by lambda, so with lambda < 0 the
 * temperature moves to *increase* the KD loss (makes distillation harder: the curriculum).
 */
export function ctkdLambda(epoch: number, options: { lambdaMax?: number; lambdaMin?: number; lambdaEpochs?: number; cosine?: boolean } = {}): number {
  const max = options.lambdaMax ?? 0;
  const min = options.lambdaMin ?? -1;
  const n = options.lambdaEpochs ?? 10;
  if (options.cosine ?? true) {
    const i = epoch < 0 ? 0 : epoch > n ? n : epoch;
    return ((Math.cos((i * Math.PI) / n) + 1) * 0.5) * (max - min) + min;
  }
  const i = epoch < 0 ? 0 : epoch >= n ? n - 1 : epoch;
  return i * -((max - min) / n);
}

/**
 * `ctkd` (Li et al., AAAI 2023, "Curriculum Temperature for Knowledge Distillation", global
 * variant): one learnable temperature T = tStart + tEnd * sigmoid(theta) shared by every sample,
 * trained by SGD (momentum, weight decay) through a gradient-reversal layer whose weight lambda
 * follows the cosine curriculum {@link ctkdLambda} over epochs.
 *
 * `compute` returns the current T for every row. After the student's forward pass, the student
 * stage calls `learn(teacher, student, classes, { epoch })`: with G = d(mean_b T^2 KL_b)/dT
 * (analytic, {@link kdLossTemperatureGradient}), the parameter gradient is
 * lambda * kdWeight * G * dT/dtheta + weightDecay * theta, and SGD with momentum updates theta
 * (PyTorch's rule: buf = momentum * buf + g, buf = g on the first step; theta -= lr * buf).
 */
export function createCtkd(input: Readonly<Record<string, unknown>> = {}): LearnableTemperatureStrategy {
  const options = resolveOptions('ctkd', OPTIONS, input);
  let theta = options.init;
  let buf = 0;
  let steps = 0;
  const current = () => ctkdTemperature(theta, options.tStart, options.tEnd);
  return {
    name: 'ctkd',
    needsStudent: false,
    standardizes: options.standardize,
    eps: options.eps,
    learnable: true,
    options,
    compute(teacher: Logits, classes: number): Float32Array {
      const rows = rowsOf('teacher', teacher, classes);
      return toTemperatures('ctkd', new Float64Array(rows).fill(current()));
    },
    current,
    learn(teacher: Logits, student: Logits, classes: number, context: TemperatureContext = {}): LearnStep {
      const rows = checkStudent(teacher, student, classes);
      if (rows === 0) throw new RangeError('ctkd.learn: empty batch');
      const T = Math.fround(current());
      const { gradient } = kdLossTemperatureGradient(teacher, student, classes, T, { standardize: options.standardize, eps: options.eps });
      let G = 0;
      for (let b = 0; b < rows; b++) G += gradient[b];
      G /= rows;
      const lambda = ctkdLambda(context.epoch ?? 1, options);
      const g = lambda * options.kdWeight * G * ctkdTemperatureDerivative(theta, options.tEnd) + options.weightDecay * theta;
      buf = steps === 0 ? g : options.momentum * buf + g;
      steps++;
      const lr = context.learningRate ?? options.learningRate;
      theta -= lr * buf;
      return { temperature: T, lossGradient: G, lambda, parameterGradient: g, nextTemperature: current() };
    },
    getState: () => ({ theta, momentumBuffer: buf, steps }),
    setState(state: Record<string, number>): void {
      for (const k of ['theta', 'momentumBuffer', 'steps']) {
        if (typeof state[k] !== 'number' || !Number.isFinite(state[k])) throw new RangeError(`ctkd.setState: "${k}" must be a finite number, got ${String(state[k])}`);
      }
      theta = state.theta;
      buf = state.momentumBuffer;
      steps = state.steps;
    },
  };
}

export const ctkdStrategy: StrategyDefinition = {
  name: 'ctkd',
  description: 'Li et al. AAAI 2023: learnable global temperature with gradient reversal and a cosine curriculum (updated by the student stage via learn())',
  needsStudent: false,
  standardizes: false,
  learnable: true,
  options: OPTIONS,
  create: createCtkd,
};
