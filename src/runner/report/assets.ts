// The charting library (uPlot) read from node_modules at report time, to be inlined: the report never loads anything.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ReportAssets {
  readonly script: string;
  readonly style: string;
}

const require = createRequire(import.meta.url);

/** uPlot's minified browser build and its stylesheet (MIT, ~52 KB together). */
export function uplotAssets(): ReportAssets {
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  const script = read('uPlot.iife.min.js');
  // Inlined in a <script> element: a literal "</script" would end it early.
  if (/<\/script/i.test(script)) throw new Error('uplot/dist/uPlot.iife.min.js contains "</script": it cannot be inlined as it is');
  return { script, style: read('uPlot.min.css') };
}
