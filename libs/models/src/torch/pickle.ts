// A pickle virtual machine for the data that torch.save writes (pickle protocol 2 by default; the
// opcodes of protocols 0-5 that carry plain data are understood too). Nothing is ever executed:
// a GLOBAL resolves only to what the caller's `findGlobal` allows; anything else either fails with an
// error naming the global (strict) or becomes an inert `PyObject` record of the call (lenient).
import { TorchCheckpointError } from './errors.js';

/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict (or collections.OrderedDict); insertion order is kept. `attrs` holds BUILD state. */
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
  readonly attrs = new Map<string, PyValue>();
  constructor(readonly ordered = false) {}
}

/** A reference to a global the caller allowed; `call` implements REDUCE / NEWOBJ on it. */
export class PyCallable {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call: (args: PyValue[]) => PyValue,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A global that is not on the allow-list (lenient mode only). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An inert record of calling a non-allowed global (lenient mode only): nothing was run. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly global: PyGlobal,
    readonly args: PyValue[],
  ) {}
}

/** A value produced by the caller's hooks (tensors, storages, ...). */
export abstract class PyExternal {
  /** BUILD on this value. The default rejects any state. */
  build(state: PyValue, fail: (message: string) => never): void {
    if (state !== null) fail(`cannot apply BUILD state to ${this.constructor.name}`);
  }
}

/** Values the VM produces. Python int -> number (or bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list / set -> array, None -> null. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PyCallable
  | PyGlobal
  | PyObject
  | PyExternal;

export interface UnpickleOptions {
  /** The file named in errors (TorchCheckpointError.file). */
  file: string;
  /** The part of the file holding the pickle, e.g. `archive/data.pkl`, for error messages. */
  part?: string;
  /** Resolves GLOBAL module.name; return undefined for a global that is not allowed. */
  findGlobal(module: string, name: string): PyCallable | undefined;
  /** PERSID / BINPERSID: resolves a persistent id (torch: storages). */
  persistentLoad?(pid: PyValue): PyValue;
  /** When false, a non-allowed global becomes an inert PyGlobal instead of an error. Default true. */
  strict?: boolean;
}

const OP_NAMES: Record<number, string> = {};

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.constructor.name;
  return typeof v;
}

/** Python repr-ish text of a value, for error messages. */
export function pyRepr(v: PyValue, depth = 0): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  if (depth > 2) return '...';
  if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => pyRepr(x, depth + 1)).join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  if (v instanceof PyTuple) return `(${v.items.slice(0, 6).map((x) => pyRepr(x, depth + 1)).join(', ')}${v.items.length === 1 ? ',' : ''})`;
  if (v instanceof PyDict) return `dict(${v.map.size} items)`;
  if (v instanceof PyCallable || v instanceof PyGlobal) return v.qualifiedName;
  if (v instanceof PyObject) return `${v.global.qualifiedName}(...)`;
  return v.constructor.name;
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return toInt(v);
}

function toInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Python 2 `str` bytes: torch.load decodes them as UTF-8; fall back to Latin-1 when they are not. */
function text8(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return latin1.decode(b);
  }
}

function sequence(v: PyValue | undefined, what: string): PyValue[] {
  if (v === undefined) return [];
  if (v instanceof PyTuple) return v.items;
  if (Array.isArray(v)) return v;
  throw new Error(`${what}: argument is not a sequence`);
}

/**
 * Plain-data globals that Python's pickler emits for ordinary values: OrderedDict, set / frozenset (both
 * become arrays) and `_codecs.encode` (how protocols 0-2 write bytes). Safe to allow in any pickle.
 */
export const PLAIN_GLOBALS: Readonly<Record<string, (args: PyValue[]) => PyValue>> = {
  'collections.OrderedDict': (args) => {
    const d = new PyDict(true);
    for (const pair of sequence(args[0], 'OrderedDict')) {
      const kv = sequence(pair, 'OrderedDict item');
      if (kv.length !== 2) throw new Error('OrderedDict: an item is not a (key, value) pair');
      d.map.set(kv[0], kv[1]);
    }
    return d;
  },
  'builtins.set': (args) => [...sequence(args[0], 'set')],
  'builtins.frozenset': (args) => [...sequence(args[0], 'frozenset')],
  '__builtin__.set': (args) => [...sequence(args[0], 'set')],
  '__builtin__.frozenset': (args) => [...sequence(args[0], 'frozenset')],
  '_codecs.encode': (args) => {
    const [text, encoding] = args;
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
      throw new Error(`_codecs.encode: only (str, 'latin1') is supported, got ${pyRepr(encoding ?? null)}`);
    }
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  },
};

