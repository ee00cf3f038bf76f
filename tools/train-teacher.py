#!/usr/bin/python3
"""Train a CIFAR-100 teacher with Debian's PyTorch (CPU) on the official binary data.

The embedded default teacher of atkd is made with this script and then loaded in TypeScript through
`loadTorchCheckpoint` (@atkd/models), the same path users take with their own PyTorch teachers.
PyTorch is never a run-time dependency of atkd: this is an offline recipe.

  /usr/bin/python3 tools/train-teacher.py --model resnet20 --epochs 30 \
      --data ../shared/data/cifar-100-binary --out runs/teacher-resnet20

Recipe: SGD (momentum 0.9, nesterov off, weight decay 5e-4), batch 128, lr 0.1 with cosine decay to 0
over the epochs (one linear warm-up epoch), random crop with 4-pixel zero padding + horizontal flip,
CIFAR-100 mean/std normalisation. Writes <out>/latest.pth (model, optimizer, epoch, rng) after every
epoch and <out>/best.pth (state dict only, best test top-1) atomically (temp + rename), a log
<out>/log.jsonl, and <out>/recipe.json. Rerunning with the same --out resumes from latest.pth.
"""
import argparse
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = np.array([0.5071, 0.4865, 0.4409], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.2673, 0.2564, 0.2762], dtype=np.float32).reshape(1, 3, 1, 1)
RECORD = 3074


def load_zoo():
    spec = importlib.util.spec_from_file_location("arch", os.path.join(HERE, "models-torch-arch.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ZOO


def load_split(folder, name, expected):
    path = os.path.join(folder, name)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size != expected * RECORD:
        sys.exit(f"{path}: expected {expected} records of {RECORD} bytes, found {raw.size} bytes")
    raw = raw.reshape(expected, RECORD)
    labels = raw[:, 1].astype(np.int64)
    if labels.max() >= 100:
        sys.exit(f"{path}: fine label {labels.max()} out of range 0..99")
    images = raw[:, 2:].reshape(expected, 3, 32, 32)
    return images, labels


def normalise(u8):
    return (u8.astype(np.float32) / 255.0 - MEAN) / STD


def augment(u8, rng):
    n = u8.shape[0]
    padded = np.zeros((n, 3, 40, 40), dtype=np.uint8)
    padded[:, :, 4:36, 4:36] = u8
    out = np.empty_like(u8)
    dx = rng.integers(0, 9, n)
    dy = rng.integers(0, 9, n)
    flip = rng.random(n) < 0.5
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = crop[:, :, ::-1] if flip[i] else crop
    return out


def evaluate(model, images, labels, batch=500):
    model.eval()
    correct1 = correct5 = 0
    with torch.no_grad():
        for s in range(0, len(labels), batch):
            x = torch.from_numpy(normalise(images[s:s + batch]))
            y = torch.from_numpy(labels[s:s + batch])
            top5 = model(x).topk(5, dim=1).indices
            correct1 += (top5[:, 0] == y).sum().item()
            correct5 += (top5 == y[:, None]).any(dim=1).sum().item()
    return correct1 / len(labels), correct5 / len(labels)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "cifar-100-binary"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    zoo = load_zoo()
    if args.model not in zoo:
        sys.exit(f"--model: unknown model {args.model!r}; known: {', '.join(sorted(zoo))}")
    train_x, train_y = load_split(args.data, "train.bin", 50000)
    test_x, test_y = load_split(args.data, "test.bin", 10000)
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(args.seed)
    model = zoo[args.model](100)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.wd)
    rng = np.random.default_rng(args.seed)
    start, best = 0, 0.0
    latest = os.path.join(args.out, "latest.pth")
    if os.path.exists(latest):
        ck = torch.load(latest)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start, best = ck["epoch"], ck["best"]
        rng.bit_generator.state = ck["rng"]
        print(f"resumed from {latest} at epoch {start} (best top-1 {best:.4f})", flush=True)
    with open(os.path.join(args.out, "recipe.json"), "w") as f:
        json.dump({**vars(args), "torch": torch.__version__, "schedule": "1 warm-up epoch, cosine to 0",
                   "augment": "crop pad 4 + hflip", "momentum": 0.9}, f, indent=1)

    steps_per_epoch = len(train_y) // args.batch
    total_steps = args.epochs * steps_per_epoch
    for epoch in range(start, args.epochs):
        model.train()
        order = rng.permutation(len(train_y))
        t0 = time.time()
        loss_sum = correct = seen = 0
        for i in range(steps_per_epoch):
            step = epoch * steps_per_epoch + i
            if step < steps_per_epoch:
                lr = args.lr * (step + 1) / steps_per_epoch
            else:
                lr = 0.5 * args.lr * (1 + math.cos(math.pi * (step - steps_per_epoch) / (total_steps - steps_per_epoch)))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = order[i * args.batch:(i + 1) * args.batch]
            x = torch.from_numpy(normalise(augment(train_x[idx], rng)))
            y = torch.from_numpy(train_y[idx])
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == y).sum().item()
            seen += len(idx)
            if i % 20 == 0 or i == steps_per_epoch - 1:
                rate = seen / (time.time() - t0)
                eta = (steps_per_epoch - i - 1) * args.batch / rate
                bar = "#" * int(30 * (i + 1) / steps_per_epoch)
                print(f"\repoch {epoch + 1}/{args.epochs} [{bar:<30}] {rate:.0f} img/s ETA {eta:.0f}s loss {loss_sum / seen:.3f}",
                      end="", file=sys.stderr, flush=True)
        top1, top5 = evaluate(model, test_x, test_y)
        best_now = top1 > best
        best = max(best, top1)
        if best_now:
            atomic_save(model.state_dict(), os.path.join(args.out, "best.pth"))
        atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                     "best": best, "rng": rng.bit_generator.state}, latest)
        rec = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_top1": correct / seen,
               "test_top1": top1, "test_top5": top5, "seconds": time.time() - t0}
        with open(os.path.join(args.out, "log.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(f"\n{json.dumps(rec)}", flush=True)


if __name__ == "__main__":
    main()
