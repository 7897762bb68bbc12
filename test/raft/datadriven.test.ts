import { describe, expect, it } from 'vitest';
import { DatadrivenParseError, parseCommandLine, parseDatadriven } from '../../scripts/raft-interaction/datadriven.js';

describe('datadriven parser', () => {
  it('parses commands, arguments, input lines and expected output', () => {
    const cases = parseDatadriven(`# comment
add-nodes 3 voters=(1,2,3) index=2 prevote=true
----
ok

propose-conf-change 1 v1=true
v2 r3
----
line 1
line 2
`);
    expect(cases).toHaveLength(2);
    expect(cases[0]).toMatchObject({
      line: 2,
      cmd: 'add-nodes',
      args: [
        { key: '3', vals: [] },
        { key: 'voters', vals: ['1', '2', '3'] },
        { key: 'index', vals: ['2'] },
        { key: 'prevote', vals: ['true'] },
      ],
      input: '',
      expected: 'ok',
    });
    expect(cases[1]).toMatchObject({ cmd: 'propose-conf-change', input: 'v2 r3', expected: 'line 1\nline 2' });
  });

  it('reads outputs with blank lines between doubled separators', () => {
    const cases = parseDatadriven('cmd\n----\n----\na\n\nb\n----\n----\n\nnext\n----\nok\n');
    expect(cases.map((c) => c.expected)).toEqual(['a\n\nb', 'ok']);
  });

  it('keeps parentheses together and accepts an empty list', () => {
    expect(parseCommandLine('deliver-msgs drop=(1, 2) type=MsgApp x=()').args).toEqual([
      { key: 'drop', vals: ['1', '2'] },
      { key: 'type', vals: ['MsgApp'] },
      { key: 'x', vals: [] },
    ]);
  });

  it('names the line of a command without separator', () => {
    expect(() => parseDatadriven('ok\n----\nok\n\nbroken 1\n', 'f.txt')).toThrow(
      new DatadrivenParseError('f.txt', 5, 'command "broken 1" has no ---- separator'),
    );
  });
});
