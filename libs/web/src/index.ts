// @atkd/web: the student in the browser (manifest, classifier page, browser bundle) and the run report page.
export { WEB_MANIFEST, WEB_MANIFEST_FORMAT, ManifestError, checkManifest, normalizeRgba, softmax, topK, type InputSpec, type Prediction, type WebManifest } from './manifest.js';
export { webManifest, webPageFiles, type ExportFile, type ManifestFields } from './export.js';
export { PAGE_FILES, browserDir, browserFile } from './assets.js';
export { serveDirectory, type StaticServer } from './serve.js';
export { REPORT_HTML, reportPage } from './report.js';
export type { ReportData, ReportPlot, ReportRun } from './report-data.js';
export { chwToRgb, encodePng } from './png.js';
