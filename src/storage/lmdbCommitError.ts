// lmdb-js rejects a failed write transaction with "Commit failed (see
// commitError for details)" and puts the reason (e.g. ENOSPC, "No space left
// on device") in a promise on the error's `commitError`, rejected once the
// write thread reports it. The WAL's error names that reason.

/** How long to wait for the write thread's reason before giving up on it. */
const REASON_WAIT_MS = 1000;

/** `err` itself, or, for lmdb-js's commit failure, an error naming the reason (its cause the original). */
export async function withCommitReason(err: unknown): Promise<unknown> {
  const pending = (err as { commitError?: unknown } | undefined)?.commitError;
  if (!(pending instanceof Promise)) return err;
  let timer: NodeJS.Timeout | undefined;
  const reason = await Promise.race([
    pending.then(
      () => undefined,
      (cause: unknown) => cause,
    ),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), REASON_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (reason === undefined) return err;
  return new Error(`LMDB commit failed: ${(reason as Error)?.message ?? String(reason)}`, { cause: err });
}
