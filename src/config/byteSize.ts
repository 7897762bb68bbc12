// Byte sizes as Fabric's configtx.yaml writes them ("10 MB", "2 MB", "512 KB")
// or plain integers. As in Fabric, KB/MB/GB are binary (1024-based); the
// explicit KiB/MiB/GiB are accepted as the same.

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  k: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  g: 1024 ** 3,
};

const SIZE = /^\s*(\d{1,15})\s*([a-zA-Z]{0,3})\s*$/;

/** Bytes of a size string, or undefined when `text` is not one. */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (match === null) return undefined;
  const unit = match[2]!.toLowerCase();
  const unitBytes = unit === '' ? 1 : UNIT_BYTES[unit];
  if (unitBytes === undefined) return undefined;
  const bytes = Number(match[1]) * unitBytes;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
