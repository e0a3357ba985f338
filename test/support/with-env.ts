// Temporarily sets environment variables for the runner's child processes (tool stand-ins).
import { fileURLToPath } from 'node:url';

export function withEnv(vars: Record<string, string>): () => void {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Absolute path of a stand-in tool in test/support/tools. */
export const tool = (name: string): string => fileURLToPath(new URL(`./tools/${name}`, import.meta.url));
