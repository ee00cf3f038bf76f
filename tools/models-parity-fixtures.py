#!/usr/bin/python3
"""Parity fixtures for @atkd/models: small members of each family with random weights (fixed seed),
random non-trivial BN running statistics, PyTorch eval-mode logits for a fixed input.

Run with Debian's torch:  /usr/bin/python3 tools/models-parity-fixtures.py
Writes libs/models/test/fixtures/parity/:
  <id>.pth         torch.save of the state dict (bare or under model / net / state_dict, one with
                   nn.DataParallel's `module.` prefix) - the zip format of torch >= 1.6
  input.bin        float32 little-endian, NHWC [batch, 32, 32, 3] (the NCHW torch input, permuted)
  <id>.logits.bin  float32 little-endian [batch, classes], eval-mode logits
  parity.json      manifest: id, family, graph config (as the TS graph builders take it), classes,
                   wrapper, file sizes
The architectures come from tools/models-torch-arch.py. Full-size members that would make the
fixtures large (resnet8x4 4.9 MB, vgg8 15.9 MB, MobileNetV2 3.3 MB, ShuffleV1 3.8 MB, ShuffleV2
5.4 MB at fp32) are replaced by the same code with smaller widths / depths (still their constructors'
options: filters, cfg, T / width, groups / planes, net_size 0.2).
"""
import argparse
import importlib.util
import io
import json
import os
import sys
import tempfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("models_torch_arch", os.path.join(HERE, "models-torch-arch.py"))
arch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(arch)

OUT = os.path.join(HERE, "..", "libs", "models", "test", "fixtures", "parity")
BATCH = 2
CLASSES = 10

# id, family (TS graph builder), config for the TS builder, torch constructor, wrapper
FIXTURES = [
    ("resnet8", "zoo", {"name": "resnet8"},
     lambda: arch.ZOO["resnet8"](CLASSES), "model"),
    ("resnet8x4_narrow", "cifarResNet", {"depth": 8, "filters": [8, 16, 32, 64]},
     lambda: arch.CifarResNet(8, [8, 16, 32, 64], num_classes=CLASSES), "net"),
    ("wrn_16_1", "zoo", {"name": "wrn_16_1"},
     lambda: arch.ZOO["wrn_16_1"](CLASSES), "state_dict"),
    ("vgg_narrow_bn", "vgg", {"cfg": [[8], [16], [16, 16], [16], [512]], "batchNorm": True},
     lambda: arch.VGG([[8], [16], [16, 16], [16], [512]], True, CLASSES), "bare"),
    ("mobilenetv2_T2_w025", "mobileNetV2", {"expansion": 2, "widthMult": 0.25},
     lambda: arch.MobileNetV2(2, 0.25, CLASSES), "model"),
    ("shufflev1_small", "shuffleNetV1", {"outPlanes": [120, 240, 480], "numBlocks": [2, 2, 2], "groups": 3},
     lambda: arch.ShuffleNetV1([120, 240, 480], [2, 2, 2], 3, CLASSES), "dataparallel"),
    ("shufflev2_0.2", "shuffleNetV2", {"outChannels": [40, 80, 160, 512], "numBlocks": [3, 3, 3]},
     lambda: arch.ShuffleNetV2(*arch.SHUFFLEV2_SIZES[0.2], num_classes=CLASSES), "net"),
]


def randomize(model, gen):
    """Random weights; BN running statistics set from a random calibration batch (so activations stay
    O(1) through depth) and then perturbed, so eval-mode BN uses non-trivial, non-batch statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.momentum = None  # cumulative average over the calibration pass
                m.reset_running_stats()
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / m.in_features ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        model.train()
        model(torch.rand(16, 3, 32, 32, generator=gen) * 2 - 1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.add_(torch.randn(c, generator=gen) * 0.1 * m.running_var.sqrt())
                m.running_var.mul_(0.7 + 0.6 * torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(int(torch.randint(1, 10000, (1,), generator=gen)))
                m.momentum = 0.1
    model.eval()


def atomic_bytes(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    os.chmod(tmp, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def atomic_torch_save(obj, path):
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_bytes(path, buf.getvalue())


def write_fixture(out, fid, model, x, wrapper, gen_seed):
    randomize(model, torch.Generator().manual_seed(gen_seed))
    with torch.no_grad():
        logits = model(x)
    sd = model.state_dict()
    if wrapper == "bare":
        obj = sd
    elif wrapper == "dataparallel":
        obj = {"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 240}
    else:
        obj = {wrapper: sd, "epoch": 240, "best_acc": 0.5}
    pth = os.path.join(out, fid + ".pth")
    atomic_torch_save(obj, pth)
    atomic_bytes(os.path.join(out, fid + ".logits.bin"), logits.numpy().astype("<f4").tobytes())
    params = sum(p.numel() for p in model.parameters())
    size = os.path.getsize(pth)
    print("%-22s params %9d  .pth %10d bytes  |logits|max %.3f" % (fid, params, size, logits.abs().max()), file=sys.stderr)
    return params, size, float(logits.abs().max())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zoo", metavar="DIR",
                    help="instead of the committed fixtures, write full-size fixtures of EVERY zoo model (100 classes, "
                         "about 450 MB) to DIR for `node libs/models/scripts/zoo-parity.mjs DIR`; never commit these")
    args = ap.parse_args()
    out = os.path.abspath(args.zoo) if args.zoo else OUT
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20250312)
    x = torch.rand(BATCH, 3, 32, 32, generator=gen) * 2 - 1
    atomic_bytes(os.path.join(out, "input.bin"), x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tobytes())
    if args.zoo:
        fixtures = [(name, "zoo", {"name": name}, (lambda make: lambda: make(100))(make), "model")
                    for name, make in arch.ZOO.items()]
        classes = 100
    else:
        fixtures = FIXTURES
        classes = CLASSES
    manifest = []
    total = 0
    for i, (fid, family, config, make, wrapper) in enumerate(fixtures):
        torch.manual_seed(i)
        params, size, amax = write_fixture(out, fid, make(), x, wrapper, 1000 + i)
        total += size
        manifest.append({"id": fid, "family": family, "config": config, "classes": classes, "batch": BATCH,
                         "wrapper": wrapper, "params": params, "pthBytes": size, "logitsAbsMax": amax})
    doc = {"generator": "tools/models-parity-fixtures.py", "torch": torch.__version__, "input": "input.bin",
           "inputShape": [BATCH, 32, 32, 3], "layout": "NHWC float32 little-endian", "fixtures": manifest}
    atomic_bytes(os.path.join(out, "parity.json"), (json.dumps(doc, indent=1) + "\n").encode())
    print("total .pth bytes", total, file=sys.stderr)


if __name__ == "__main__":
    main()
