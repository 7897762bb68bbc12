// `orderer keygen reissue-tls --dir <dir> --node <id>`: see tlsReissue.ts.

import path from 'node:path';
import { intFlag, parseFlags, requiredStringFlag, type FlagSpec } from './args.js';
import { CONSENTERS_MAX } from '../chain/index.js';
import { reissueNodeTls } from './dev/tlsReissue.js';

export const REISSUE_TLS_USAGE = 'orderer keygen reissue-tls --dir <cluster dir> --node <id>';

const REISSUE_TLS_FLAGS: FlagSpec = {
  dir: { type: 'string' },
  node: { type: 'string' },
};

export function reissueTlsCommand(argv: readonly string[]): number {
  const flags = parseFlags('keygen reissue-tls', argv, REISSUE_TLS_FLAGS);
  const dir = path.resolve(requiredStringFlag(flags, 'dir'));
  requiredStringFlag(flags, 'node');
  const nodeId = intFlag(flags, 'node', 0, 1, CONSENTERS_MAX);
  const issued = reissueNodeTls(dir, nodeId);
  process.stdout.write(
    `node ${nodeId}: new TLS certificate ${issued.certFile} and key ${issued.keyFile} (the previous ones are in ${path.dirname(issued.previousCertFile)})\n` +
      'next: orderer channel update with the channel files that name this certificate, then restart the node once the update has committed\n',
  );
  return 0;
}
