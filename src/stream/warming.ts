/**
 * @module stream/warming
 * "Does this cluster view hold an EDS cluster whose endpoints are not in
 * this name set?" — the question make-before-break ordering asks before
 * sending routes (push-order.ts). Thousands of streams ask it with the same
 * immutable view and the same pooled name set, so the answer is memoised on
 * both objects.
 */
import { ENDPOINT } from '../xds/type-urls';
import type { TypeView } from '../store';

const memo = new WeakMap<TypeView, WeakMap<ReadonlySet<string>, boolean>>();

/** Whether some EDS cluster in `clusters` needs a ClusterLoadAssignment that `edsNames` lacks. `edsNames` must never change. */
export function clustersOutside(clusters: TypeView, edsNames: ReadonlySet<string>): boolean {
  let byNames = memo.get(clusters);
  if (!byNames) memo.set(clusters, (byNames = new WeakMap()));
  const known = byNames.get(edsNames);
  if (known !== undefined) return known;
  let outside = false;
  outer: for (const cluster of clusters.values()) {
    for (const ref of cluster.refs) {
      if (ref.typeUrl === ENDPOINT && !edsNames.has(ref.name)) {
        outside = true;
        break outer;
      }
    }
  }
  byNames.set(edsNames, outside);
  return outside;
}
