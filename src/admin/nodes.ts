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
  for (const stream of streams) {
    if (!stream.node || (id !== null && stream.node.id !== id)) continue;
    const s = stream.describe();
    const node = s.node;
    if (!node) continue;
    const types: Record<string, unknown> = {};
    for (const st of s.types) {
      types[st.typeUrl] = {
        wildcard: st.wildcard,
        subscribed: st.names.size,
        sentVersion: st.sentVersion,
        ackedVersion: st.ackedVersion,
        nonce: st.nonce,
        awaitingAck: st.awaitingAck,
        pending: st.pending,
        lastNack: st.lastNack,
      };
    }
    // Node id and cluster are whatever the client sent: bounded like in logs.
    out.push({ id: clientString(node.id), cluster: clientString(node.cluster), variant: s.variant, peer: s.peer, group: s.group || null, blocked: s.blocked, unflushedBytes: s.unflushedBytes, types });
  }
  return { status: 200, body: { streams: out.length, nodes: out } };
}
