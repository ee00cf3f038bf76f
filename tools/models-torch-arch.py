#!/usr/bin/python3
"""PyTorch reference architectures of the RepDistiller / mdistiller CIFAR zoo (own code, written
from reading their definitions; module attribute names follow theirs so state-dict keys match).

Run with Debian's torch:  /usr/bin/python3 tools/models-torch-arch.py
It writes libs/models/test/fixtures/torch-arch.json: for every zoo model (100 classes) the
trainable parameter count, BN buffer counts, conv+linear multiply-accumulates at 32x32
(measured with forward hooks on a real forward pass) and the state-dict keys with shapes.
`--check` only prints the table. Imported by tools/models-parity-fixtures.py.
"""
import argparse
import json
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- CIFAR ResNet (resnet.py)
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class CifarResNet(nn.Module):
    def __init__(self, depth, filters, block="basic", num_classes=100):
        super().__init__()
        blk = BasicBlock if block == "basic" else Bottleneck
        per = 6 if block == "basic" else 9
        assert (depth - 2) % per == 0
        n = (depth - 2) // per
        self.inplanes = filters[0]
        self.conv1 = nn.Conv2d(3, filters[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(filters[0])
        self.layer1 = self._stage(blk, filters[1], n, 1)
        self.layer2 = self._stage(blk, filters[2], n, 2)
        self.layer3 = self._stage(blk, filters[3], n, 2)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(filters[3] * blk.expansion, num_classes)

    def _stage(self, blk, planes, n, stride):
        down = None
        if stride != 1 or self.inplanes != planes * blk.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * blk.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * blk.expansion))
        blocks = [blk(self.inplanes, planes, stride, down)]
        self.inplanes = planes * blk.expansion
        blocks += [blk(self.inplanes, planes) for _ in range(1, n)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- ResNet v2 (resnetv2.py)
class V2Block(nn.Module):
    def __init__(self, in_planes, planes, stride, bottleneck):
        super().__init__()
        self.bottleneck = bottleneck
        exp = 4 if bottleneck else 1
        if bottleneck:
            self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * 4)
        else:
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != exp * planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, exp * planes, 1, stride, bias=False),
                                          nn.BatchNorm2d(exp * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        if self.bottleneck:
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
        else:
            out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetV2(nn.Module):
    def __init__(self, bottleneck, num_blocks, num_classes=100):
        super().__init__()
        exp = 4 if bottleneck else 1
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_planes = 64
        for s, (planes, n) in enumerate(zip([64, 128, 256, 512], num_blocks)):
            blocks = []
            for i in range(n):
                blocks.append(V2Block(in_planes, planes, 2 if (i == 0 and s > 0) else 1, bottleneck))
                in_planes = planes * exp
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(512 * exp, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.linear(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- Wide ResNet (wrn.py)
class WrnBlock(nn.Module):
    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.equal = in_planes == out_planes
        self.convShortcut = None if self.equal else nn.Conv2d(in_planes, out_planes, 1, stride, 0, bias=False)

    def forward(self, x):
        act = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(act))))
        return (x if self.equal else self.convShortcut(act)) + out


