/**
 * @module admin/nodes
 * `/nodes`: every connected stream with its node, group (`null` when the
 * node is in no group), per-type subscription, versions and NACKs.
 * `?id=` picks one node id. A function of the streams and the parameters,
 * so another process can answer it the same way.
 */
import type { AnyStream } from '../transport';
import { clientString } from '../observe/client-string';
import { unknownParameter } from './query';
import type { AdminAnswer } from './query';

/** The /nodes answer for `params`. */
export function nodesAnswer(streams: ReadonlySet<AnyStream>, params: URLSearchParams): AdminAnswer {
  const unknown = unknownParameter(params, ['id'], '/nodes');
  if (unknown) return unknown;
  const id = params.get('id');
  const out = [];
  for (const s of streams) {
    const node = s.node;
    if (!node || (id !== null && node.id !== id)) continue;
    const types: Record<string, unknown> = {};
    for (const [typeUrl, st] of s.typeStates()) {
      types[typeUrl] = {
        wildcard: st.sub.wildcard,
        subscribed: st.sub.names.size,
        sentVersion: st.sentVersion,
        ackedVersion: st.ackedVersion,
        nonce: st.lastNonce,
        awaitingAck: st.awaitingAck,
        pending: st.pendingAll ? 'all' : st.pendingNames.size,
        lastNack: st.lastNack,
      };
    }
    // Node id and cluster are whatever the client sent: bounded like in logs.
    out.push({ id: clientString(node.id), cluster: clientString(node.cluster), variant: s.variant, peer: s.peer, group: s.group || null, blocked: s.blocked, unflushedBytes: s.unflushedBytes, types });
  }
  return { status: 200, body: { streams: out.length, nodes: out } };
}
