#!/usr/bin/python3
"""PyTorch peer for `nx run backend:bench`: training and inference img/s of the RepDistiller CIFAR
ResNets (resnet8, resnet20; batch 64; SGD momentum; cross-entropy) on the CPU with a fixed number
of threads. Prints one JSON object on stdout. The architecture is rebuilt here (not imported) so
the script has no dependency besides torch."""
import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001
    print(json.dumps({"error": f"cannot import torch: {e}"}))
    sys.exit(3)


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.down = None
        if stride != 1 or cin != planes:
            self.down = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    def __init__(self, depth, num_classes=100):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for stage, planes in enumerate([16, 32, 64]):
            for b in range(n):
                layers.append(BasicBlock(cin, planes, 2 if (b == 0 and stage > 0) else 1))
                cin = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def rate(fn, batch, min_seconds, warmup=2):
    for _ in range(warmup):
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds and n >= 2:
            return n * batch / dt


class Runner:
    """Cached models/batches so that a measurement can be repeated in short slices."""

    def __init__(self, batch):
        self.batch, self.cache = batch, {}

    def get(self, depth):
        if depth not in self.cache:
            torch.manual_seed(depth)
            model = ResNet(depth)
            x = torch.randn(self.batch, 3, 32, 32)
            y = torch.randint(0, 100, (self.batch,))
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            self.cache[depth] = (model, x, y, opt)
        return self.cache[depth]

    def rate(self, depth, mode, threads, seconds, warmup=1):
        torch.set_num_threads(threads)
        model, x, y, opt = self.get(depth)

        def train():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        def infer():
            with torch.no_grad():
                model(x).sum().item()

        model.train(mode == "train")
        return rate(train if mode == "train" else infer, self.batch, seconds, warmup)


def conv_rate(req):
    """Forward 3x3/1x1 convolutions per second (no grad) for one layer shape, like the atkd side."""
    torch.set_num_threads(int(req["threads"]))
    conv = nn.Conv2d(req["ci"], req["co"], req["k"], req["s"], req["k"] // 2, bias=False)
    x = torch.randn(req["n"], req["ci"], req["h"], req["h"])

    def run():
        with torch.no_grad():
            conv(x)

    return rate(run, 1, float(req["seconds"]))


def _zoo():
    """The PyTorch zoo of tools/models-torch-arch.py (the same architectures as @atkd/models)."""
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models-torch-arch.py")
    spec = importlib.util.spec_from_file_location("models_torch_arch", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ZOO


class ZooRunner:
    """Zoo models by name (train / infer) and the KD step of the authors' training loop."""

    def __init__(self, batch):
        self.batch, self.cache, self.zoo = batch, {}, None

    def model(self, name):
        if name not in self.cache:
            self.zoo = self.zoo or _zoo()
            torch.manual_seed(1)
            m = self.zoo[name](100)
            opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
            self.cache[name] = (m, opt)
        return self.cache[name]

    def data(self):
        g = torch.Generator().manual_seed(3)
        return torch.randn(self.batch, 3, 32, 32, generator=g), torch.randint(0, 100, (self.batch,), generator=g)

    def rate(self, req):
        torch.set_num_threads(int(req["threads"]))
        x, y = self.data()
        seconds = float(req["seconds"])
        mode = req["mode"]
        if mode == "kd":
            teacher, _ = self.model(req["teacher"])
            student, opt = self.model(req["student"])
            teacher.eval()
            student.train()
            gamma, beta, c = 0.1, 9.0, (1 + 3 ** 0.5) / 2

            def z(v):
                return (v - v.mean(1, keepdim=True)) / (v.std(1, keepdim=True) + 1e-7)

            def kd():
                with torch.no_grad():
                    t = teacher(x)
                s_logits = student(x)
                zs, zt = z(s_logits), z(t)
                T = (c * torch.maximum(zs.abs().amax(1), zt.abs().amax(1))).detach().unsqueeze(1)
                kl = F.kl_div(F.log_softmax(zs / T, 1), F.softmax(zt / T, 1), reduction="none").sum(1)
                loss = gamma * F.cross_entropy(s_logits, y) + beta * (T.squeeze(1) ** 2 * kl).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                return loss.item()

            return rate(kd, self.batch, seconds, 1)
        model, opt = self.model(req["model"])

        def train():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        def infer():
            with torch.no_grad():
                model(x).sum().item()

        model.train(mode == "train")
        return rate(train if mode == "train" else infer, self.batch, seconds, 1)


def serve(batch):
    """Line protocol for the Node benchmark: {"depth"|"model", "mode", "threads", "seconds"} -> {"rate"};
    mode "kd" with "teacher" and "student" measures the KD step."""
    runner = Runner(batch)
    zoo = ZooRunner(batch)
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if req["mode"] == "conv":
                print(json.dumps({"rate": conv_rate(req)}), flush=True)
                continue
            if "model" in req or req["mode"] == "kd":
                print(json.dumps({"rate": zoo.rate(req)}), flush=True)
                continue
            r = runner.rate(int(req["depth"]), req["mode"], int(req["threads"]), float(req["seconds"]))
            print(json.dumps({"rate": r}), flush=True)
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"error": str(e)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true", help="answer measurement requests on stdin (used by nx run backend:bench)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--depths", default="8,20")
    a = ap.parse_args()
    if a.serve:
        serve(a.batch)
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch, "results": {}}
    for depth in [int(d) for d in a.depths.split(",")]:
        model = ResNet(depth)
        x = torch.randn(a.batch, 3, 32, 32)
        y = torch.randint(0, 100, (a.batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

        def train():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        model.train()
        tr = rate(train, a.batch, a.seconds)
        model.eval()

        def infer():
            with torch.no_grad():
                model(x).sum().item()

        inf = rate(infer, a.batch, a.seconds)
        out["results"][f"resnet{depth}"] = {"train": tr, "infer": inf}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
