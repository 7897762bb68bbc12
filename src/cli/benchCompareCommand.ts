// `orderer bench compare OLD.json NEW.json [--threshold EXPR ...]`: the
// headline figures of two reports with the change in percent; thresholds are
// checked against NEW and make the exit code 1 when one fails.

import { parseArgs } from 'node:util';
import { compareReports, evaluateThresholds, formatComparison, parseThreshold, readReport } from '../client/index.js';
import { CliUsageError } from './errors.js';

export async function benchCompareCommand(argv: readonly string[]): Promise<number> {
  let values: { threshold?: string[] };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { threshold: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new CliUsageError(`orderer bench compare: ${(error as Error).message}`);
  }
  if (positionals.length !== 2) throw new CliUsageError(`orderer bench compare needs two report.json files, got ${positionals.length}`);
  const thresholds = (values.threshold ?? []).map((t) => {
    try {
      return parseThreshold(t);
    } catch (error) {
      throw new CliUsageError(`--threshold: ${(error as Error).message}`);
    }
  });
  const [oldFile, newFile] = positionals as [string, string];
  const older = readReport(oldFile);
  const newer = readReport(newFile);
  process.stdout.write(formatComparison(compareReports(older, newer), 'old', 'new'));
  const outcomes = evaluateThresholds(newer, thresholds);
  for (const t of outcomes) process.stdout.write(`threshold ${t.expression}: ${t.pass ? 'pass' : 'FAIL'} (value ${t.value ?? '—'})\n`);
  return outcomes.every((t) => t.pass) ? 0 : 1;
}
