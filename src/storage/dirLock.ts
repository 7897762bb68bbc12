// One process per storage directory: both engines keep the log in memory and
// assume they are the only writer, so a second orderer on the same directory
// would silently fork it. The lock file holds the owner's pid; a lock left by
// a dead process (a crash, SIGKILL) is taken over.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { OrdererError } from '../errors.js';

export class StorageLockedError extends OrdererError {
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super('STORAGE_LOCKED', `storage directory ${dir} is in use by process ${ownerPid}${ownerPid === process.pid ? ' (this process: close it first)' : ''}`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DirLock {
  private constructor(readonly path: string) {}

  /** Takes the lock of `dir` (created if missing); throws StorageLockedError if a live process holds it. */
  static acquire(dir: string): DirLock {
    fs.mkdirSync(dir, { recursive: true });
    const path = join(dir, 'LOCK');
    try {
      fs.writeFileSync(path, String(process.pid), { flag: 'wx' });
      return new DirLock(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(fs.readFileSync(path, 'utf8'), 10);
    if (Number.isSafeInteger(owner) && owner > 0 && isAlive(owner)) throw new StorageLockedError(dir, owner);
    fs.writeFileSync(path, String(process.pid));
    return new DirLock(path);
  }

  release(): void {
    const owner = fs.existsSync(this.path) ? fs.readFileSync(this.path, 'utf8') : '';
    if (owner === String(process.pid)) fs.rmSync(this.path);
  }
}
