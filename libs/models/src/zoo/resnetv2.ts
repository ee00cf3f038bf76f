// The ImageNet-style ResNet adapted to CIFAR in RepDistiller / mdistiller (`resnetv2.py`,
// used for the ResNet50 teacher): 3x3 stride-1 stem with 64 channels, four stages
// (64, 128, 256, 512 planes; stride 1, 2, 2, 2), projection `shortcut` (1x1 conv + BN),
// adaptive average pooling, `linear`.
import { NetGraph, type Ref } from '../graph.js';

export interface ResNetV2Config {
  block: 'basic' | 'bottleneck';
  numBlocks: readonly [number, number, number, number];
  classes: number;
}

function block(g: NetGraph, x: Ref, p: string, inPlanes: number, planes: number, stride: number, bottle: boolean): Ref {
  const expansion = bottle ? 4 : 1;
  let out: Ref;
  if (bottle) {
    out = g.relu(g.bn(g.conv(x, `${p}.conv1`, planes, { kernel: 1 }), `${p}.bn1`), `${p}.relu1`);
    out = g.relu(g.bn(g.conv(out, `${p}.conv2`, planes, { kernel: 3, stride, pad: 1 }), `${p}.bn2`), `${p}.relu2`);
    out = g.bn(g.conv(out, `${p}.conv3`, planes * 4, { kernel: 1 }), `${p}.bn3`);
  } else {
    out = g.relu(g.bn(g.conv(x, `${p}.conv1`, planes, { kernel: 3, stride, pad: 1 }), `${p}.bn1`), `${p}.relu1`);
    out = g.bn(g.conv(out, `${p}.conv2`, planes, { kernel: 3, pad: 1 }), `${p}.bn2`);
  }
  let shortcut = x;
  if (stride !== 1 || inPlanes !== planes * expansion) {
    shortcut = g.bn(g.conv(x, `${p}.shortcut.0`, planes * expansion, { kernel: 1, stride }), `${p}.shortcut.1`);
  }
  return g.relu(g.sum(out, shortcut, `${p}.add`), `${p}.relu`);
}

export function resNetV2Graph(name: string, cfg: ResNetV2Config): NetGraph {
  const bottle = cfg.block === 'bottleneck';
  const expansion = bottle ? 4 : 1;
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  x = g.relu(g.bn(g.conv(x, 'conv1', 64, { kernel: 3, pad: 1 }), 'bn1'), 'relu');
  let inPlanes = 64;
  const planes = [64, 128, 256, 512];
  for (let s = 0; s < 4; s++) {
    for (let i = 0; i < cfg.numBlocks[s]; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      x = block(g, x, `layer${s + 1}.${i}`, inPlanes, planes[s], stride, bottle);
      inPlanes = planes[s] * expansion;
    }
  }
  x = g.globalPool(x, 'avgpool', x.shape[0]);
  g.setOutput(g.dense(x, 'linear', cfg.classes));
  return g;
}