/** Decodes a pickle stream and returns the value under STOP. */
export function unpickle(data: Uint8Array, options: UnpickleOptions): PyValue {
  const { file, findGlobal } = options;
  const where = options.part ? `${options.part}: ` : '';
  const strict = options.strict ?? true;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opStart = 0;
  let op = 0;

  const fail = (message: string): never => {
    const opName = OP_NAMES[op] ?? `0x${op.toString(16)}`;
    throw new TorchCheckpointError(file, `${where}${message} (pickle opcode ${opName} at byte ${opStart})`);
  };
  const need = (n: number): number => {
    if (pos + n > data.length) fail(`pickle is truncated: needs ${n} more byte(s) at ${pos}, has ${data.length - pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const bytesOf = (n: number): Uint8Array => {
    const at = need(n);
    return data.subarray(at, at + n);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('pickle is truncated: unterminated text line');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const str = (n: number): string => {
    const b = bytesOf(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m as number);
  };
  const resolveGlobal = (module: string, name: string): PyValue => {
    const found = findGlobal(module, name);
    if (found) return found;
    if (strict) fail(`global ${module}.${name} is not allowed in a checkpoint`);
    return new PyGlobal(module, name);
  };
  const call = (fn: PyValue, args: PyValue[]): PyValue => {
    if (fn instanceof PyCallable) {
      try {
        return fn.call(args);
      } catch (e) {
        if (e instanceof TorchCheckpointError) throw e;
        return fail(`${fn.qualifiedName}: ${(e as Error).message}`);
      }
    }
    if (fn instanceof PyGlobal) return new PyObject(fn, args);
    return fail(`cannot call a ${describe(fn)}`);
  };
  const argsOf = (v: PyValue): PyValue[] => {
    if (v instanceof PyTuple) return v.items;
    if (Array.isArray(v)) return v;
    return fail(`call arguments must be a tuple, got ${describe(v)}`);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail(`SETITEM(S) on a ${describe(target)}`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as PyDict).map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail(`APPEND(S) / ADDITEMS on a ${describe(target)}`);
    (target as PyValue[]).push(...items);
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo key ${i} is not set`);
    return memo.get(i) as PyValue;
  };
  const persistent = (pid: PyValue): PyValue => {
    if (!options.persistentLoad) return fail('persistent id found, but this pickle may not have any');
    try {
      return options.persistentLoad(pid);
    } catch (e) {
      if (e instanceof TorchCheckpointError) throw e;
      return fail((e as Error).message);
    }
  };

  for (;;) {
    opStart = pos;
    if (pos >= data.length) fail('pickle is truncated: no STOP opcode');
    op = data[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (data[need(1)] > 5) fail(`unsupported pickle protocol ${data[pos - 1]}`);
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP '.'
        if (stack.length !== 1 || marks.length !== 0) fail(`STOP with ${stack.length} value(s) on the stack`);
        return stack[0] as PyValue;
      case 0x28: // MARK '('
        marks.push(stack.length);
        break;
      case 0x30: // POP '0' (pops a MARK when the stack top is one)
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK '1'
        popMark();
        break;
      case 0x32: // DUP '2'
        stack.push(top());
        break;
      case 0x4e: // NONE 'N'
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x49: { // INT 'I'
        const s = line().trim();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else if (/^[+-]?\d+$/.test(s)) stack.push(toInt(BigInt(s)));
        else fail(`bad INT ${JSON.stringify(s)}`);
        break;
      }
      case 0x4c: { // LONG 'L'
        const s = line().trim().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) fail(`bad LONG ${JSON.stringify(s)}`);
        stack.push(toInt(BigInt(s)));
        break;
      }
      case 0x4a: // BININT 'J'
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1 'K'
        stack.push(data[need(1)]);
        break;
      case 0x4d: // BININT2 'M'
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytesOf(data[need(1)])));
        break;
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0) fail('negative LONG4 length');
        stack.push(decodeLong(bytesOf(n)));
        break;
      }
      case 0x46: { // FLOAT 'F'
        const s = line().trim();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) fail(`bad FLOAT ${JSON.stringify(s)}`);
        stack.push(v);
        break;
      }
      case 0x47: // BINFLOAT 'G' (big-endian double)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE 'X'
        stack.push(str(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(data[need(1)]));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64len(view.getBigUint64(need(8), true))));
        break;
      case 0x56: // UNICODE 'V' (raw-unicode-escape)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string, b: string) =>
          String.fromCodePoint(parseInt(a ?? b, 16))));
        break;
      case 0x54: { // BINSTRING 'T' (python 2 str; torch.load decodes these as text)
        const n = view.getInt32(need(4), true);
        if (n < 0) fail('negative BINSTRING length');
        stack.push(text8(bytesOf(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING 'U'
        stack.push(text8(bytesOf(data[need(1)])));
        break;
      case 0x53: { // STRING 'S' (quoted repr)
        const s = line().trim();
        const q = s[0];
        if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) fail('bad STRING');
        stack.push(s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
          if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
          return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
        }));
        break;
      }
      case 0x42: // BINBYTES 'B'
        stack.push(bytesOf(view.getUint32(need(4), true)).slice());
        break;
      case 0x43: // SHORT_BINBYTES 'C'
        stack.push(bytesOf(data[need(1)]).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytesOf(u64len(view.getBigUint64(need(8), true))).slice());
        break;
      case 0x7d: // EMPTY_DICT '}'
        stack.push(new PyDict());
        break;
      case 0x64: { // DICT 'd'
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x5d: // EMPTY_LIST ']'
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x6c: // LIST 'l'
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x29: // EMPTY_TUPLE ')'
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE 't'
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x61: { // APPEND 'a'
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: // APPENDS 'e'
      case 0x90: { // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: { // SETITEM 's'
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS 'u'
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x67: // GET 'g'
        stack.push(memoGet(parseInt(line(), 10)));
        break;
      case 0x68: // BINGET 'h'
        stack.push(memoGet(data[need(1)]));
        break;
      case 0x6a: // LONG_BINGET 'j'
        stack.push(memoGet(view.getUint32(need(4), true)));
        break;
      case 0x70: // PUT 'p'
        memo.set(parseInt(line(), 10), top());
        break;
      case 0x71: // BINPUT 'q'
        memo.set(data[need(1)], top());
        break;
      case 0x72: // LONG_BINPUT 'r'
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: { // GLOBAL 'c'
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE 'R'
        const args = argsOf(pop());
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: { // NEWOBJ (cls.__new__(cls, *args))
        const args = argsOf(pop());
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = argsOf(pop());
        const cls = pop();
        if (kwargs instanceof PyDict && kwargs.map.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(call(cls, args));
        break;
      }
      case 0x69: { // INST 'i'
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(call(resolveGlobal(module, name), args));
        break;
      }
      case 0x6f: { // OBJ 'o'
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: { // BUILD 'b'
        const state = pop();
        const target = top();
        if (target instanceof PyDict) {
          // dict subclasses (OrderedDict) pickle their __dict__ (e.g. a state dict's _metadata) here.
          let attrs: PyValue = state;
          if (state instanceof PyTuple && state.items.length === 2) attrs = state.items[0] ?? state.items[1];
          if (attrs instanceof PyDict) for (const [k, v] of attrs.map) target.attrs.set(String(k), v);
          else if (attrs !== null) fail(`cannot apply BUILD state ${describe(attrs)} to a dict`);
        } else if (target instanceof PyObject) {
          target.state = state;
        } else if (target instanceof PyExternal) {
          target.build(state, fail);
        } else {
          fail(`cannot apply BUILD state to a ${describe(target)}`);
        }
        break;
      }
      case 0x50: // PERSID 'P'
        stack.push(persistent(line()));
        break;
      case 0x51: // BINPERSID 'Q'
        stack.push(persistent(pop()));
        break;
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }

  function u64len(v: bigint): number {
    if (v > BigInt(data.length)) fail(`pickle is truncated: length ${v} exceeds the data`);
    return Number(v);
  }
}

const NAMES: [number, string][] = [
  [0x80, 'PROTO'], [0x95, 'FRAME'], [0x2e, 'STOP'], [0x28, 'MARK'], [0x30, 'POP'], [0x31, 'POP_MARK'], [0x32, 'DUP'],
  [0x4e, 'NONE'], [0x88, 'NEWTRUE'], [0x89, 'NEWFALSE'], [0x49, 'INT'], [0x4c, 'LONG'], [0x4a, 'BININT'],
  [0x4b, 'BININT1'], [0x4d, 'BININT2'], [0x8a, 'LONG1'], [0x8b, 'LONG4'], [0x46, 'FLOAT'], [0x47, 'BINFLOAT'],
  [0x58, 'BINUNICODE'], [0x8c, 'SHORT_BINUNICODE'], [0x8d, 'BINUNICODE8'], [0x56, 'UNICODE'], [0x54, 'BINSTRING'],
  [0x55, 'SHORT_BINSTRING'], [0x53, 'STRING'], [0x42, 'BINBYTES'], [0x43, 'SHORT_BINBYTES'], [0x8e, 'BINBYTES8'],
  [0x96, 'BYTEARRAY8'], [0x7d, 'EMPTY_DICT'], [0x64, 'DICT'], [0x5d, 'EMPTY_LIST'], [0x8f, 'EMPTY_SET'], [0x6c, 'LIST'],
  [0x91, 'FROZENSET'], [0x29, 'EMPTY_TUPLE'], [0x74, 'TUPLE'], [0x85, 'TUPLE1'], [0x86, 'TUPLE2'], [0x87, 'TUPLE3'],
  [0x61, 'APPEND'], [0x65, 'APPENDS'], [0x90, 'ADDITEMS'], [0x73, 'SETITEM'], [0x75, 'SETITEMS'], [0x67, 'GET'],
  [0x68, 'BINGET'], [0x6a, 'LONG_BINGET'], [0x70, 'PUT'], [0x71, 'BINPUT'], [0x72, 'LONG_BINPUT'], [0x94, 'MEMOIZE'],
  [0x63, 'GLOBAL'], [0x93, 'STACK_GLOBAL'], [0x52, 'REDUCE'], [0x81, 'NEWOBJ'], [0x92, 'NEWOBJ_EX'], [0x69, 'INST'],
  [0x6f, 'OBJ'], [0x62, 'BUILD'], [0x50, 'PERSID'], [0x51, 'BINPERSID'],
];
for (const [code, name] of NAMES) OP_NAMES[code] = name;
