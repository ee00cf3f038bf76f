// The one option-spec validator: specs as data, typed errors whose fields name the owner and the option.
import { describe, expect, it } from 'vitest';
import { OptionError, checkOptions, getStrategy, resolveOptions, type OptionSpecs } from '../src/index.js';

const SPECS = {
  temperature: { type: 'number', default: 4, above: 0, description: 'T' },
  rounds: { type: 'number', default: 2, min: 1, max: 9, integer: true, description: 'n' },
  standardize: { type: 'boolean', default: false, description: 's' },
} as const satisfies OptionSpecs;

/** What `fn` throws: a OptionError (with the fields of `fields`). */
function throwsWith(fn: () => unknown, fields: Record<string, unknown>): void {
  expect(fn).toThrow(OptionError);
  expect(fn).toThrow(RangeError); // what callers caught before
  expect(fn).toThrow(expect.objectContaining(fields));
}

describe('checkOptions / resolveOptions', () => {
  it('types what was given (strings from a command line too) and resolveOptions adds the defaults', () => {
    expect(checkOptions('x', SPECS, { temperature: '2.5', standardize: 'yes' })).toEqual({ temperature: 2.5, standardize: true });
    expect(resolveOptions('x', SPECS, { rounds: 3 })).toEqual({ temperature: 4, rounds: 3, standardize: false });
    expect(resolveOptions('x', SPECS, { standardize: false }).standardize).toBe(false);
    expect(checkOptions('x', SPECS)).toEqual({});
  });

  it('an unknown, mistyped or out-of-range option is an OptionError naming owner, option, problem and value', () => {
    throwsWith(() => checkOptions('static', SPECS, { temp: 3 }), { kind: 'strategy', strategy: 'static', option: 'temp', problem: 'unknown', value: 3, message: 'strategy "static" has no option "temp" (options: temperature, rounds, standardize)' });
    throwsWith(() => checkOptions('static', SPECS, { temperature: 'warm' }), { option: 'temperature', problem: 'type', value: 'warm' });
    throwsWith(() => resolveOptions('static', SPECS, { temperature: -2 }), { option: 'temperature', problem: 'range', message: 'strategy "static": option "temperature" must be > 0, got -2' });
    throwsWith(() => checkOptions('static', SPECS, { rounds: 2.5 }), { message: 'strategy "static": option "rounds" must be an integer, got 2.5' });
    throwsWith(() => checkOptions('static', SPECS, { rounds: 10 }), { message: 'strategy "static": option "rounds" must be <= 9, got 10' });
    throwsWith(() => checkOptions('dkd', SPECS, { standardize: 'maybe' }, 'loss'), { kind: 'loss', strategy: 'dkd', option: 'standardize', problem: 'type', message: 'loss "dkd": option "standardize" must be true or false, got "maybe"' });
  });

  it('the strategies use it: their errors are OptionErrors', () => {
    throwsWith(() => getStrategy('static', { temperature: 0 }), { strategy: 'static', option: 'temperature', problem: 'range' });
    throwsWith(() => getStrategy('adaptive', { standardize: 'maybe' }), { strategy: 'adaptive', option: 'standardize' });
  });
});
