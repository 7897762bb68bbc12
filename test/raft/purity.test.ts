// src/raft/ is a pure core: no imports from outside the folder (not even
// node:*), no clocks, timers or ambient randomness. Determinism depends on it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/raft');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('src/raft purity', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  for (const f of files) {
    it(`${f} imports only from src/raft and uses no clock, timer or Math.random`, () => {
      const src = readFileSync(path.join(dir, f), 'utf8');
      const specifiers = [...src.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const s of specifiers) expect(s, `${f} imports ${s}`).toMatch(/^\.\/[A-Za-z]+\.js$/);
      expect(src).not.toMatch(/\b(?:setTimeout|setInterval|setImmediate|Date\.now|new Date|performance\.now|Math\.random|process\.)/);
    });
  }
});
