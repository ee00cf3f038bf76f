// CIFAR ResNet of RepDistiller / mdistiller (`models/resnet.py`): 3x3 stem, three stages
// (stride 1, 2, 2) of basic or bottleneck blocks with a 1x1-conv + BN `downsample`
// shortcut wherever shape changes, AvgPool2d(8), `fc`. resnet8..110 use filters
// [16, 16, 32, 64]; the "x4" models use [32, 64, 128, 256].
import { NetGraph, type Ref } from '../graph.js';

export interface CifarResNetConfig {
  depth: number;
  /** Stem width, then stage widths (before block expansion). */
  filters: readonly [number, number, number, number];
  block?: 'basic' | 'bottleneck';
  classes: number;
}

function basicBlock(g: NetGraph, x: Ref, p: string, planes: number, stride: number, downsample: boolean): Ref {
  let out = g.conv(x, `${p}.conv1`, planes, { kernel: 3, stride, pad: 1 });
  out = g.bn(out, `${p}.bn1`);
  out = g.relu(out, `${p}.relu1`);
  out = g.conv(out, `${p}.conv2`, planes, { kernel: 3, pad: 1 });
  out = g.bn(out, `${p}.bn2`);
  let residual = x;
  if (downsample) {
    residual = g.conv(x, `${p}.downsample.0`, planes, { kernel: 1, stride });
    residual = g.bn(residual, `${p}.downsample.1`);
  }
  return g.relu(g.sum(out, residual, `${p}.add`), `${p}.relu`);
}

function bottleneck(g: NetGraph, x: Ref, p: string, planes: number, stride: number, downsample: boolean): Ref {
  let out = g.conv(x, `${p}.conv1`, planes, { kernel: 1 });
  out = g.relu(g.bn(out, `${p}.bn1`), `${p}.relu1`);
  out = g.conv(out, `${p}.conv2`, planes, { kernel: 3, stride, pad: 1 });
  out = g.relu(g.bn(out, `${p}.bn2`), `${p}.relu2`);
  out = g.conv(out, `${p}.conv3`, planes * 4, { kernel: 1 });
  out = g.bn(out, `${p}.bn3`);
  let residual = x;
  if (downsample) {
    residual = g.conv(x, `${p}.downsample.0`, planes * 4, { kernel: 1, stride });
    residual = g.bn(residual, `${p}.downsample.1`);
  }
  return g.relu(g.sum(out, residual, `${p}.add`), `${p}.relu`);
}

export function cifarResNetGraph(name: string, cfg: CifarResNetConfig): NetGraph {
  const bottle = (cfg.block ?? 'basic') === 'bottleneck';
  const per = bottle ? 9 : 6;
  if ((cfg.depth - 2) % per !== 0 || cfg.depth < 2 + per) {
    throw new Error(`${name}: depth ${cfg.depth} must be ${per}n+2 for ${bottle ? 'bottleneck' : 'basic'} blocks`);
  }
  const n = (cfg.depth - 2) / per;
  const expansion = bottle ? 4 : 1;
  const block = bottle ? bottleneck : basicBlock;
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  x = g.conv(x, 'conv1', cfg.filters[0], { kernel: 3, pad: 1 });
  x = g.relu(g.bn(x, 'bn1'), 'relu');
  let inplanes = cfg.filters[0];
  for (let s = 0; s < 3; s++) {
    const planes = cfg.filters[s + 1];
    for (let i = 0; i < n; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const downsample = i === 0 && (stride !== 1 || inplanes !== planes * expansion);
      x = block(g, x, `layer${s + 1}.${i}`, planes, stride, downsample);
      inplanes = planes * expansion;
    }
  }
  x = g.globalPool(x, 'avgpool', 8);
  g.setOutput(g.dense(x, 'fc', cfg.classes));
  return g;
}
