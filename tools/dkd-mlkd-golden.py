#!/usr/bin/python3
"""Golden vectors of DKD and MLKD for @atkd/math, computed with PyTorch the way the authors' code
(kei813121/atkd: distiller_zoo/dkd.py, distiller_zoo/mlkd.py, helper/util.py) computes them:

  * normalize: (x - mean) / (std + 1e-7), torch.std with its n-1 divisor;
  * calc_maxlogit_temp: T = (1 + sqrt 3)/2 * max_c max(|z'_s|, |z'_t|) per row ("paired");
    the teacher-only variant takes the teacher row alone;
  * dkd_loss: TCKD from the softmax at T collapsed to [p_gt, sum of the others] (cat_mask),
    F.kl_div(log(student), teacher, reduction='none') * T^2, summed, / B; NCKD from
    softmax(x/T - 1000 * gt_mask), same reduction; alpha * TCKD + beta * NCKD (no warm-up factor);
  * MLKD: kd_loss(reduce=True) = (kl_div * T^2).sum(1).mean(); cc_loss = sum((Pt^T Pt - Ps^T Ps)^2)/C;
    bc_loss = sum((Pt Pt^T - Ps Ps^T)^2)/B; masks at np.percentile(., 50) of softmax of the weak
    teacher logits (max per row; sum per class); the terms over [T0, 3, 5, 2, 6] with the code's
    quirks: scalar * mask then .mean() (so the mask's share multiplies the term), the strong
    instance term's T = 2 and T = 6 parts on the weak view, loss = kd_weak + kd_strong + cc_weak + bc_weak.

Written from that description (the public code was read, not copied). float64 from inputs exactly
representable in float32.

Usage (from the repository root):  /usr/bin/python3 tools/dkd-mlkd-golden.py
Writes libs/math/test/fixtures/golden-dkd-mlkd.json (atomically: temp file + rename).
"""
import json
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'math', 'test', 'fixtures', 'golden-dkd-mlkd.json')
SCALE = (1.0 + math.sqrt(3.0)) / 2.0
EPS = 1e-7


def standardize(x):
    return (x - x.mean(dim=1, keepdim=True)) / (x.std(dim=1, keepdim=True) + EPS)


def temperature(zt, zs=None):
    m = zt.abs().amax(dim=1, keepdim=True)
    if zs is not None:
        m = torch.maximum(m, zs.abs().amax(dim=1, keepdim=True))
    return SCALE * m


def dkd_rows(s, t, y, T):
    """Per-row T^2 TCKD and T^2 NCKD (T of shape (B, 1))."""
    B, C = s.shape
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1).bool()
    other = ~gt
    ps = F.softmax(s / T, dim=1)
    pt = F.softmax(t / T, dim=1)
    bs = torch.cat([(ps * gt).sum(1, keepdim=True), (ps * other).sum(1, keepdim=True)], dim=1)
    bt = torch.cat([(pt * gt).sum(1, keepdim=True), (pt * other).sum(1, keepdim=True)], dim=1)
    tckd = (F.kl_div(torch.log(bs), bt, reduction='none') * T ** 2).sum(1)
    pt2 = F.softmax(t / T - 1000.0 * gt, dim=1)
    ls2 = F.log_softmax(s / T - 1000.0 * gt, dim=1)
    nckd = (F.kl_div(ls2, pt2, reduction='none') * T ** 2).sum(1)
    return tckd, nckd


def kd(s, t, T):
    return (F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='none') * T ** 2).sum(1).mean()


def cc(s, t, T):
    C = s.shape[1]
    ps, pt = F.softmax(s / T, dim=1), F.softmax(t / T, dim=1)
    return ((pt.t() @ pt - ps.t() @ ps) ** 2).sum() / C


def bc(s, t, T):
    B = s.shape[0]
    ps, pt = F.softmax(s / T, dim=1), F.softmax(t / T, dim=1)
    return ((pt @ pt.t() - ps @ ps.t()) ** 2).sum() / B


