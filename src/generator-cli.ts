// The generator's commands: validate values files, synthesize manifests, print the JSON schema.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from './flags.js';
import { ExitCode, UsageError, ValuesError } from './errors.js';
import { valuesJsonSchemaText } from './values/json-schema.js';

/** Values files named by the arguments: files as given, directories expanded to their *.yaml / *.yml. */
export function valuesFiles(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args.length ? args : ['values']) {
    let st;
    try {
      st = statSync(a);
    } catch {
      throw new UsageError(`${a}: no such file or directory`);
    }
    if (st.isDirectory()) {
      out.push(...readdirSync(a).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(a, f)));
    } else out.push(a);
  }
  return out;
}

export async function generatorCommand(cmd: string, args: string[]): Promise<number> {
  if (cmd === 'schema') {
    process.stdout.write(valuesJsonSchemaText());
    return ExitCode.ok;
  }
  if (cmd === 'validate') {
    let failed = 0;
    for (const f of valuesFiles(args)) {
      try {
        const { loadAndCheck } = await import('./app.js');
        loadAndCheck(f);
        process.stdout.write(`${f}: ok\n`);
      } catch (e) {
        if (!(e instanceof ValuesError)) throw e;
        failed++;
        process.stderr.write(`${e.message}\n${f}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}\n`);
      }
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
  process.stdout.write(`synthesized ${result.files.length} values file${result.files.length === 1 ? '' : 's'} into ${opts.out}${opts.charts ? ` and ${opts.charts}` : ''}\n`);
  return ExitCode.ok;
}
