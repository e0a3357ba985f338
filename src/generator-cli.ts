// The generator's commands: validate values files, synthesize manifests, print the JSON schema.
import { statSync } from 'node:fs';
import { parseFlags } from './flags.js';
import { ExitCode, formatProblem, UsageError, ValuesError, type ValuesProblem } from './errors.js';
import { valuesJsonSchemaText } from './values/json-schema.js';

export async function generatorCommand(cmd: string, args: string[]): Promise<number> {
  if (cmd === 'schema') {
    process.stdout.write(valuesJsonSchemaText());
    return ExitCode.ok;
  }
  if (cmd === 'validate' && args[0] === '--explain') {
    if (args.length !== 2) throw new UsageError('validate --explain takes one values file: safehold validate --explain values/prod/shop.yaml');
    const { explainFile } = await import('./values/explain.js');
    process.stdout.write(explainFile(args[1]!));
    return ExitCode.ok;
  }
  if (cmd === 'validate') {
    const { listValuesFiles, loadAndCheck, synthesizeSets, warningsFor } = await import('./app.js');
    let failed = 0;
    const report = (files: string[], problems: readonly ValuesProblem[]) => {
      for (const f of files) {
        const mine = problems.filter((p) => p.file === f);
        if (!mine.length) {
          const warnings = warningsFor(f);
          if (warnings.length) process.stderr.write(`${warnings.map(formatProblem).join('\n')}\n`);
          process.stdout.write(`${f}: ok${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}\n`);
          continue;
        }
        failed++;
        process.stderr.write(`${mine.map(formatProblem).join('\n')}\n${f}: ${mine.length} problem${mine.length === 1 ? '' : 's'}\n`);
      }
    };
    const problemsOf = (f: () => unknown): readonly ValuesProblem[] => {
      try {
        f();
        return [];
      } catch (e) {
        if (!(e instanceof ValuesError)) throw e;
        return e.problems;
      }
    };
    for (const a of args.length ? args : ['values']) {
      let dir: boolean;
      try {
        dir = statSync(a).isDirectory();
      } catch {
        throw new UsageError(`${a}: no such file or directory`);
      }
      // A directory gets every check synth makes, across files too (names, objects written twice).
      if (dir)
        report(
          listValuesFiles(a),
          problemsOf(() => synthesizeSets(a)),
        );
      else
        report(
          [a],
          problemsOf(() => loadAndCheck(a)),
        );
    }
    return failed ? ExitCode.usage : ExitCode.ok;
  }
  const { values: opts } = parseFlags(args, {
    values: { type: 'string', default: 'values' },
    out: { type: 'string', default: 'dist' },
    charts: { type: 'string' },
    schema: { type: 'string' },
  });
  const { synthesizeAll } = await import('./app.js');
  const result = await synthesizeAll({ valuesDir: opts.values!, outDir: opts.out!, chartsDir: opts.charts, schemaFile: opts.schema });
  process.stdout.write(
    `synthesized ${result.files.length} values file${result.files.length === 1 ? '' : 's'} into ${opts.out}${opts.charts ? ` and ${opts.charts}` : ''}\n`,
  );
  return ExitCode.ok;
}
