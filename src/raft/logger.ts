/** Where the core reports what it does. Each call is one line of text. */
export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const noop = (): void => {};

export const silentLogger: RaftLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
