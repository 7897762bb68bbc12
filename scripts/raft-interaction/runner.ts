// Runs an etcd interaction file against our core and compares outputs after
// dropping log lines (first word INFO/DEBUG/WARN/ERROR/PANIC) on both sides.
import { readFileSync } from 'node:fs';
import { parseDatadriven, type TestCase } from './datadriven.js';
import { InteractionEnv } from './env.js';
import { handle } from './handlers.js';

const logWords = new Set(['INFO', 'DEBUG', 'WARN', 'ERROR', 'PANIC']);

/** The output as compared: log lines dropped, trailing blank lines trimmed. */
export function comparable(output: string): string[] {
  const lines = output.split('\n').filter((l) => !logWords.has(l.trimStart().split(/\s/, 1)[0]!));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface CaseFailure {
  readonly testCase: TestCase;
  readonly expected: string[];
  readonly actual: string[];
}

export interface FileResult {
  readonly file: string;
  readonly cases: number;
  readonly failures: CaseFailure[];
}

export function runInteractionText(text: string, file: string): FileResult {
  const cases = parseDatadriven(text, file);
  const env = new InteractionEnv();
  const failures: CaseFailure[] = [];
  for (const tc of cases) {
    let out: string;
    try {
      out = handle(env, tc);
    } catch (err) {
      // An assertion in the core: report it as this command's output and stop,
      // the environment is no longer trustworthy.
      out = `PANIC-IN-HARNESS ${(err as Error).stack ?? String(err)}`;
      failures.push({ testCase: tc, expected: comparable(tc.expected), actual: out.split('\n') });
      break;
    }
    const expected = comparable(tc.expected);
    const actual = comparable(out);
    if (expected.join('\n') !== actual.join('\n')) failures.push({ testCase: tc, expected, actual });
  }
  return { file, cases: cases.length, failures };
}

export function runInteractionFile(file: string): FileResult {
  return runInteractionText(readFileSync(file, 'utf8'), file);
}

/** A line diff (longest common subsequence), "-" expected only, "+" actual only. */
export function unifiedDiff(expected: readonly string[], actual: readonly string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = expected[i] === actual[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i]}`);
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${expected[i]}`);
      i++;
    } else {
      out.push(`+ ${actual[j]}`);
      j++;
    }
  }
  return out;
}

/** Keeps only changed lines and `context` unchanged lines around them; "..." marks skipped runs. */
export function diffHunks(diff: readonly string[], context = 3): string[] {
  const keep = diff.map(() => false);
  diff.forEach((line, i) => {
    if (line.startsWith('  ')) return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out: string[] = [];
  let skipped = false;
  diff.forEach((line, i) => {
    if (keep[i]) {
      if (skipped) out.push('  ...');
      skipped = false;
      out.push(line);
    } else {
      skipped = true;
    }
  });
  if (skipped) out.push('  ...');
  return out;
}

/** Human-readable report of a file's failures (at most `maxCases` of them). */
export function describeFailures(r: FileResult, maxCases = 3): string {
  const parts = [`FAIL ${r.file}: ${r.failures.length} of ${r.cases} commands diverged`];
  for (const f of r.failures.slice(0, maxCases)) {
    parts.push(`--- expected / +++ actual, at ${r.file}:${f.testCase.line}: ${f.testCase.cmdLine}`);
    parts.push(...diffHunks(unifiedDiff(f.expected, f.actual)));
  }
  if (r.failures.length > maxCases) parts.push(`... and ${r.failures.length - maxCases} more diverging commands`);
  return parts.join('\n');
}
