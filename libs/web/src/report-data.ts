/** The data a run report page carries (JSON in the page), shared by `reportPage` and the page's renderer. */

export interface ReportPlot {
  /** figure1, temperature, accuracy, loss, ... */
  name: string;
  /** A Vega-Lite spec (the one `atkd report` renders to SVG). */
  spec: Record<string, unknown>;
}

export interface ReportRun {
  /** The run directory. */
  dir: string;
  title: string;
  config: Record<string, unknown> | null;
  summary: Record<string, unknown> | null;
  plots: ReportPlot[];
}

export interface ReportData {
  format: 'atkd-report/1';
  generatedAt: string;
  runs: ReportRun[];
  /** Section titles by plot name. */
  plotTitles: Record<string, string>;
}
