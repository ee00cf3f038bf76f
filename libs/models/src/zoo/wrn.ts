// Wide ResNet of RepDistiller / mdistiller (`wrn.py`): pre-activation blocks (BN-ReLU-conv),
// a 1x1 `convShortcut` where in != out channels (then the shortcut takes the activated input),
// final BN-ReLU, AvgPool2d(8), `fc`. Depth 6n+4, widths 16, 16k, 32k, 64k. Dropout is 0.
import { NetGraph, type Ref } from '../graph.js';

export interface WideResNetConfig {
  depth: number;
  widen: number;
  classes: number;
}

function block(g: NetGraph, x: Ref, p: string, inPlanes: number, outPlanes: number, stride: number): Ref {
  const equalInOut = inPlanes === outPlanes;
  const act = g.relu(g.bn(x, `${p}.bn1`), `${p}.relu1`);
  let out = g.conv(act, `${p}.conv1`, outPlanes, { kernel: 3, stride, pad: 1 });
  out = g.relu(g.bn(out, `${p}.bn2`), `${p}.relu2`);
  out = g.conv(out, `${p}.conv2`, outPlanes, { kernel: 3, pad: 1 });
  const shortcut = equalInOut ? x : g.conv(act, `${p}.convShortcut`, outPlanes, { kernel: 1, stride });
  return g.sum(shortcut, out, `${p}.add`);
}

export function wideResNetGraph(name: string, cfg: WideResNetConfig): NetGraph {
  if ((cfg.depth - 4) % 6 !== 0 || cfg.depth < 10) throw new Error(`${name}: depth ${cfg.depth} must be 6n+4`);
  const n = (cfg.depth - 4) / 6;
  const ch = [16, 16 * cfg.widen, 32 * cfg.widen, 64 * cfg.widen];
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  x = g.conv(x, 'conv1', ch[0], { kernel: 3, pad: 1 });
  for (let b = 0; b < 3; b++) {
    for (let i = 0; i < n; i++) {
      const inPlanes = i === 0 ? ch[b] : ch[b + 1];
      const stride = i === 0 && b > 0 ? 2 : 1;
      x = block(g, x, `block${b + 1}.layer.${i}`, inPlanes, ch[b + 1], stride);
    }
  }
  x = g.relu(g.bn(x, 'bn1'), 'relu');
  x = g.globalPool(x, 'avgpool', 8);
  g.setOutput(g.dense(x, 'fc', cfg.classes));
  return g;
}
