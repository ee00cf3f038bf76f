// ShuffleNet V2 of RepDistiller / mdistiller (`ShuffleNetv2.py`): 1x1 stem to 24 channels, three
// stages each made of a DownBlock (two stride-2 branches, concatenated and shuffled) and
// `num_blocks` BasicBlocks (channel split in halves, right half through 1x1 -> dw 3x3 -> 1x1,
// concat, shuffle with 2 groups), `conv2` 1x1 + BN + ReLU, avg_pool2d(4), `linear`.
import { NetGraph, type Ref } from '../graph.js';

export interface ShuffleNetV2Config {
  outChannels: readonly [number, number, number, number];
  numBlocks: readonly [number, number, number];
  classes: number;
}

/** Their `configs` table, keyed by net_size; the zoo's ShuffleV2 is net_size 1. */
export const SHUFFLENETV2_SIZES: Record<string, Omit<ShuffleNetV2Config, 'classes'>> = {
  '0.2': { outChannels: [40, 80, 160, 512], numBlocks: [3, 3, 3] },
  '0.3': { outChannels: [40, 80, 160, 512], numBlocks: [3, 7, 3] },
  '0.5': { outChannels: [48, 96, 192, 1024], numBlocks: [3, 7, 3] },
  '1': { outChannels: [116, 232, 464, 1024], numBlocks: [3, 7, 3] },
  '1.5': { outChannels: [176, 352, 704, 1024], numBlocks: [3, 7, 3] },
  '2': { outChannels: [224, 488, 976, 2048], numBlocks: [3, 7, 3] },
};

function basicBlock(g: NetGraph, x: Ref, p: string, channels: number): Ref {
  const c = Math.trunc(channels * 0.5);
  const x1 = g.slice(x, `${p}.split.0`, 0, c);
  const x2 = g.slice(x, `${p}.split.1`, c, x.shape[2] - c);
  let out = g.relu(g.bn(g.conv(x2, `${p}.conv1`, c, { kernel: 1 }), `${p}.bn1`), `${p}.relu1`);
  out = g.bn(g.conv(out, `${p}.conv2`, c, { kernel: 3, pad: 1, groups: c }), `${p}.bn2`);
  out = g.relu(g.bn(g.conv(out, `${p}.conv3`, c, { kernel: 1 }), `${p}.bn3`), `${p}.relu3`);
  return g.shuffle(g.concat([x1, out], `${p}.cat`), `${p}.shuffle`, 2);
}

function downBlock(g: NetGraph, x: Ref, p: string, inC: number, outC: number): Ref {
  const mid = Math.trunc(outC / 2);
  let left = g.bn(g.conv(x, `${p}.conv1`, inC, { kernel: 3, stride: 2, pad: 1, groups: inC }), `${p}.bn1`);
  left = g.relu(g.bn(g.conv(left, `${p}.conv2`, mid, { kernel: 1 }), `${p}.bn2`), `${p}.relu2`);
  let right = g.relu(g.bn(g.conv(x, `${p}.conv3`, mid, { kernel: 1 }), `${p}.bn3`), `${p}.relu3`);
  right = g.bn(g.conv(right, `${p}.conv4`, mid, { kernel: 3, stride: 2, pad: 1, groups: mid }), `${p}.bn4`);
  right = g.relu(g.bn(g.conv(right, `${p}.conv5`, mid, { kernel: 1 }), `${p}.bn5`), `${p}.relu5`);
  return g.shuffle(g.concat([left, right], `${p}.cat`), `${p}.shuffle`, 2);
}

export function shuffleNetV2Graph(name: string, c: ShuffleNetV2Config): NetGraph {
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  x = g.relu(g.bn(g.conv(x, 'conv1', 24, { kernel: 1 }), 'bn1'), 'relu');
  let inC = 24;
  for (let s = 0; s < 3; s++) {
    x = downBlock(g, x, `layer${s + 1}.0`, inC, c.outChannels[s]);
    for (let i = 0; i < c.numBlocks[s]; i++) x = basicBlock(g, x, `layer${s + 1}.${i + 1}`, c.outChannels[s]);
    inC = c.outChannels[s];
  }
  x = g.relu(g.bn(g.conv(x, 'conv2', c.outChannels[3], { kernel: 1 }), 'bn2'), 'relu2');
  x = g.globalPool(x, 'avgpool', 4);
  g.setOutput(g.dense(x, 'linear', c.classes));
  return g;
}
