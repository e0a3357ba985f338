// What each bench section hands back: its detail table and its ratios (with goals) for the summary.
import type { Pg } from './db.js';

export interface Ratio {
  readonly measure: string;
  readonly value: string;
  readonly goal?: string;
  readonly met?: boolean;
}

export interface SectionResult {
  readonly title: string;
  readonly detail: string;
  readonly ratios: readonly Ratio[];
  readonly notes?: readonly string[];
}

export interface BenchEnv {
  readonly pg: Pg;
  /** Work dir for this run (repositories, dumps, apps); removed at the end. */
  readonly work: string;
  readonly quick: boolean;
  /** Rounds per measure (medians of this many). */
  readonly runs: number;
  /** The generated database and its size. */
  readonly db: string;
  readonly dbBytes: number;
  readonly log: (msg: string) => void;
}
