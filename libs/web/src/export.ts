/**
 * What an exported student directory holds besides the TF.js layers model (`model.json`, `weights.bin`,
 * written by `saveModel` of `@atkd/models`): the manifest `atkd-model.json` and the static classifier page
 * with its browser bundle and the WebAssembly binaries. The caller writes these files (atomically).
 */
import { PAGE_FILES, browserFile } from './assets.js';
import { WEB_MANIFEST, WEB_MANIFEST_FORMAT, checkManifest, type InputSpec, type WebManifest } from './manifest.js';

export interface ExportFile {
  name: string;
  data: Uint8Array | string;
}

export interface ManifestFields {
  architecture: WebManifest['architecture'];
  classes: readonly string[];
  input: InputSpec;
  source: WebManifest['source'];
  /** Model output width: checked against the class names. */
  outputs: number;
  now?: Date;
}

/** The manifest of an export (checked: a bad field throws a ManifestError naming it). */
export function webManifest(f: ManifestFields): WebManifest {
  if (f.classes.length !== f.outputs) throw new Error(`${f.classes.length} class names for a model with ${f.outputs} outputs`);
  const m: WebManifest = {
    format: WEB_MANIFEST_FORMAT,
    model: 'model.json',
    architecture: f.architecture,
    classes: [...f.classes],
    input: f.input,
    source: f.source,
    exportedBy: '@atkd/web',
    exportedAt: (f.now ?? new Date()).toISOString(),
  };
  return checkManifest(m, WEB_MANIFEST);
}

/** The manifest and the page files of an export directory. */
export function webPageFiles(manifest: WebManifest): ExportFile[] {
  return [{ name: WEB_MANIFEST, data: `${JSON.stringify(manifest, null, 2)}\n` }, ...PAGE_FILES.map((name) => ({ name, data: new Uint8Array(browserFile(name)) }))];
}
