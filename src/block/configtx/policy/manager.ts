// Fabric's policy manager over a config tree: every group's policies,
// addressed by absolute path ("/Channel/Orderer/Admins") or relative to a
// group ("Admins", "Orderer/Admins"), evaluated with Fabric's semantics:
// - SIGNATURE: the SignaturePolicyEnvelope's n-out-of rule tree over its
//   principals; an identity satisfies at most one principal of an evaluation
//   (cauthdsl's `used` marks), failure "signature set did not satisfy policy";
// - IMPLICIT_META: the policy named sub_policy in each direct sub-group, ANY
//   (1), ALL (every one), MAJORITY (n/2 + 1); a group with no sub-groups is
//   satisfied by nothing at all (threshold 0). A missing sub-policy counts as
//   unsatisfied.
// A policy that does not decode, has an unknown type or SignaturePolicy
// version is kept as a reason: evaluating it fails saying so, and `problems`
// lists it (a proposed config carrying one is refused).

import { OrdererError } from '../../../errors.js';
import type { ConfigGroup } from '../model.js';
import { ImplicitMetaRule, PolicyType } from '../policies.js';
import { decodeImplicitMetaPolicy, decodePolicy, decodeSignaturePolicyEnvelope, type SignatureRule } from './decode.js';
import type { PolicyIdentity } from './identities.js';
import type { ChannelMsp } from './msps.js';
import { compilePrincipal } from './principals.js';

export const ROOT_GROUP = 'Channel';

/** Undefined when satisfied, else Fabric's reason. */
export type Verdict = string | undefined;

export interface Policy {
  /** Absolute path, e.g. /Channel/Orderer/Admins. */
  readonly path: string;
  evaluate(identities: readonly PolicyIdentity[]): Verdict;
}

interface PolicyNode {
  readonly path: readonly string[];
  readonly groups: ReadonlyMap<string, PolicyNode>;
  readonly policies: Map<string, Policy>;
}

export class PolicyManager {
  readonly #root: PolicyNode;
  readonly problems: string[] = [];

  constructor(channelGroup: ConfigGroup, msps: ReadonlyMap<string, ChannelMsp>) {
    this.#root = this.#build(channelGroup, [ROOT_GROUP], msps);
  }

  /**
   * The policy `id` names, seen from the group at `groupPath` (["Channel",
   * "Orderer"]): absolute ids from the root, relative ones from that group.
   * A policy that does not exist is one that rejects: "no such policy".
   */
  policy(id: string, groupPath: readonly string[] = [ROOT_GROUP]): Policy {
    const reject = (path: string): Policy => ({ path, evaluate: () => `no such policy: '${id}'` });
    if (id === '') return reject(id);
    let node: PolicyNode | undefined = this.#root;
    let parts: string[];
    if (id.startsWith('/')) {
      parts = id.slice(1).split('/');
      if (parts.shift() !== ROOT_GROUP) return reject(id);
    } else {
      node = this.#node(groupPath);
      parts = id.split('/');
    }
    const name = parts.pop()!;
    for (const part of parts) node = node?.groups.get(part);
    const path = node === undefined ? id : `/${[...node.path, name].join('/')}`;
    return node?.policies.get(name) ?? reject(path);
  }

  #node(path: readonly string[]): PolicyNode | undefined {
    let node: PolicyNode | undefined = path[0] === ROOT_GROUP ? this.#root : undefined;
    for (const part of path.slice(1)) node = node?.groups.get(part);
    return node;
  }

  #build(group: ConfigGroup, path: readonly string[], msps: ReadonlyMap<string, ChannelMsp>): PolicyNode {
    const groups = new Map<string, PolicyNode>();
    for (const [name, sub] of group.groups) groups.set(name, this.#build(sub, [...path, name], msps));
    const node: PolicyNode = { path, groups, policies: new Map() };
    for (const [name, configPolicy] of group.policies) {
      const policyPath = `/${[...path, name].join('/')}`;
      let policy: Policy;
      try {
        policy = compilePolicy(configPolicy.policy ?? new Uint8Array(0), policyPath, node, msps);
      } catch (err) {
        if (!(err instanceof OrdererError)) throw err;
        const reason = `policy ${policyPath} is unusable: ${err.message}`;
        this.problems.push(reason);
        policy = { path: policyPath, evaluate: () => reason };
      }
      node.policies.set(name, policy);
    }
    return node;
  }
}

