// Bad metadata a stage reads is a MetadataError naming the scope, the key and the value.
import { describe, expect, it } from 'vitest';
import { BATCH_META, META, MetadataError, readBatchMetrics, readPosition, readTemperatureMeta, withBatchMetadata, withSchemaMetadata } from '../src/index.js';
import { makeBatch } from './helpers.js';

/** What `fn` throws: a MetadataError (with the fields of `fields`). */
function throwsWith(fn: () => unknown, fields: Record<string, unknown>): void {
  expect(fn).toThrow(MetadataError);
  expect(fn).toThrow(expect.objectContaining(fields));
}

describe('MetadataError', () => {
  it('schema metadata of the temperature stage', () => {
    const b = makeBatch(1, 2);
    throwsWith(() => readTemperatureMeta(withSchemaMetadata(b, { [META.standardize]: 'yes' }).schema), {
      scope: 'schema', key: META.standardize, value: 'yes', message: `schema metadata "${META.standardize}" must be "true" or "false", got "yes"`,
    });
    throwsWith(() => readTemperatureMeta(withSchemaMetadata(b, { [META.zscoreEps]: '-1' }).schema), { key: META.zscoreEps, value: '-1' });
    throwsWith(() => readTemperatureMeta(withSchemaMetadata(b, { [META.temperaturePending]: 'teacher' }).schema), { key: META.temperaturePending });
    throwsWith(() => readTemperatureMeta(withSchemaMetadata(b, { [META.temperatureLearnable]: 'yes' }).schema), { key: META.temperatureLearnable, value: 'yes' });
    throwsWith(() => readTemperatureMeta(withSchemaMetadata(b, { [META.temperatureOptions]: '{a' }).schema), { key: META.temperatureOptions, value: '{a', cause: expect.any(SyntaxError) });
  });

  it('record-batch metadata: position and metrics', () => {
    const b = makeBatch(1, 2);
    throwsWith(() => readPosition(withBatchMetadata(b, { [BATCH_META.step]: '-3' })), { scope: 'record-batch', key: BATCH_META.step, value: '-3' });
    throwsWith(() => readBatchMetrics(withBatchMetadata(b, { [BATCH_META.metrics]: '[1]' })), { key: BATCH_META.metrics, message: `record-batch metadata "${BATCH_META.metrics}" must be a JSON object` });
  });
});
