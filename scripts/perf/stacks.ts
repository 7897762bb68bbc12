// Reads the text `perf script -F comm,tid,ip,sym,dso` prints: one sample per
// block, a header line "<comm> <tid>" then one frame per line, leaf first,
// "<ip> <symbol> (<dso>)", blocks separated by a blank line. JavaScript frames
// are named when the process ran with --perf-basic-prof (its /tmp/perf-<pid>.map).

/** One sample's frames, leaf first, each "<symbol> (<dso>)" without the address. */
export type Stack = readonly string[];

export class PerfScriptError extends Error {}

/** The stacks of the samples taken on thread `tid` (every thread when undefined). */
export function readStacks(text: string, tid?: number): Stack[] {
  const stacks: Stack[] = [];
  let frames: string[] | undefined;
  let keep = false;
  let lineNumber = 0;
  const close = (): void => {
    if (frames !== undefined && keep) stacks.push(frames);
    frames = undefined;
  };
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') {
      close();
      continue;
    }
    if (!/^\s/.test(line)) {
      close();
      const header = /^(.*\S)\s+(\d+)\s*$/.exec(line);
      if (header === null) throw new PerfScriptError(`line ${lineNumber}: expected "<comm> <tid>", got "${line.slice(0, 80)}"`);
      frames = [];
      keep = tid === undefined || Number(header[2]) === tid;
      continue;
    }
    if (frames === undefined) throw new PerfScriptError(`line ${lineNumber}: a frame before any sample header`);
    // "<ip> <symbol>+0x<offset> (<dso>)": the address and the offset say nothing about where the time went.
    const frame = line.trim().replace(/^[0-9a-f]+\s+/, '');
    frames.push(frame.replace(/\+0x[0-9a-f]+(?= \()/, ''));
  }
  close();
  return stacks;
}
