// `orderer channel join|list|remove`: the operator's side of the channel
// participation API (as Fabric's osnadmin channel join/list/remove), against
// one node's operations listener. Prints the node's JSON answer.

import fs from 'node:fs';
import { parseFlags, requiredStringFlag, stringFlag, type ParsedFlags } from './args.js';
import { CliRunError, CliUsageError } from './errors.js';
import { updateChannel } from './channelUpdate.js';
import { callParticipation, expectStatus, multipartForm, participationTarget, PARTICIPATION_PATH, type ParticipationTarget } from '../client/index.js';

export const CHANNEL_USAGE =
  'orderer channel join --block <config block file> [--genesis-block <file>] | list [--channel <name>] | remove --channel <name>  (each with --node <operations URL> [--ca-file F] [--client-cert F --client-key F]) | update --channel-config <file> --orderer <host:port> [--tls-ca F] [--server-name N] --msp-dir <admin MSP> --msp-id <id>';

/** A config block is at most one 100 MiB message. */
const BLOCK_FILE_BYTES_MAX = 100 * 1024 * 1024;
const TARGET_FLAGS = { node: { type: 'string' }, 'ca-file': { type: 'string' }, 'client-cert': { type: 'string' }, 'client-key': { type: 'string' } } as const;

export async function channelCommand(argv: readonly string[], print: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const [action, ...rest] = argv;
  switch (action) {
    case 'join': {
      const flags = parseFlags('channel join', rest, { ...TARGET_FLAGS, block: { type: 'string' }, 'genesis-block': { type: 'string' } });
      const block = readBlockFile('--block', requiredStringFlag(flags, 'block'));
      const genesisFile = stringFlag(flags, 'genesis-block');
      // The form is what osnadmin sends; the genesis part lets a consenter added after block 0 join with the latest config block.
      const form = multipartForm({
        'config-block': block,
        ...(genesisFile !== undefined && { 'genesis-block': readBlockFile('--genesis-block', genesisFile) }),
      });
      const answer = await callParticipation(targetOf(flags), 'POST', PARTICIPATION_PATH, form.body, form.contentType);
      print(`${JSON.stringify(expectStatus(answer, 201, 'join'), null, 2)}\n`);
      return 0;
    }
    case 'list': {
      const flags = parseFlags('channel list', rest, { ...TARGET_FLAGS, channel: { type: 'string' } });
      const channel = stringFlag(flags, 'channel');
      const path = channel === undefined ? PARTICIPATION_PATH : `${PARTICIPATION_PATH}/${encodeURIComponent(channel)}`;
      const answer = await callParticipation(targetOf(flags), 'GET', path);
      print(`${JSON.stringify(expectStatus(answer, 200, 'list'), null, 2)}\n`);
      return 0;
    }
    case 'remove': {
      const flags = parseFlags('channel remove', rest, { ...TARGET_FLAGS, channel: { type: 'string' } });
      const channel = requiredStringFlag(flags, 'channel');
      const answer = await callParticipation(targetOf(flags), 'DELETE', `${PARTICIPATION_PATH}/${encodeURIComponent(channel)}`);
      expectStatus(answer, 204, `remove ${channel}`);
      print(`channel "${channel}" removed\n`);
      return 0;
    }
    case 'update': {
      const flags = parseFlags('channel update', rest, {
        'channel-config': { type: 'string' },
        orderer: { type: 'string' },
        'tls-ca': { type: 'string' },
        'server-name': { type: 'string' },
        'msp-dir': { type: 'string', multiple: true },
        'msp-id': { type: 'string', multiple: true },
      });
      const outcome = await updateChannel({
        channelConfigFile: requiredStringFlag(flags, 'channel-config'),
        ordererAddress: requiredStringFlag(flags, 'orderer'),
        tlsCaFile: stringFlag(flags, 'tls-ca'),
        serverNameOverride: stringFlag(flags, 'server-name'),
        admins: adminPairs(flags),
      });
      print(`config update of channel "${outcome.channelId}" accepted (sequence ${outcome.sequence}, from config block ${outcome.fromConfigBlock})\n`);
      return 0;
    }
    default:
      throw new CliUsageError(
        action === undefined ? 'orderer channel needs join, list, remove or update' : `unknown channel action "${action}" (join, list, remove or update)`,
      );
  }
}

function targetOf(flags: ParsedFlags): ParticipationTarget {
  return participationTarget(requiredStringFlag(flags, 'node'), {
    ...optional('ca', stringFlag(flags, 'ca-file')),
    ...optional('cert', stringFlag(flags, 'client-cert')),
    ...optional('key', stringFlag(flags, 'client-key')),
  });
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function readBlockFile(flag: string, file: string): Uint8Array {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (error) {
    throw new CliRunError(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  if (size === 0 || size > BLOCK_FILE_BYTES_MAX) throw new CliRunError(`${flag} ${file} is ${size} bytes; a config block is 1..${BLOCK_FILE_BYTES_MAX} bytes`);
  return fs.readFileSync(file);
}

/** The --msp-dir/--msp-id pairs of `channel update`, in order: each admin signs the config update. */
function adminPairs(flags: ParsedFlags): { mspDir: string; mspId: string }[] {
  const list = (name: string): string[] => {
    // A flag declared `multiple` parses to a list (ParsedFlags types the single-valued flags).
    const value = (flags as Readonly<Record<string, unknown>>)[name];
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v !== 'string' || v.length === 0)) throw new CliUsageError(`--${name} needs a value`);
    return values as string[];
  };
  const dirs = list('msp-dir');
  const ids = list('msp-id');
  if (dirs.length === 0) throw new CliUsageError('--msp-dir is required (with --msp-id: the local MSP of an admin who signs the update)');
  if (dirs.length !== ids.length) {
    throw new CliUsageError(`--msp-dir and --msp-id come in pairs, one per signing admin: got ${dirs.length} --msp-dir and ${ids.length} --msp-id`);
  }
  return dirs.map((mspDir, i) => ({ mspDir, mspId: ids[i]! }));
}
