// Any input is either accepted or refused with a ConfigError naming the field
// that was broken — never a TypeError from deep inside, never a wrong field.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigFileError, fillNodeConfig } from '../../src/config/index.js';
import { makeConfigDir, minimalChannel, minimalNode } from './fixtures.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

/** As loadNodeConfig's reader when the named channel file does not exist. */
const noFiles = (file: string): unknown => {
  throw new ConfigFileError(file, 'cannot read: ENOENT');
};

/** Paths (as the messages write them) of the fields a valid node input has or may have. */
const FIELD_PATHS = [
  'id',
  'listen',
  'listen.client',
  'listen.cluster',
  'listen.operations',
  'tls',
  'tls.cert',
  'tls.key',
  'tls.rootCAs',
  'tls.clientListenerEnabled',
  'tls.clientAuthRequired',
  'msp',
  'msp.mspId',
  'msp.dir',
  'dataDir',
  'engine',
  'poolSize',
  'logLevel',
  'authenticationTimeWindow',
  'channels[0]',
  'channels[0].channelId',
  'channels[0].consenters',
  'channels[0].consenters[0].id',
  'channels[0].consenters[0].host',
  'channels[0].consenters[0].port',
  'channels[0].consenters[0].clientTlsCert',
  'channels[0].organizations',
  'channels[0].organizations[0].mspId',
  'channels[0].organizations[0].rootCerts',
  'channels[0].batchSize',
  'channels[0].batchSize.maxMessageCount',
  'channels[0].batchSize.absoluteMaxBytes',
  'channels[0].batchSize.preferredMaxBytes',
  'channels[0].batchTimeout',
  'channels[0].raft',
  'channels[0].raft.tickInterval',
  'channels[0].raft.electionTick',
  'channels[0].raft.heartbeatTick',
  'channels[0].raft.snapshotIntervalSize',
  'channels[0].hashAlgorithm',
  'channels[0].signatureAlgorithm',
];

/** Sets the value at a message-style path, creating mappings on the way. */
function setAt(root: Record<string, unknown>, fieldPath: string, value: unknown): void {
  const keys = fieldPath.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k));
  let node: Record<string | number, unknown> = root;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function fill(input: unknown) {
  return fillNodeConfig(input, dir, undefined, noFiles);
}

describe('config fuzzing', () => {
  it('arbitrary input is accepted or refused with a ConfigError', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          fill(input);
        } catch (error) {
          expect(error instanceof ConfigError || error instanceof ConfigFileError).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('one field replaced by arbitrary JSON is accepted or refused naming that field (or a field inside it)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELD_PATHS), fc.jsonValue({ maxDepth: 2 }), (fieldPath, value) => {
        const input = structuredClone(minimalNode({ channels: [minimalChannel()] }));
        setAt(input, fieldPath, value);
        try {
          fill(input);
        } catch (error) {
          // A non-empty string in place of a channel is the path of a channel file (absent here).
          if (fieldPath === 'channels[0]' && typeof value === 'string' && value !== '') {
            expect(error).toBeInstanceOf(ConfigFileError);
            return;
          }
          expect(error).toBeInstanceOf(ConfigError);
          const field = (error as ConfigError).field;
          const related =
            field === fieldPath ||
            field.startsWith(`${fieldPath}.`) ||
            field.startsWith(`${fieldPath}[`) ||
            // Cross-field rules name their partner: an id no longer among the consenters, a size bound, a tick relation.
            [
              'channels[0].consenters',
              'channels[0].batchSize.preferredMaxBytes',
              'channels[0].raft.electionTick',
              'channels[0].hashAlgorithm',
              'tls.clientRootCAs',
              'tls.clientAuthRequired',
              'the config',
            ].includes(field) ||
            (fieldPath.startsWith('channels[0].consenters') && field.startsWith('channels[0].consenters'));
          expect(related, `${fieldPath} := ${JSON.stringify(value)} was reported at ${field}: ${(error as Error).message}`).toBe(true);
          expect((error as Error).message.startsWith(field)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
