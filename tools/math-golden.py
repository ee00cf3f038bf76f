#!/usr/bin/python3
"""Golden vectors for @atkd/math, computed with PyTorch the way the authors' (mdistiller-based)
code computes them:

  * z-score: (x - x.mean(-1)) / (1e-7 + x.std(-1)), torch.std with its default n-1 divisor;
  * max-logit temperature: T = (1 + sqrt 3)/2 * max_c |z'| per row, over the teacher row
    ("teacher-only") or over the teacher and the student row ("paired");
  * KD loss: F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction="none").sum(1) * T^2,
    then .mean() over the batch (T per row, shape (B, 1)).

Written from that description (the public code was read, not copied). Everything is computed in
float64 from inputs that are exactly representable in float32, so the TypeScript tests can feed
the same numbers as Float32Array or Float64Array. Degenerate rows are not included: the authors'
code divides by a zero temperature there (our documented convention is T = 1, tested separately).

Usage (from the repository root):  /usr/bin/python3 tools/math-golden.py
Writes libs/math/test/fixtures/golden.json (atomically: temp file + rename).
"""
import json
import math
import os
import sys
import tempfile

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'math', 'test', 'fixtures', 'golden.json')
SCALE = (1.0 + math.sqrt(3.0)) / 2.0
EPS = 1e-7


def standardize(x):
    mean = x.mean(dim=-1, keepdim=True)
    std = x.std(dim=-1, keepdim=True)  # unbiased (n - 1)
    return (x - mean) / (EPS + std)


def temperature(zt, zs=None):
    m = zt.abs().amax(dim=1, keepdim=True)
    if zs is not None:
        m = torch.maximum(m, zs.abs().amax(dim=1, keepdim=True))
    return SCALE * m


def kd_rows(s, t, T):
    """Per-row T^2 * KL(softmax(t/T) || softmax(s/T)); T has shape (B, 1)."""
    log_q = F.log_softmax(s / T, dim=1)
    p = F.softmax(t / T, dim=1)
    return F.kl_div(log_q, p, reduction='none').sum(1) * (T.squeeze(1) ** 2)


def case(name, teacher32, student32):
    t = teacher32.to(torch.float64)
    s = student32.to(torch.float64)
    B, C = t.shape
    zt, zs = standardize(t), standardize(s)
    T_only, T_pair = temperature(zt), temperature(zt, zs)
    T_fixed = torch.full((B, 1), 4.0, dtype=torch.float64)
    T_raw = temperature(t)  # standardize = false: max |raw logit|
    T_raw_pair = temperature(t, s)
    # 'adaptive' in @atkd/math is the paired temperature (the authors' code); 'adaptive-teacher' the teacher-only one
    losses = {
        'adaptive-teacher': kd_rows(zs, zt, T_only),
        'adaptive-paired': kd_rows(zs, zt, T_pair),
        'fixed4': kd_rows(zs, zt, T_fixed),
        'raw-fixed4': kd_rows(s, t, T_fixed),
        'raw-adaptive-teacher': kd_rows(s, t, T_raw),
        'raw-adaptive-paired': kd_rows(s, t, T_raw_pair),
    }
    flat = lambda x: [float(v) for v in x.reshape(-1).tolist()]
    return {
        'name': name,
        'rows': B,
        'classes': C,
        'teacher': flat(t),
        'student': flat(s),
        'zscoreTeacher': flat(zt),
        'zscoreStudent': flat(zs),
        'temperatureTeacherOnly': flat(T_only),
        'temperaturePaired': flat(T_pair),
        'temperatureRaw': flat(T_raw),
        'lossPerRow': {k: flat(v) for k, v in losses.items()},
        'loss': {k: float(v.mean()) for k, v in losses.items()},
    }


def main():
    g = torch.Generator().manual_seed(20250312)
    cases = []
    # CIFAR-100-like: confident teacher, correlated student
    for name, B, C, spread, offset, mix in [
        ('cifar100-like', 8, 100, 3.0, 0.0, 0.7),
        ('cifar10-like', 6, 10, 2.0, 1.5, 0.4),
        ('two-classes', 6, 2, 1.0, -3.0, 0.1),
        ('large-offset', 4, 37, 0.05, 40.0, 0.2),
        ('anti-correlated', 3, 16, 5.0, 0.0, -0.8),
    ]:
        t = torch.randn(B, C, generator=g, dtype=torch.float64) * spread + offset
        t[torch.arange(B), torch.randint(0, C, (B,), generator=g)] += 4 * spread  # a clear arg-max
        noise = torch.randn(B, C, generator=g, dtype=torch.float64) * spread
        s = mix * t + math.sqrt(max(0.0, 1 - mix * mix)) * noise + 0.5
        cases.append(case(name, t.to(torch.float32), s.to(torch.float32)))
    doc = {
        'generator': 'tools/math-golden.py',
        'command': '/usr/bin/python3 tools/math-golden.py',
        'torch': torch.__version__,
        'eps': EPS,
        'temperatureScale': SCALE,
        'note': 'float64 results from float32-representable inputs; losses are T^2 KL(p_t || p_s) per row and their batch mean',
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(OUT), prefix='.golden-', suffix='.json')
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(doc, f, indent=1)
            f.write('\n')
        os.chmod(tmp, 0o644)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f'wrote {os.path.relpath(OUT)}: {len(cases)} cases ({", ".join(c["name"] for c in cases)}), torch {torch.__version__}', file=sys.stderr)


if __name__ == '__main__':
    main()