class UnusablePolicyError extends OrdererError {
  constructor(message: string) {
    super('BAD_CHANNEL_CONFIG', message);
  }
}

function compilePolicy(bytes: Uint8Array, path: string, node: PolicyNode, msps: ReadonlyMap<string, ChannelMsp>): Policy {
  const ctx = { code: 'BAD_PROTOBUF', path } as const;
  const message = decodePolicy(bytes, ctx);
  if (message.type === PolicyType.SIGNATURE) {
    const envelope = decodeSignaturePolicyEnvelope(message.value, ctx);
    if (envelope.version !== 0) throw new UnusablePolicyError(`This evaluator only understands messages of version 0, but version was ${envelope.version}`);
    if (envelope.rule === undefined) throw new UnusablePolicyError('Empty policy element');
    const principals = envelope.identities.map((p, i) => compilePrincipal(p, msps, `${path}.identities[${i}]`));
    const rule = compileRule(envelope.rule, principals);
    return {
      path,
      evaluate: (identities) =>
        rule(
          identities,
          identities.map(() => false),
        )
          ? undefined
          : 'signature set did not satisfy policy',
    };
  }
  if (message.type === PolicyType.IMPLICIT_META) {
    const { subPolicy, rule } = decodeImplicitMetaPolicy(message.value, ctx);
    if (!(rule in ImplicitMetaRule)) throw new UnusablePolicyError(`unknown ImplicitMetaPolicy rule ${rule}`);
    // Sub-groups are complete when this group's policies compile (built bottom-up).
    return { path, evaluate: (identities) => evaluateImplicitMeta(node, subPolicy, rule, identities) };
  }
  throw new UnusablePolicyError(`policy type ${message.type} is not supported (SIGNATURE 1, IMPLICIT_META 3)`);
}

type CompiledRule = (identities: readonly PolicyIdentity[], used: boolean[]) => boolean;

function compileRule(rule: SignatureRule, principals: readonly ((id: PolicyIdentity) => boolean)[]): CompiledRule {
  if (rule.kind === 'signedBy') {
    const principal = principals[rule.index];
    if (principal === undefined)
      throw new UnusablePolicyError(`identity index out of range, requested ${rule.index}, but identities length is ${principals.length}`);
    return (identities, used) => {
      const i = identities.findIndex((id, j) => !used[j] && principal(id));
      if (i < 0) return false;
      used[i] = true;
      return true;
    };
  }
  const rules = rule.rules.map((r) => compileRule(r, principals));
  return (identities, used) => {
    let verified = 0;
    for (const sub of rules) {
      // A sub-rule that fails leaves the marks as they were; one that passes keeps its marks.
      const trial = [...used];
      if (sub(identities, trial)) {
        verified++;
        trial.forEach((mark, i) => (used[i] = mark));
      }
    }
    return verified >= rule.n;
  };
}

function evaluateImplicitMeta(node: PolicyNode, subPolicy: string, rule: ImplicitMetaRule, identities: readonly PolicyIdentity[]): Verdict {
  const subs = [...node.groups.values()].map((g) => g.policies.get(subPolicy));
  let threshold = rule === ImplicitMetaRule.ANY ? 1 : rule === ImplicitMetaRule.ALL ? subs.length : Math.floor(subs.length / 2) + 1;
  if (subs.length === 0) threshold = 0;
  let satisfied = 0;
  for (const sub of subs) {
    if (satisfied >= threshold) break;
    if (sub !== undefined && sub.evaluate(identities) === undefined) satisfied++;
  }
  if (satisfied >= threshold) return undefined;
  return `implicit policy evaluation failed - ${satisfied} sub-policies were satisfied, but this policy requires ${threshold} of the '${subPolicy}' sub-policies to be satisfied`;
}
