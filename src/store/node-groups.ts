/**
 * @module store/node-groups
 * Maps a node to the group whose resources it receives, like
 * go-control-plane's NodeHash: the first group whose matcher accepts the
 * node wins; nodes no group claims get the default resources only.
 */
import { DEFAULT_GROUP } from '../source/raw-resource';
import type { NodeGroupSpec } from '../source/raw-resource';

/** The node fields groups can match on. */
export interface NodeIdentity {
  readonly id: string;
  readonly cluster: string;
  /** `node.metadata` as plain JSON. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

interface CompiledGroup {
  readonly name: string;
  readonly id?: RegExp;
  readonly cluster?: RegExp;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Ordered group matchers. */
export class NodeGroups {
  readonly #groups: CompiledGroup[];
  readonly specs: readonly NodeGroupSpec[];

  constructor(specs: readonly NodeGroupSpec[]) {
    this.specs = specs;
    this.#groups = specs.map((s) => ({
      name: s.name,
      id: s.match.id !== undefined ? new RegExp(`^(?:${s.match.id})$`) : undefined,
      cluster: s.match.cluster !== undefined ? new RegExp(`^(?:${s.match.cluster})$`) : undefined,
      metadata: s.match.metadata,
    }));
  }

  /** Names of every group, default included. */
  names(): string[] {
    return [DEFAULT_GROUP, ...this.#groups.map((g) => g.name)];
  }

  /** The group a node belongs to. */
  groupOf(node: NodeIdentity): string {
    for (const g of this.#groups) {
      if (g.id && !g.id.test(node.id)) continue;
      if (g.cluster && !g.cluster.test(node.cluster)) continue;
      if (g.metadata && !Object.entries(g.metadata).every(([k, v]) => node.metadata[k] === v)) continue;
      return g.name;
    }
    return DEFAULT_GROUP;
  }
}
