// The commands of etcd's interaction tests, each printing what etcd prints.
import {
  ConfChangeType,
  describeMessage,
  describeProgress,
  emptyConfState,
  MessageType,
  RaftAssertionError,
  stateName,
  type ConfChange,
  type Message,
  type Snapshot,
} from '../../src/raft/index.js';
import type { CmdArg, TestCase } from './datadriven.js';
import { describeError, type InteractionEnv, type NodeOptions } from './env.js';
import { levelNames } from './output.js';

class CommandError extends Error {}

function int(s: string | undefined, what: string): number {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isSafeInteger(n)) throw new CommandError(`${what}: expected an integer, got ${s}`);
  return n;
}

function bool(s: string | undefined, what: string): boolean {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new CommandError(`${what}: expected true or false, got ${s}`);
}

/** Node ids given as bare arguments (etcd's nodeIdxs, 1-based here). */
function bareIds(args: readonly CmdArg[]): number[] {
  return args.filter((a) => a.vals.length === 0).map((a) => int(a.key, 'node id'));
}

function first(tc: TestCase): number {
  return int(tc.args[0]?.key, `${tc.cmd}: node id`);
}

function scanArg(tc: TestCase, key: string): string {
  const a = tc.args.find((x) => x.key === key);
  if (!a || a.vals.length === 0) throw new CommandError(`${tc.cmd}: missing argument ${key}=`);
  return a.vals[0]!;
}

/** Runs one command and returns its output (etcd's InteractionEnv.Handle). */
export function handle(env: InteractionEnv, tc: TestCase): string {
  env.output.reset();
  let err: unknown;
  try {
    dispatch(env, tc);
  } catch (e) {
    err = e;
  }
  if (err !== undefined) {
    // A broken invariant of the core is a test failure, never an expected output.
    if (err instanceof RaftAssertionError || !(err instanceof Error)) throw err;
    const text = describeError(err);
    if (env.output.quiet()) return text;
    env.output.write(text);
  }
  const out = env.output.text();
  return out.length === 0 ? 'ok' : out;
}

function dispatch(env: InteractionEnv, tc: TestCase): void {
  switch (tc.cmd) {
    case '_breakpoint':
      return;
    case 'add-nodes':
      return addNodes(env, tc);
    case 'campaign':
      return env.node(first(tc)).rawNode.campaign();
    case 'compact': {
      const id = first(tc);
      env.node(id).storage.compact(int(tc.args[1]?.key, 'compact: index'));
      return env.raftLog(id);
    }
    case 'deliver-msgs':
      return deliverMsgs(env, tc);
    case 'process-ready':
      return processReady(env, tc);
    case 'log-level':
      return setLogLevel(env, tc.args[0]?.key ?? '');
    case 'raft-log':
      return env.raftLog(first(tc));
    case 'raft-state':
      return raftState(env);
    case 'set-randomized-election-timeout':
      return env.node(first(tc)).rawNode.setRandomizedElectionTimeout(int(scanArg(tc, 'timeout'), 'timeout'));
    case 'stabilize':
      return stabilize(env, tc);
    case 'status': {
      const progress = env.node(first(tc)).rawNode.status().progress;
      if (progress) env.output.write(describeProgress(progress));
      return;
    }
    case 'tick-election':
      return tick(env, first(tc), (n) => n.electionTick);
    case 'tick-heartbeat':
      return tick(env, first(tc), (n) => n.heartbeatTick);
    case 'transfer-leadership': {
      const from = int(scanArg(tc, 'from'), 'from');
      const to = int(scanArg(tc, 'to'), 'to');
      env.node(to);
      return env.node(from).rawNode.transferLeadership(to);
    }
    case 'forget-leader':
      return env.node(first(tc)).rawNode.forgetLeader();
    case 'send-snapshot':
      return sendSnapshot(env, tc);
    case 'propose': {
      if (tc.args.length !== 2 || tc.args[1]!.vals.length > 0) throw new CommandError('propose: expected exactly one key with no vals');
      return env.node(first(tc)).rawNode.propose(new TextEncoder().encode(tc.args[1]!.key));
    }
    case 'propose-conf-change':
      return proposeConfChange(env, tc);
    case 'report-unreachable': {
      const ids = bareIds(tc.args);
      if (ids.length !== 2) throw new CommandError('must specify exactly two node indexes: node on which to report, and reported node');
      return env.node(ids[0]!).rawNode.reportUnreachable(env.node(ids[1]!).id);
    }
    default:
      throw new CommandError('unknown command');
  }
}

function addNodes(env: InteractionEnv, tc: TestCase): void {
  const count = first(tc);
  const opts: NodeOptions = { electionTick: 3, heartbeatTick: 1 };
  const voters: number[] = [];
  const learners: number[] = [];
  let index = 0;
  let content = new Uint8Array(0);
  for (const arg of tc.args.slice(1)) {
    for (const v of arg.vals) {
      switch (arg.key) {
        case 'voters':
          voters.push(int(v, 'voters'));
          break;
        case 'learners':
          learners.push(int(v, 'learners'));
          break;
        case 'inflight':
          opts.maxInflightMsgs = int(v, 'inflight');
          break;
        case 'index':
          index = int(v, 'index');
          break;
        case 'content':
          content = new TextEncoder().encode(v);
          break;
        case 'prevote':
          opts.preVote = bool(v, 'prevote');
          break;
        case 'checkquorum':
          opts.checkQuorum = bool(v, 'checkquorum');
          break;
        case 'max-committed-size-per-ready':
          opts.maxCommittedSizePerReady = int(v, 'max-committed-size-per-ready');
          break;
        case 'step-down-on-removal':
          opts.stepDownOnRemoval = bool(v, 'step-down-on-removal');
          break;
        default:
          throw new CommandError(`add-nodes: unsupported argument ${arg.key}`);
      }
    }
  }
  const bootstrap = voters.length > 0 || learners.length > 0 || index !== 0 || content.length > 0;
  const snap: Snapshot | undefined = bootstrap
    ? { data: content, metadata: { index, term: 1, confState: { ...emptyConfState, voters, learners } } }
    : undefined;
  env.addNodes(count, opts, snap);
}

