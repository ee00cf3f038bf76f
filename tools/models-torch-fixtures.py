#!/usr/bin/python3
"""Writes the PyTorch checkpoint fixtures of @atkd/models (libs/models/test/fixtures/torch/).

Run with Debian's PyTorch (1.13): /usr/bin/python3 tools/models-torch-fixtures.py
Deterministic (fixed seeds, fixed zip timestamps) except legacy.pth, whose legacy format names storages by
their memory address. The fixtures are small (under 100 KB together).

Writes, next to the .pth files, expected.json: for each checkpoint that holds a state dict, every tensor
of it (after unwrapping and `module.`-prefix stripping) with name, shape, dtype and its values in row-major
order. Float values are exact (float32 values written as Python floats, float64 rounded to float32 the
way torch's .float() does); 'nan' / 'inf' / '-inf' are strings; int64 values are decimal strings.
"""
import argparse
import collections
import io
import json
import math
import os
import pickle
import sys
import zipfile

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'libs', 'models', 'test', 'fixtures', 'torch')


class Small(nn.Module):
    """A tiny conv-bn-relu-pool-linear net, standing in for a zoo model."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return self.fc(x.mean(dim=(2, 3)))


def float_json(v):
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def expected_tensor(name, t):
    dtype = str(t.dtype).replace('torch.', '')
    dtype = {'float': 'float32', 'double': 'float64', 'half': 'float16', 'long': 'int64', 'int': 'int32',
             'short': 'int16'}.get(dtype, dtype)
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype.is_floating_point:
        values = [float_json(v) for v in flat.to(torch.float32).tolist()]
    elif t.dtype == torch.int64:
        values = [str(v) for v in flat.tolist()]
    elif t.dtype == torch.bool:
        values = [1 if v else 0 for v in flat.tolist()]
    else:
        values = flat.tolist()
    return {'name': name, 'shape': list(t.shape), 'dtype': dtype, 'values': values}


def expected_state(sd, strip_module=False):
    out = []
    for k, v in sd.items():
        name = k[len('module.'):] if strip_module else k
        out.append(expected_tensor(name, v))
    return out


def small_model(seed):
    torch.manual_seed(seed)
    m = Small()
    # Non-trivial batch-norm statistics and a trained-looking num_batches_tracked.
    m.train()
    for _ in range(3):
        m(torch.randn(2, 3, 4, 4))
    m.eval()
    return m


def all_dtypes_state():
    torch.manual_seed(1)
    sd = collections.OrderedDict()
    sd['conv.weight'] = torch.randn(3, 2, 3, 3)                    # 4-d float32
    sd['bn.weight'] = torch.rand(3)                                 # 1-d float32
    sd['scalar'] = torch.tensor(2.5)                                # 0-d float32
    sd['bn.num_batches_tracked'] = torch.tensor(7)                  # 0-d int64
    sd['fc.weight_t'] = torch.randn(4, 3).t()                       # non-contiguous (transposed)
    base = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    sd['slice'] = base[1:3, 1:4]                                    # storage offset + strides, shared
    sd['row'] = base[2]                                             # same storage, offset 10
    sd['whole'] = base                                              # same storage, whole
    sd['expanded'] = torch.tensor([1.0, -2.0, 3.0]).expand(2, 3)    # stride 0
    sd['permuted'] = torch.randn(2, 3, 4).permute(2, 0, 1)          # 3-d non-contiguous
    sd['empty'] = torch.zeros(2, 0)                                 # no elements
    sd['specials'] = torch.tensor([0.0, -0.0, float('inf'), float('-inf'), float('nan'), 1e-40, 3.4e38])
    sd['half'] = torch.tensor([0.5, -1.0, 65504.0, 6e-8, float('inf'), -0.0, 1e-3], dtype=torch.float16)
    sd['bfloat'] = torch.tensor([1.0, -3.140625, 1e30, 1e-30], dtype=torch.bfloat16)
    sd['double'] = torch.tensor([[0.1, -1.0 / 3.0], [1e-300, 12345.678901234]], dtype=torch.float64)
    sd['long'] = torch.tensor([0, -5, 2 ** 40 + 1, -(2 ** 62)], dtype=torch.int64)
    sd['int'] = torch.tensor([[1, -2], [2 ** 31 - 1, -(2 ** 31)]], dtype=torch.int32)
    sd['short'] = torch.tensor([-32768, 32767, 7], dtype=torch.int16)
    sd['int8'] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    sd['uint8'] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    sd['bool'] = torch.tensor([True, False, True])
    sd['param'] = nn.Parameter(torch.randn(2, 2))                   # pickled via _rebuild_parameter
    return sd


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    expected = {'torch_version': torch.__version__, 'files': {}}

    def save(name, obj, state=None, strip_module=False, protocol=2, **extra):
        path = os.path.join(args.out, name)
        tmp = path + '.tmp'
        torch.save(obj, tmp, pickle_protocol=protocol)
        os.replace(tmp, path)
        if state is not None:
            entry = {'tensors': expected_state(state, strip_module)}
            entry.update(extra)
            expected['files'][name] = entry
        return path

    sd = all_dtypes_state()
    bare = save('all_dtypes.pth', sd, sd)

    # The same checkpoint with its records deflated (torch itself never compresses; other tools may).
    deflated = os.path.join(args.out, 'all_dtypes_deflated.pth')
    with zipfile.ZipFile(bare) as src, zipfile.ZipFile(deflated + '.tmp', 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    os.replace(deflated + '.tmp', deflated)
    expected['files']['all_dtypes_deflated.pth'] = expected['files']['all_dtypes.pth']

    # RepDistiller-style checkpoint: {'epoch', 'model', 'best_acc', 'optimizer'}.
    m = small_model(2)
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    m.train()
    loss = m(torch.randn(2, 3, 4, 4)).square().mean()
    loss.backward()
    opt.step()
    m.eval()
    msd = m.state_dict()
    save('wrapped_model.pth', {'epoch': 3, 'model': msd, 'best_acc': torch.tensor(71.5), 'optimizer': opt.state_dict()},
         msd, epoch=3)

    m = small_model(3)
    save('wrapped_net.pth', {'net': m.state_dict(), 'acc': 93.25, 'epoch': 200}, m.state_dict(), epoch=200)

    # A 'state_dict' wrapper next to a pickled argparse.Namespace (a global outside the allow-list).
    m = small_model(4)
    ns = argparse.Namespace(model='small', lr=0.05)
    save('wrapped_state_dict.pth', {'state_dict': m.state_dict(), 'args': ns}, m.state_dict())

    # nn.DataParallel: every key gets a 'module.' prefix.
    m = small_model(5)
    dp = nn.DataParallel(m)
    save('dataparallel.pth', {'model': dp.state_dict()}, dp.state_dict(), strip_module=True)

    # Written to a buffer: the archive's top folder is then 'archive' (torch 1.x names it after the file).
    m = small_model(6)
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    with open(os.path.join(args.out, 'buffer_archive.pth'), 'wb') as f:
        f.write(buf.getvalue())
    expected['files']['buffer_archive.pth'] = {'tensors': expected_state(m.state_dict())}

    # pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE) instead of torch's default 2.
    m = small_model(8)
    save('protocol4.pth', {'model': m.state_dict()}, m.state_dict(), protocol=4)

    # Files that must be rejected.
    m = small_model(7)
    torch.save(m.state_dict(), os.path.join(args.out, 'legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(m, os.path.join(args.out, 'whole_module.pth'))
    torch.jit.save(torch.jit.trace(m, torch.randn(1, 3, 4, 4)), os.path.join(args.out, 'torchscript.pt'))

    # Plain pickles of one value in every protocol, for the pickle VM's own tests (torch.save uses protocol 2).
    value = {'a': [1, -2, 255, 65535, 65536, -2 ** 31, 2 ** 31, 2 ** 70, -2 ** 70, 3.5, -0.0, None, True, False,
                   'h\u00e9llo \u20ac', b'xy\x00', (1,), (1, 2), (1, 2, 3), (), 'x' * 300],
             'b': collections.OrderedDict(k=1), 'c': {1, 2}}
    expected['pickles'] = {str(p): pickle.dumps(value, protocol=p).hex() for p in range(0, pickle.HIGHEST_PROTOCOL + 1)}

    with open(os.path.join(args.out, 'expected.json.tmp'), 'w') as f:
        json.dump(expected, f, indent=None, separators=(',', ':'))
        f.write('\n')
    os.replace(os.path.join(args.out, 'expected.json.tmp'), os.path.join(args.out, 'expected.json'))
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f'wrote {len(os.listdir(args.out))} files, {total} bytes, to {args.out}', file=sys.stderr)


if __name__ == '__main__':
    main()
