import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAIN_GLOBALS, PyCallable, PyDict, PyObject, PyTuple, unpickle, type PyValue } from '../src/torch/pickle.js';
import { OP, bytes, errorOf, le } from './torch-helpers.js';

const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch', 'expected.json'), 'utf8')) as {
  pickles: Record<string, string>;
};

const plain = (module: string, name: string): PyCallable | undefined => {
  const impl = PLAIN_GLOBALS[`${module}.${name}`];
  return impl ? new PyCallable(module, name, impl) : undefined;
};

function load(data: Uint8Array, strict = true): PyValue {
  return unpickle(data, { file: 't.pkl', part: 'data.pkl', findGlobal: plain, strict });
}

/** A PyValue as plain JSON-like data: tuples become {tuple: [...]}, dicts [key, value][] lists. */
function plainOf(v: PyValue): unknown {
  if (v instanceof PyTuple) return { tuple: v.items.map(plainOf) };
  if (v instanceof PyDict) return { dict: [...v.map].map(([k, x]) => [plainOf(k), plainOf(x)]) };
  if (Array.isArray(v)) return v.map(plainOf);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  return v;
}

describe('unpickle', () => {
  const want = {
    dict: [
      ['a', [1, -2, 255, 65535, 65536, -(2 ** 31), 2 ** 31, 2n ** 70n, -(2n ** 70n), 3.5, -0, null, true, false,
        'h\u00e9llo \u20ac', { bytes: [0x78, 0x79, 0] }, { tuple: [1] }, { tuple: [1, 2] }, { tuple: [1, 2, 3] },
        { tuple: [] }, 'x'.repeat(300)]],
      ['b', { dict: [['k', 1]] }],
      ['c', [1, 2]],
    ],
  };

  for (const protocol of ['0', '1', '2', '3', '4', '5']) {
    it(`decodes what Python's pickle writes with protocol ${protocol}`, () => {
      const data = Uint8Array.from(Buffer.from(expected.pickles[protocol], 'hex'));
      const v = load(data);
      expect(plainOf(v)).toEqual(want);
      // -0.0 survives (toEqual does not tell -0 from 0).
      const a = ((v as PyDict).map.get('a') as PyValue[])[10];
      expect(Object.is(a, -0)).toBe(true);
      expect(((v as PyDict).map.get('b') as PyDict).ordered).toBe(true);
    });
  }

  it('handles the memo, DUP, POP, POP_MARK and LONG_BINPUT / LONG_BINGET', () => {
    const data = bytes(
      OP.PROTO2, ']', 'r', le(70000, 4), // list, memo[70000]
      'K', 7, '2', '0', // push 7, DUP, POP -> 7 stays
      'a', // append 7
      '(', 'K', 1, 'K', 2, '1', // MARK 1 2 POP_MARK
      'j', le(70000, 4), 'a', // append the memoised list to itself (a recursive list)
      '.',
    );
    const v = load(data) as PyValue[];
    expect(v.length).toBe(2);
    expect(v[0]).toBe(7);
    expect(v[1]).toBe(v);
  });

  it('applies BUILD state to a dict as attributes', () => {
    const data = bytes(
      OP.PROTO2, OP.global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE,
      OP.str('w'), 'K', 1, OP.SETITEM,
      OP.EMPTY_DICT, OP.str('_metadata'), OP.EMPTY_DICT, OP.SETITEM, 'b', OP.STOP,
    );
    const v = load(data) as PyDict;
    expect([...v.map.keys()]).toEqual(['w']);
    expect(v.attrs.get('_metadata')).toBeInstanceOf(PyDict);
  });

  it('rejects a non-allowed global in strict mode, records it inertly otherwise', () => {
    const data = bytes(OP.PROTO2, OP.global('os', 'system'), OP.MARK, OP.str('echo hi'), OP.TUPLE, OP.REDUCE, OP.STOP);
    const e = errorOf(() => load(data));
    expect(e.file).toBe('t.pkl');
    expect(e.message).toBe('t.pkl: data.pkl: global os.system is not allowed in a checkpoint (pickle opcode GLOBAL at byte 2)');
    const inert = load(data, false);
    expect(inert).toBeInstanceOf(PyObject);
    expect((inert as PyObject).global.qualifiedName).toBe('os.system');
    expect((inert as PyObject).args).toEqual(['echo hi']);
    // STACK_GLOBAL (protocol 4) goes through the same allow-list.
    const stacked = bytes('\x80\x04', '\x8c', 2, 'os', '\x8c', 6, 'system', '\x93', OP.STOP);
    expect(errorOf(() => load(stacked)).message).toMatch(/global os\.system is not allowed .*STACK_GLOBAL/);
  });

  it('reports malformed pickles with the opcode and position', () => {
    expect(errorOf(() => load(bytes(OP.PROTO2, 'K'))).message).toBe(
      't.pkl: data.pkl: pickle is truncated: needs 1 more byte(s) at 3, has 0 (pickle opcode BININT1 at byte 2)',
    );
    expect(errorOf(() => load(bytes(OP.PROTO2, 'N'))).message).toMatch(/pickle is truncated: no STOP opcode/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'a', OP.STOP))).message).toMatch(/stack underflow \(pickle opcode APPEND at byte 2\)/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'h', 5, OP.STOP))).message).toMatch(/memo key 5 is not set/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'N', 'N', OP.STOP))).message).toMatch(/STOP with 2 value\(s\) on the stack/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 0xff, OP.STOP))).message).toMatch(/unsupported pickle opcode 0xff/);
    expect(errorOf(() => load(bytes('\x80\x06', 'N', OP.STOP))).message).toMatch(/unsupported pickle protocol 6/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'N', 'Q', OP.STOP))).message).toMatch(/persistent id found/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'K', 0, 'K', 1, 'K', 2, 's', OP.STOP))).message).toMatch(/SETITEM\(S\) on a number/);
    expect(errorOf(() => load(bytes(OP.PROTO2, 'X', le(2, 4), 0xc3, 0x28, OP.STOP))).message).toMatch(/not valid UTF-8/);
    expect(errorOf(() => load(bytes(OP.PROTO2, OP.global('_codecs', 'encode'), OP.str('x'), OP.str('utf16'), OP.TUPLE2, OP.REDUCE, OP.STOP))).message)
      .toMatch(/_codecs\.encode: only \(str, 'latin1'\) is supported/);
  });
});
