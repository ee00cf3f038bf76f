import type { Schema } from 'apache-arrow';
import { MetadataError } from './errors.js';
import { META } from './names.js';

/** What the temperature stage recorded in the schema metadata (see `META`). */
export interface TemperatureMeta {
  /** Strategy name, or undefined when no temperature stage ran. */
  strategy: string | undefined;
  /** The strategy works on z-scored logits: soft targets / KD loss must z-score the logits too. */
  standardize: boolean;
  /** Epsilon of that z-score. */
  eps: number;
  /** `'student'` when the `temperature` column is provisional and the student stage finishes it. */
  pending: 'student' | undefined;
  /** The strategy's options (parsed JSON), or `{}`. */
  options: Record<string, unknown>;
  /** The strategy is learnable (`ctkd`): the student stage must hold its instance to train it. */
  learnable: boolean;
}

/** Default z-score epsilon (as in `@atkd/math`). */
export const DEFAULT_ZSCORE_EPS = 1e-7;

/** Decodes the temperature stage's schema metadata; missing keys give the defaults (no standardisation). */
export function readTemperatureMeta(schema: Schema): TemperatureMeta {
  const md = schema.metadata;
  const std = md.get(META.standardize);
  if (std !== undefined && std !== 'true' && std !== 'false') {
    throw new MetadataError('schema', META.standardize, std, `must be "true" or "false", got ${JSON.stringify(std)}`);
  }
  const epsRaw = md.get(META.zscoreEps);
  const eps = epsRaw === undefined ? DEFAULT_ZSCORE_EPS : Number(epsRaw);
  if (!Number.isFinite(eps) || eps < 0) throw new MetadataError('schema', META.zscoreEps, epsRaw, `must be a number >= 0, got ${JSON.stringify(epsRaw)}`);
  const pending = md.get(META.temperaturePending);
  if (pending !== undefined && pending !== 'student') {
    throw new MetadataError('schema', META.temperaturePending, pending, `must be "student" when present, got ${JSON.stringify(pending)}`);
  }
  let options: Record<string, unknown> = {};
  const rawOptions = md.get(META.temperatureOptions);
  if (rawOptions !== undefined) {
    try {
      options = JSON.parse(rawOptions) as Record<string, unknown>;
    } catch (cause) {
      throw new MetadataError('schema', META.temperatureOptions, rawOptions, 'is not JSON', { cause });
    }
  }
  const learnable = md.get(META.temperatureLearnable);
  if (learnable !== undefined && learnable !== 'true') {
    throw new MetadataError('schema', META.temperatureLearnable, learnable, `must be "true" when present, got ${JSON.stringify(learnable)}`);
  }
  return { strategy: md.get(META.temperatureStrategy), standardize: std === 'true', eps, pending, options, learnable: learnable === 'true' };
}

/** The schema metadata entries that describe a temperature stage (for `withSchemaMetadata`). */
export function temperatureMetaEntries(meta: Omit<TemperatureMeta, 'options' | 'learnable'> & { options?: Record<string, unknown>; learnable?: boolean }): Record<string, string | undefined> {
  return {
    [META.temperatureStrategy]: meta.strategy,
    [META.standardize]: meta.standardize ? 'true' : 'false',
    [META.zscoreEps]: String(meta.eps),
    [META.temperaturePending]: meta.pending,
    [META.temperatureOptions]: JSON.stringify(meta.options ?? {}),
    [META.temperatureLearnable]: meta.learnable === true ? 'true' : undefined,
  };
}
