#!/usr/bin/python3
"""Golden images of MLKD's strong-view operations for @atkd/data, computed with Pillow (Debian's
python3-pil, 9.4) exactly as the authors' code (kei813121/atkd dataset/cifar100.py, from FixMatch)
applies them: ImageOps.autocontrast / equalize / posterize / solarize, ImageEnhance.Brightness /
Color / Contrast / Sharpness, Image.rotate, Image.transform(AFFINE) for shears and translations,
and CutoutAbs drawn with ImageDraw.rectangle in colour (125, 123, 114).

Written from that description (the public code was read, not copied). Inputs are seeded synthetic
32 x 32 RGB images (noise, gradients, a low-contrast patch); the fixture stores inputs and outputs
in atkd's CHW byte layout, base64, gzip-compressed.

Usage (from the repository root):  /usr/bin/python3 tools/strong-augment-golden.py
  (needs python3-pil: apt-get install python3-pil; only to regenerate, never at run time)
Writes libs/data/test/fixtures/strong-augment-golden.json.gz (atomically: temp file + rename).
"""
import base64
import gzip
import json
import os
import tempfile

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'data', 'test', 'fixtures', 'strong-augment-golden.json.gz')


def ops():
    return {
        'AutoContrast': lambda img, v: ImageOps.autocontrast(img),
        'Brightness': lambda img, v: ImageEnhance.Brightness(img).enhance(v),
        'Color': lambda img, v: ImageEnhance.Color(img).enhance(v),
        'Contrast': lambda img, v: ImageEnhance.Contrast(img).enhance(v),
        'Equalize': lambda img, v: ImageOps.equalize(img),
        'Identity': lambda img, v: img,
        'Posterize': lambda img, v: ImageOps.posterize(img, max(1, int(v))),
        'Rotate': lambda img, v: img.rotate(v),
        'Sharpness': lambda img, v: ImageEnhance.Sharpness(img).enhance(v),
        'ShearX': lambda img, v: img.transform(img.size, Image.AFFINE, (1, v, 0, 0, 1, 0)),
        'ShearY': lambda img, v: img.transform(img.size, Image.AFFINE, (1, 0, 0, v, 1, 0)),
        'Solarize': lambda img, v: ImageOps.solarize(img, v),
        'TranslateX': lambda img, v: img.transform(img.size, Image.AFFINE, (1, 0, v * img.size[0], 0, 1, 0)),
        'TranslateY': lambda img, v: img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, v * img.size[1])),
    }


RANGES = {
    'AutoContrast': (0, 1), 'Brightness': (0.05, 0.95), 'Color': (0.05, 0.95), 'Contrast': (0.05, 0.95),
    'Equalize': (0, 1), 'Identity': (0, 1), 'Posterize': (4, 8), 'Rotate': (-30, 30), 'Sharpness': (0.05, 0.95),
    'ShearX': (-0.3, 0.3), 'ShearY': (-0.3, 0.3), 'Solarize': (0, 256), 'TranslateX': (-0.3, 0.3), 'TranslateY': (-0.3, 0.3),
}


def cutout_abs(img, v, cx, cy):
    """The authors' CutoutAbs with the centre given (the code draws it with np.random.uniform(w))."""
    w, h = img.size
    x0 = int(max(0, cx - v / 2.0))
    y0 = int(max(0, cy - v / 2.0))
    x1 = min(w, x0 + v)
    y1 = min(h, y0 + v)
    img = img.copy()
    ImageDraw.Draw(img).rectangle((x0, y0, x1, y1), (125, 123, 114))
    return img


def chw(img):
    a = np.asarray(img.convert('RGB'), dtype=np.uint8)  # H, W, C
    return base64.b64encode(np.ascontiguousarray(a.transpose(2, 0, 1)).tobytes()).decode('ascii')


def images(rng):
    noise = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:32, 0:32]
    grad = np.stack([xx * 8, yy * 8, (xx + yy) * 4], axis=-1).clip(0, 255).astype(np.uint8)
    low = (100 + rng.integers(0, 30, size=(32, 32, 3))).astype(np.uint8)
    low[8:20, 10:24] = [160, 90, 120]
    return {'noise': noise, 'gradient': grad, 'low-contrast': low}


def main():
    rng = np.random.default_rng(20230618)
    cases = []
    table = ops()
    for iname, arr in images(rng).items():
        img = Image.fromarray(arr, 'RGB')
        for oname, fn in table.items():
            lo, hi = RANGES[oname]
            values = [lo + (hi - lo) * float(u) for u in rng.random(2)]
            if oname == 'Rotate':
                values += [90.0, -12.5]
            if oname == 'Solarize':
                values += [128.0]
            for v in values:
                cases.append({'image': iname, 'op': oname, 'value': v, 'output': chw(fn(img, v))})
        for v, cx, cy in [(7.3, 5.5, 30.2), (15.9, 31.99, 1.01), (0.4, 16.0, 16.0), (12.0, 2.0, 2.0)]:
            cases.append({'image': iname, 'op': 'Cutout', 'value': v, 'cx': cx, 'cy': cy, 'output': chw(cutout_abs(img, v, cx, cy))})
    doc = {
        'generator': 'tools/strong-augment-golden.py',
        'command': '/usr/bin/python3 tools/strong-augment-golden.py',
        'pillow': PIL.__version__,
        'layout': 'CHW uint8, base64',
        'images': {k: chw(Image.fromarray(v, 'RGB')) for k, v in images(np.random.default_rng(20230618)).items()},
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(OUT), prefix='.golden-', suffix='.json.gz')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(gzip.compress(json.dumps(doc).encode('utf-8'), mtime=0))
        os.chmod(tmp, 0o644)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f'wrote {OUT}: {len(cases)} cases, Pillow {PIL.__version__}')


if __name__ == '__main__':
    main()
