// The example in CONFIG.md loads as written: its two YAML files are written
// into a temp tree with the certificate files they name.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeConfig } from '../../src/config/index.js';
import { CA_PEM, CERT_PEM, KEY_PEM, makeConfigDir } from './fixtures.js';

const CONFIG_MD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/config/CONFIG.md');
const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

/** The fenced yaml block right after the line naming `file`. */
function exampleFile(markdown: string, file: string): string {
  const start = markdown.indexOf(`\`${file}\`:`);
  expect(start, `CONFIG.md shows ${file}`).toBeGreaterThanOrEqual(0);
  const match = /```yaml\n([\s\S]*?)```/.exec(markdown.slice(start));
  return match![1]!;
}

describe('CONFIG.md example', () => {
  it('loads, with the defaults it documents', () => {
    const markdown = readFileSync(CONFIG_MD, 'utf8');
    const files: Record<string, string> = {
      'ca/tlsca.crt': CA_PEM,
      'ca/ca.crt': CA_PEM,
      'org1/ca.crt': CA_PEM,
      'node1/tls/server.crt': CERT_PEM,
      'node1/tls/server.key': KEY_PEM,
      'node2/tls/server.crt': CERT_PEM,
      'node3/tls/server.crt': CERT_PEM,
      'node1/orderer.yaml': exampleFile(markdown, 'node1/orderer.yaml'),
      'channels/mychannel.yaml': exampleFile(markdown, 'channels/mychannel.yaml'),
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    mkdirSync(path.join(dir, 'node1/msp'));
    const config = loadNodeConfig(path.join(dir, 'node1/orderer.yaml'));
    expect(config.id).toBe(1);
    expect(config.dataDir).toBe(path.join(dir, 'node1/data'));
    const [channel] = config.channels;
    expect(channel!.consenters.map((c) => `${c.id}@${c.host}:${c.port}`)).toEqual(['1@127.0.0.1:7051', '2@127.0.0.1:7061', '3@127.0.0.1:7071']);
    expect(channel!.batchSize).toEqual({ maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 });
    expect(channel!.raft.snapshotIntervalSizeBytes).toBe(20 * 1024 * 1024);
  });
});
