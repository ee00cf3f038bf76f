// ShuffleNet V1 of RepDistiller / mdistiller (`ShuffleNetv1.py`): 1x1 stem to 24 channels,
// three stages of bottlenecks (grouped 1x1 conv -> channel shuffle -> depthwise 3x3 -> grouped
// 1x1 conv); the first block of a stage has stride 2 and concatenates an AvgPool2d(3, 2, 1)
// shortcut (count_include_pad), the others add the identity. The first grouped conv uses
// one group when its input has 24 channels. avg_pool2d(4), `linear`.
import { NetGraph, type Ref } from '../graph.js';

export interface ShuffleNetV1Config {
  outPlanes: readonly [number, number, number];
  numBlocks: readonly [number, number, number];
  groups: number;
  classes: number;
}

function bottleneck(g: NetGraph, x: Ref, p: string, inPlanes: number, outPlanes: number, stride: number, groups: number): Ref {
  const mid = Math.trunc(outPlanes / 4);
  const g1 = inPlanes === 24 ? 1 : groups;
  let out = g.conv(x, `${p}.conv1`, mid, { kernel: 1, groups: g1 });
  out = g.relu(g.bn(out, `${p}.bn1`), `${p}.relu1`);
  if (g1 > 1) out = g.shuffle(out, `${p}.shuffle1`, g1);
  out = g.conv(out, `${p}.conv2`, mid, { kernel: 3, stride, pad: 1, groups: mid });
  out = g.relu(g.bn(out, `${p}.bn2`), `${p}.relu2`);
  out = g.bn(g.conv(out, `${p}.conv3`, outPlanes, { kernel: 1, groups }), `${p}.bn3`);
  const pre = stride === 2
    ? g.concat([out, g.avgPool(x, `${p}.shortcut.0`, 3, 2, 1)], `${p}.cat`)
    : g.sum(out, x, `${p}.add`);
  return g.relu(pre, `${p}.relu`);
}

export function shuffleNetV1Graph(name: string, c: ShuffleNetV1Config): NetGraph {
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  x = g.relu(g.bn(g.conv(x, 'conv1', 24, { kernel: 1 }), 'bn1'), 'relu');
  let inPlanes = 24;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < c.numBlocks[s]; i++) {
      const stride = i === 0 ? 2 : 1;
      const catPlanes = i === 0 ? inPlanes : 0;
      x = bottleneck(g, x, `layer${s + 1}.${i}`, inPlanes, c.outPlanes[s] - catPlanes, stride, c.groups);
      inPlanes = c.outPlanes[s];
    }
  }
  x = g.globalPool(x, 'avgpool', 4);
  g.setOutput(g.dense(x, 'linear', c.classes));
  return g;
}