function deliverMsgs(env: InteractionEnv, tc: TestCase): void {
  let type: MessageType | undefined;
  const recipients: Array<{ id: number; drop: boolean }> = [];
  for (const arg of tc.args) {
    if (arg.vals.length === 0) recipients.push({ id: int(arg.key, 'recipient'), drop: false });
    for (const v of arg.vals) {
      if (arg.key === 'drop') {
        const id = int(v, 'drop');
        if (recipients.some((r) => r.id === id)) throw new CommandError(`can't both deliver and drop msgs to ${id}`);
        recipients.push({ id, drop: true });
      } else if (arg.key === 'type') {
        const t = (MessageType as unknown as Record<string, MessageType | undefined>)[v];
        if (t === undefined) throw new CommandError(`unknown message type ${v}`);
        type = t;
      }
    }
  }
  if (env.deliverMsgs(recipients, type) === 0) env.output.write('no messages\n');
}

function processReady(env: InteractionEnv, tc: TestCase): void {
  const ids = bareIds(tc.args);
  for (const id of ids) {
    if (ids.length > 1) {
      env.output.write(`> ${id} handling Ready\n`);
      env.output.withIndent(() => env.processReady(id));
    } else {
      env.processReady(id);
    }
  }
}

function setLogLevel(env: InteractionEnv, name: string): void {
  const i = levelNames.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new CommandError(`log levels must be either of [${levelNames.join(' ')}]`);
  env.output.level = i;
}

function stabilize(env: InteractionEnv, tc: TestCase): void {
  const saved = env.output.level;
  try {
    for (const arg of tc.args) if (arg.key === 'log-level') for (const v of arg.vals) setLogLevel(env, v);
    env.stabilize(bareIds(tc.args));
  } finally {
    env.output.level = saved;
  }
}

function raftState(env: InteractionEnv): void {
  for (const n of env.nodes) {
    const st = n.rawNode.status();
    const voter = st.config.voters.includes(st.id) ? '(Voter)' : '(Non-Voter)';
    env.output.write(`${st.id}: ${stateName(st.softState.raftState)} ${voter} Term:${st.hardState.term} Lead:${st.softState.lead}\n`);
  }
}

function tick(env: InteractionEnv, id: number, ticks: (n: ReturnType<InteractionEnv['node']>) => number): void {
  const n = env.node(id);
  for (let i = ticks(n); i > 0; i--) n.rawNode.tick();
}

function sendSnapshot(env: InteractionEnv, tc: TestCase): void {
  const ids = bareIds(tc.args);
  if (ids.length !== 2) throw new CommandError('send-snapshot: expected two node ids');
  const [from, to] = ids as [number, number];
  const snapshot = env.node(from).history[env.node(from).history.length - 1]!;
  const m: Message = {
    type: MessageType.MsgSnap,
    term: env.node(from).rawNode.status().hardState.term,
    from,
    to,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot,
  };
  env.messages.push(m);
  env.output.write(describeMessage(m));
}

function proposeConfChange(env: InteractionEnv, tc: TestCase): void {
  const id = first(tc);
  let v1 = false;
  for (const arg of tc.args.slice(1)) {
    for (const v of arg.vals) {
      if (arg.key === 'v1') v1 = bool(v, 'v1');
      else if (arg.key === 'transition') {
        if (v !== 'auto') throw new CommandError(`transition=${v} needs joint consensus, which is not supported`);
      } else throw new CommandError(`unknown command ${arg.key}`);
    }
  }
  const changes = parseConfChanges(tc.input);
  if (!v1) return env.node(id).rawNode.proposeConfChangeV2(changes);
  if (changes.length !== 1) throw new CommandError('v1 conf change can only have one operation and no transition');
  env.node(id).rawNode.proposeConfChange(changes[0]!);
}

/** "v2 l3 r1 u4" -> changes (etcd's ConfChangesFromString). */
function parseConfChanges(s: string): ConfChange[] {
  const toks = s.trim() === '' ? [] : s.trim().split(' ');
  return toks.map((tok) => {
    if (tok.length < 2) throw new CommandError(`unknown token ${tok}`);
    const types: Record<string, ConfChangeType> = {
      v: ConfChangeType.AddNode,
      l: ConfChangeType.AddLearnerNode,
      r: ConfChangeType.RemoveNode,
      u: ConfChangeType.UpdateNode,
    };
    const type = types[tok[0]!];
    if (type === undefined) throw new CommandError(`unknown input: ${tok}`);
    return { type, nodeId: int(tok.slice(1), 'conf change node id') };
  });
}
