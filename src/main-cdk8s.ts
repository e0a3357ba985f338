// Entry for `cdk8s synth` (cdk8s.yaml): the same synthesis as `npm run synth`, into CDK8S_OUTDIR.
import { synthesizeAll } from './app.js';
import { SafeholdError } from './errors.js';

try {
  await synthesizeAll({ valuesDir: 'values', outDir: process.env.CDK8S_OUTDIR ?? 'dist' });
} catch (e) {
  if (!(e instanceof SafeholdError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exitCode = e.exitCode;
}