def mlkd(ws, wt, ss, st, T0w, T0s):
    p = F.softmax(wt, dim=1)
    conf = p.max(dim=1).values
    mask = conf.le(float(np.percentile(conf.numpy().flatten(), 50)))
    cconf = p.sum(dim=0)
    cmask = cconf.le(float(np.percentile(cconf.numpy().flatten(), 50)))
    Ts = [(T0w, T0s), 3.0, 5.0, 2.0, 6.0]
    kd_weak = kd_strong = cc_weak = bc_weak = 0.0
    for i, T in enumerate(Ts):
        Tw, Tst = T if isinstance(T, tuple) else (T, T)
        kd_weak = kd_weak + (kd(ws, wt, Tw) * mask).mean()
        kd_strong = kd_strong + (kd(ws, wt, Tw) if i >= 3 else kd(ss, st, Tst))
        cc_weak = cc_weak + (cc(ws, wt, Tw) * cmask).mean()
        bc_weak = bc_weak + (bc(ws, wt, Tw) * mask).mean()
    return {
        'kdWeak': float(kd_weak), 'kdStrong': float(kd_strong), 'cc': float(cc_weak), 'bc': float(bc_weak),
        'total': float(kd_weak + kd_strong + cc_weak + bc_weak),
        'instanceMask': [int(v) for v in mask.tolist()], 'classMask': [int(v) for v in cmask.tolist()],
    }


flat = lambda x: [float(v) for v in x.reshape(-1).tolist()]


def logits(g, B, C, spread, offset):
    t = torch.randn(B, C, generator=g, dtype=torch.float64) * spread + offset
    t[torch.arange(B), torch.randint(0, C, (B,), generator=g)] += 4 * spread
    return t


def correlated(g, t, mix, spread):
    noise = torch.randn(t.shape, generator=g, dtype=torch.float64) * spread
    return mix * t + math.sqrt(max(0.0, 1 - mix * mix)) * noise + 0.5


def f32(x):
    return x.to(torch.float32).to(torch.float64)


def case(g, name, B, C, spread, offset, mix):
    wt = f32(logits(g, B, C, spread, offset))
    ws = f32(correlated(g, wt, mix, spread))
    st = f32(wt + torch.randn(B, C, generator=g, dtype=torch.float64) * spread * 0.5)
    ss = f32(correlated(g, st, mix, spread))
    y = torch.randint(0, C, (B,), generator=g)
    y[: B // 2] = wt[: B // 2].argmax(dim=1)  # half the labels agree with the teacher
    zws, zwt, zss, zst = (standardize(v) for v in (ws, wt, ss, st))
    four = torch.full((B, 1), 4.0, dtype=torch.float64)
    two = torch.full((B, 1), 2.0, dtype=torch.float64)
    dkd_modes = {
        'raw-fixed4': (ws, wt, four),
        'std-fixed2': (zws, zwt, two),
        'std-paired': (zws, zwt, temperature(zwt, zws)),
        'std-teacher': (zws, zwt, temperature(zwt)),
    }
    dkd = {}
    for mode, (s, t, T) in dkd_modes.items():
        tckd, nckd = dkd_rows(s, t, y, T)
        dkd[mode] = {'temperature': flat(T), 'tckd': flat(tckd), 'nckd': flat(nckd),
                     'loss': float((1.0 * tckd + 8.0 * nckd).mean())}
    ml = {
        'raw-fixed4': mlkd(ws, wt, ss, st, four, four),
        'std-fixed2': mlkd(zws, zwt, zss, zst, two, two),
        'std-paired': mlkd(zws, zwt, zss, zst, temperature(zwt, zws), temperature(zst, zss)),
        'std-teacher': mlkd(zws, zwt, zss, zst, temperature(zwt), temperature(zst)),
    }
    return {'name': name, 'rows': B, 'classes': C, 'labels': [int(v) for v in y.tolist()],
            'weakStudent': flat(ws), 'weakTeacher': flat(wt), 'strongStudent': flat(ss), 'strongTeacher': flat(st),
            'dkd': dkd, 'mlkd': ml}


def main():
    g = torch.Generator().manual_seed(20220622)
    cases = [case(g, *spec) for spec in [
        ('cifar100-like', 8, 100, 3.0, 0.0, 0.7),
        ('cifar10-like', 7, 10, 2.0, 1.5, 0.4),
        ('two-classes', 6, 2, 1.0, -3.0, 0.1),
        ('anti-correlated', 5, 16, 5.0, 0.0, -0.8),
    ]]
    doc = {
        'generator': 'tools/dkd-mlkd-golden.py',
        'command': '/usr/bin/python3 tools/dkd-mlkd-golden.py',
        'torch': torch.__version__,
        'note': 'dkd: alpha 1, beta 8; tckd/nckd per row already times T^2; mlkd: the terms of the authors\' code (T0 then 3, 5, 2, 6)',
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
    print(f'wrote {OUT}: {len(cases)} cases')


if __name__ == '__main__':
    main()