class WrnGroup(nn.Module):
    def __init__(self, n, in_planes, out_planes, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WrnBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1)
                                     for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, widen, num_classes=100):
        super().__init__()
        ch = [16, 16 * widen, 32 * widen, 64 * widen]
        assert (depth - 4) % 6 == 0
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = WrnGroup(n, ch[0], ch[1], 1)
        self.block2 = WrnGroup(n, ch[1], ch[2], 2)
        self.block3 = WrnGroup(n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        x = F.avg_pool2d(F.relu(self.bn1(x)), 8)
        return self.fc(torch.flatten(x, 1))


# ---------------------------------------------------------------- VGG (vgg.py)
VGG_CFG = {
    "S": [[64], [128], [256], [512], [512]],
    "A": [[64], [128], [256, 256], [512, 512], [512, 512]],
    "B": [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    "D": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    "E": [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
}


class VGG(nn.Module):
    def __init__(self, cfg, batch_norm=True, num_classes=100):
        super().__init__()
        in_c = 3
        for b, widths in enumerate(cfg):
            mods = []
            for v in widths:
                mods.append(nn.Conv2d(in_c, v, 3, padding=1))
                if batch_norm:
                    mods.append(nn.BatchNorm2d(v))
                mods.append(nn.ReLU(inplace=True))
                in_c = v
            setattr(self, "block%d" % b, nn.Sequential(*mods[:-1]))
        self.pool = nn.MaxPool2d(2, 2)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.block0(x)))
        x = self.pool(F.relu(self.block1(x)))
        x = self.pool(F.relu(self.block2(x)))
        x = F.relu(self.block3(x))  # no pool3 at 32x32 (only for 64x64 inputs)
        x = F.relu(self.block4(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------- MobileNetV2 (mobilenetv2.py)
class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        h = inp * t
        self.use_res = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, h, 1, 1, 0, bias=False), nn.BatchNorm2d(h), nn.ReLU(inplace=True),
            nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU(inplace=True),
            nn.Conv2d(h, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, T, width_mult, num_classes=100):
        super().__init__()
        setting = [[1, 16, 1, 1], [T, 24, 2, 1], [T, 32, 3, 2], [T, 64, 4, 2], [T, 96, 3, 1], [T, 160, 3, 2], [T, 320, 1, 1]]
        c_in = int(32 * width_mult)
        self.conv1 = nn.Sequential(nn.Conv2d(3, c_in, 3, 2, 1, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(inplace=True))
        self.blocks = nn.ModuleList()
        for t, c, n, s in setting:
            c_out = int(c * width_mult)
            mods = []
            for i in range(n):
                mods.append(InvertedResidual(c_in, c_out, s if i == 0 else 1, t))
                c_in = c_out
            self.blocks.append(nn.Sequential(*mods))
        last = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = nn.Sequential(nn.Conv2d(c_in, last, 1, 1, 0, bias=False), nn.BatchNorm2d(last), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))
        self.avgpool = nn.AvgPool2d(2, ceil_mode=True)

    def forward(self, x):
        x = self.conv1(x)
        for b in self.blocks:
            x = b(x)
        x = self.avgpool(self.conv2(x))
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------- ShuffleNet V1 / V2
def channel_shuffle(x, g):
    n, c, h, w = x.size()
    return x.reshape(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


class ShuffleV1Block(nn.Module):
    def __init__(self, in_planes, out_planes, stride, groups):
        super().__init__()
        mid = int(out_planes / 4)
        self.g1 = 1 if in_planes == 24 else groups
        self.stride = stride
        self.conv1 = nn.Conv2d(in_planes, mid, 1, groups=self.g1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out_planes, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1)) if stride == 2 else nn.Sequential()

    def forward(self, x):
        out = channel_shuffle(F.relu(self.bn1(self.conv1(x))), self.g1)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        return F.relu(torch.cat([out, res], 1) if self.stride == 2 else out + res)


class ShuffleNetV1(nn.Module):
    def __init__(self, out_planes, num_blocks, groups, num_classes=100):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        in_planes = 24
        for s in range(3):
            blocks = []
            for i in range(num_blocks[s]):
                cat = in_planes if i == 0 else 0
                blocks.append(ShuffleV1Block(in_planes, out_planes[s] - cat, 2 if i == 0 else 1, groups))
                in_planes = out_planes[s]
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.linear = nn.Linear(out_planes[2], num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(torch.flatten(F.avg_pool2d(x, 4), 1))


class ShuffleV2Basic(nn.Module):
    def __init__(self, channels):
        super().__init__()
        c = int(channels * 0.5)
        self.c = c
        self.conv1 = nn.Conv2d(c, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x):
        x1, x2 = x[:, :self.c], x[:, self.c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return channel_shuffle(torch.cat([x1, out], 1), 2)


class ShuffleV2Down(nn.Module):
    def __init__(self, in_c, out_c):
        super().__init__()
        mid = out_c // 2
        self.conv1 = nn.Conv2d(in_c, in_c, 3, 2, 1, groups=in_c, bias=False)
        self.bn1 = nn.BatchNorm2d(in_c)
        self.conv2 = nn.Conv2d(in_c, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(in_c, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x):
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


SHUFFLEV2_SIZES = {
    0.2: ((40, 80, 160, 512), (3, 3, 3)),
    0.3: ((40, 80, 160, 512), (3, 7, 3)),
    0.5: ((48, 96, 192, 1024), (3, 7, 3)),
    1: ((116, 232, 464, 1024), (3, 7, 3)),
    1.5: ((176, 352, 704, 1024), (3, 7, 3)),
    2: ((224, 488, 976, 2048), (3, 7, 3)),
}


class ShuffleNetV2(nn.Module):
    def __init__(self, out_channels, num_blocks, num_classes=100):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        in_c = 24
        for s in range(3):
            mods = [ShuffleV2Down(in_c, out_channels[s])] + [ShuffleV2Basic(out_channels[s]) for _ in range(num_blocks[s])]
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*mods))
            in_c = out_channels[s]
        self.conv2 = nn.Conv2d(out_channels[2], out_channels[3], 1, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels[3])
        self.linear = nn.Linear(out_channels[3], num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.linear(torch.flatten(F.avg_pool2d(x, 4), 1))


# ---------------------------------------------------------------- registry
SMALL, X4 = [16, 16, 32, 64], [32, 64, 128, 256]
ZOO = {
    **{"resnet%d" % d: (lambda d: lambda k: CifarResNet(d, SMALL, num_classes=k))(d) for d in [8, 14, 20, 32, 44, 56, 110]},
    "resnet8x4": lambda k: CifarResNet(8, X4, num_classes=k),
    "resnet32x4": lambda k: CifarResNet(32, X4, num_classes=k),
    "wrn_16_1": lambda k: WideResNet(16, 1, k),
    "wrn_16_2": lambda k: WideResNet(16, 2, k),
    "wrn_40_1": lambda k: WideResNet(40, 1, k),
    "wrn_40_2": lambda k: WideResNet(40, 2, k),
    "vgg8": lambda k: VGG(VGG_CFG["S"], True, k),
    "vgg11": lambda k: VGG(VGG_CFG["A"], True, k),
    "vgg13": lambda k: VGG(VGG_CFG["B"], True, k),
    "vgg16": lambda k: VGG(VGG_CFG["D"], True, k),
    "vgg19": lambda k: VGG(VGG_CFG["E"], True, k),
    "MobileNetV2": lambda k: MobileNetV2(6, 0.5, k),
    "ShuffleV1": lambda k: ShuffleNetV1([240, 480, 960], [4, 8, 4], 3, k),
    "ShuffleV2": lambda k: ShuffleNetV2(*SHUFFLEV2_SIZES[1], num_classes=k),
    "ResNet18": lambda k: ResNetV2(False, [2, 2, 2, 2], k),
    "ResNet50": lambda k: ResNetV2(True, [3, 4, 6, 3], k),
}


def count_macs(model):
    """Multiply-accumulates of Conv2d and Linear layers for one 3x32x32 input (hooks on a real forward)."""
    total = [0]

    def conv_hook(m, _inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, _inp, out):
        total[0] += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    return total[0]


def describe(model):
    sd = model.state_dict()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "bnBuffers": sum(m.running_mean.numel() + m.running_var.numel() for m in bns),
        "bnLayers": len(bns),
        "macs": count_macs(model),
        "stateDict": [[k, list(v.shape)] for k, v in sd.items() if not k.endswith("num_batches_tracked")],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "libs", "models", "test", "fixtures", "torch-arch.json"))
    ap.add_argument("--check", action="store_true", help="print the table only")
    ap.add_argument("--classes", type=int, default=100)
    args = ap.parse_args()
    torch.manual_seed(0)
    models = {}
    for name, make in ZOO.items():
        d = describe(make(args.classes))
        models[name] = d
        print("%-12s params %10d  bn buffers %6d  MACs %12d" % (name, d["params"], d["bnBuffers"], d["macs"]), file=sys.stderr)
    if args.check:
        return
    doc = {"generator": "tools/models-torch-arch.py", "torch": torch.__version__, "classes": args.classes,
           "macs": "conv2d + linear multiply-accumulates for one 3x32x32 input", "models": models}
    out = os.path.abspath(args.out)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out), prefix=".torch-arch.", suffix=".tmp")
    os.chmod(tmp, 0o644)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, out)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
