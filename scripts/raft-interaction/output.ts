import type { RaftLogger } from '../../src/raft/index.js';

/** Log level names in etcd's order; NONE silences all output. */
export const levelNames = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'NONE'] as const;

/**
 * The harness's output buffer, shared by the command handlers and every
 * node's logger (as etcd's RedirectLogger): log lines appear where they happen.
 */
export class Output {
  #text = '';
  /** Index into levelNames; lines below it are not printed. */
  level = 0;

  quiet(): boolean {
    return this.level === levelNames.length - 1;
  }

  write(s: string): void {
    if (!this.quiet()) this.#text += s;
  }

  text(): string {
    return this.#text;
  }

  reset(): void {
    this.#text = '';
  }

  /** Runs `f` and indents by two spaces every line it printed. */
  withIndent(f: () => void): void {
    const outer = this.#text;
    this.#text = '';
    try {
      f();
    } finally {
      const inner = this.#text;
      this.#text = outer;
      const lines = inner.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const l of lines) this.#text += `  ${l}\n`;
    }
  }

  logger(): RaftLogger {
    const at = (lvl: number) => (msg: string) => {
      if (this.level <= lvl) this.write(`${levelNames[lvl]} ${msg}\n`);
    };
    return { debug: at(0), info: at(1), warn: at(2), error: at(3) };
  }
}
