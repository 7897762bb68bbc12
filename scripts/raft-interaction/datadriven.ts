// Parser for the datadriven test format of cockroachdb/datadriven, which
// etcd-raft's interaction tests use:
//
//   command arg key=val key=(v1,v2)
//   optional input lines
//   ----
//   expected output (ends at the first blank line)
//
// Outputs that contain blank lines use a doubled separator: "----\n----" opens
// the output and "----\n----" closes it.

export interface CmdArg {
  readonly key: string;
  readonly vals: readonly string[];
}

export interface TestCase {
  /** 1-based line of the command in the file. */
  readonly line: number;
  readonly cmdLine: string;
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  readonly input: string;
  readonly expected: string;
}

export class DatadrivenParseError extends Error {
  constructor(file: string, line: number, what: string) {
    super(`${file}:${line}: ${what}`);
    this.name = 'DatadrivenParseError';
  }
}

export function parseDatadriven(text: string, file = '<input>'): TestCase[] {
  const lines = text.split('\n');
  const cases: TestCase[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const start = i + 1;
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== '----') input.push(lines[i++]!);
    if (i >= lines.length) throw new DatadrivenParseError(file, start, `command "${line}" has no ---- separator`);
    i++;
    const expected: string[] = [];
    if (lines[i] === '----') {
      i++;
      for (;;) {
        if (i >= lines.length) throw new DatadrivenParseError(file, start, 'unterminated ----/---- output block');
        if (lines[i] === '----' && lines[i + 1] === '----') {
          i += 2;
          break;
        }
        expected.push(lines[i++]!);
      }
    } else {
      while (i < lines.length && lines[i] !== '') expected.push(lines[i++]!);
    }
    const { cmd, args } = parseCommandLine(line, file, start);
    cases.push({ line: start, cmdLine: line, cmd, args, input: input.join('\n'), expected: expected.join('\n') });
  }
  return cases;
}

/** Splits "cmd a k=v k=(x,y)" into the command and its arguments. */
export function parseCommandLine(line: string, file = '<input>', lineNo = 0): { cmd: string; args: CmdArg[] } {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of line.trim()) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new DatadrivenParseError(file, lineNo, `unbalanced ")" in "${line}"`);
    if (/\s/.test(ch) && depth === 0) {
      if (cur !== '') tokens.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (depth !== 0) throw new DatadrivenParseError(file, lineNo, `unbalanced "(" in "${line}"`);
  if (cur !== '') tokens.push(cur);
  const [cmd, ...rest] = tokens;
  const args = rest.map((tok): CmdArg => {
    const eq = tok.indexOf('=');
    if (eq < 0) return { key: tok, vals: [] };
    const key = tok.slice(0, eq);
    const val = tok.slice(eq + 1);
    if (val.startsWith('(') && val.endsWith(')')) {
      const inner = val.slice(1, -1).trim();
      return { key, vals: inner === '' ? [] : inner.split(',').map((v) => v.trim()) };
    }
    return { key, vals: [val] };
  });
  return { cmd: cmd ?? '', args };
}
