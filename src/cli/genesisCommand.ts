// `orderer genesis --channel-config <file> --out <block file>`: the genesis
// block of a channel, to be joined with `orderer channel join --block`. The
// same file gives the same bytes anywhere (genesis.ts), so every consenter
// can be handed its own copy.

import fs from 'node:fs';
import { loadChannelConfig } from '../config/index.js';
import { parseFlags, requiredStringFlag } from './args.js';
import { CliRunError } from './errors.js';
import { genesisBlockOfChannel } from '../node/index.js';

export const GENESIS_USAGE = 'orderer genesis --channel-config <channel config file> --out <block file>';

export function genesisCommand(argv: readonly string[], print: (text: string) => void = (t) => process.stdout.write(t)): number {
  const flags = parseFlags('genesis', argv, { 'channel-config': { type: 'string' }, out: { type: 'string' } });
  const channel = loadChannelConfig(requiredStringFlag(flags, 'channel-config'));
  const out = requiredStringFlag(flags, 'out');
  const block = genesisBlockOfChannel(channel);
  try {
    fs.writeFileSync(out, block, { flag: 'wx' });
  } catch (error) {
    throw new CliRunError(
      `cannot write --out ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (an existing file is never overwritten)`,
      { cause: error },
    );
  }
  print(`wrote the genesis block of channel "${channel.channelId}" (${block.length} bytes) to ${out}\n`);
  return 0;
}
