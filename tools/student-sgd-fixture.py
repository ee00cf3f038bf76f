#!/usr/bin/python3
"""Reference trajectory of torch.optim.SGD (momentum, weight decay) + MultiStepLR for @atkd/student's
SgdMomentum test. Run with Debian's PyTorch: /usr/bin/python3 tools/student-sgd-fixture.py
Writes libs/student/test/fixtures/sgd-torch.json."""
import json, os
import torch

torch.manual_seed(0)
x = torch.randn(5, 3, dtype=torch.float64)
y = torch.randn(5, 2, dtype=torch.float64)
w = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
b = torch.randn(2, dtype=torch.float64, requires_grad=True)
init = {"w": w.detach().flatten().tolist(), "b": b.detach().tolist()}
opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
steps = []
for epoch in range(6):
    lr = opt.param_groups[0]["lr"]
    opt.zero_grad()
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    opt.step()
    sched.step()
    steps.append({"epoch": epoch, "lr": lr, "loss": loss.item(), "w": w.detach().flatten().tolist(), "b": b.detach().tolist()})
out = {"x": x.flatten().tolist(), "y": y.flatten().tolist(), "init": init, "lr": 0.1, "momentum": 0.9, "weightDecay": 5e-4,
       "milestones": [2, 4], "lrDecay": 0.1, "steps": steps, "torch": torch.__version__}
path = os.path.join(os.path.dirname(__file__), "..", "libs", "student", "test", "fixtures", "sgd-torch.json")
with open(path + ".tmp", "w") as f:
    json.dump(out, f, indent=1)
os.replace(path + ".tmp", path)
print("wrote", path)
