/**
 * @module transport/csds-response
 * Builds a `ClientStatusResponse` on the wire by hand, in bounded work:
 *
 * - it stops as soon as the answer would pass `maxBytes` (a request for
 *   every node of a large fleet would otherwise build hundreds of MiB);
 * - it yields to the event loop every CSDS_SLICE_MS, so a large answer
 *   never stalls the xDS streams sharing the loop;
 * - resource bodies are the stored `Any` bytes (no re-encoding), passed
 *   through the redactor so sensitive fields never leave.
 *
 * Field numbers (envoy/service/status/v3/csds.proto):
 * ClientStatusResponse.config = 1; ClientConfig.node = 1,
 * generic_xds_configs = 3; GenericXdsConfig.type_url = 1, name = 2,
 * version_info = 3, xds_config = 4, config_status = 6, client_status = 7,
 * error_state = 8; UpdateFailureState.details = 3; Node.id = 1,
 * cluster = 2, client_features = 10.
 */
import { lengthDelimitedPayload, lengthDelimitedTag, stringField, varintField, varintLength, writeVarint } from '../xds/wire';
import type { Redactor } from '../xds/redact';
import type { ResourceStore } from '../store';
import type { EncodedResource } from '../encode';
import { resourceStatuses } from '../stream';
import type { NodeInfo, ResourceStatus } from '../stream';
import type { AnyStream } from './ads-service';

/** Longest run of work before yielding to the event loop, in ms. */
export const CSDS_SLICE_MS = 5;
/** Check the clock every this many entries (reading it per entry costs more than the entry). */
const ENTRIES_PER_CLOCK_CHECK = 64;

/** What to build. */
export interface ClientStatusQuery {
  /** Only this node id (a caller limited to its own node), or every node. */
  readonly nodeId: string | undefined;
  /** The request's node matchers, compiled. */
  readonly matches: (node: NodeInfo) => boolean;
  /** The proto's summary mode: statuses without resource bodies. */
  readonly excludeResourceContents: boolean;
}

/** The answer, or why there is none. */
export type ClientStatusBuild =
  | { readonly ok: true; readonly bytes: Buffer; readonly nodes: number }
  | { readonly ok: false; readonly reason: 'too-large'; readonly nodesSoFar: number }
  | { readonly ok: false; readonly reason: 'cancelled' };

/** What the builder reads. */
export interface ClientStatusSources {
  readonly streams: ReadonlySet<AnyStream>;
  readonly store: ResourceStore;
  readonly redactor: Redactor;
}

/** `field` holding `length` bytes that the caller appends next: tag and length only. */
function header(fieldNumber: number, length: number): Buffer {
  const tag = lengthDelimitedTag(fieldNumber);
  const out = Buffer.allocUnsafe(varintLength(tag) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, tag), length);
  return out;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function nodeField(node: NodeInfo): Buffer {
  const parts = [stringField(1, node.id)];
  if (node.cluster !== '') parts.push(stringField(2, node.cluster));
  for (const feature of node.clientFeatures) parts.push(stringField(10, feature));
  const body = Buffer.concat(parts);
  return Buffer.concat([header(1, body.length), body]);
}

/**
 * Build the response for `query`. Resolves with the bytes, or with
 * `too-large` once the answer passes `maxBytes`, or `cancelled` when
 * `cancelled()` turns true between slices.
 */
export async function buildClientStatusResponse(sources: ClientStatusSources, query: ClientStatusQuery, maxBytes: number, cancelled: () => boolean): Promise<ClientStatusBuild> {
  const out: Buffer[] = [];
  let total = 0;
  let nodes = 0;
  let sliceStart = performance.now();
  let sinceClock = 0;
  const typeUrlFields = new Map<string, Buffer>();
  const typeUrlField = (typeUrl: string): Buffer => {
    let field = typeUrlFields.get(typeUrl);
    if (!field) typeUrlFields.set(typeUrl, (field = stringField(1, typeUrl)));
    return field;
  };
  // Nodes holding the same resource version in the same state share one encoded entry (encode once, write many).
  const shared = new Map<EncodedResource, Map<number, Buffer>>();
  const entryOf = (s: ResourceStatus): Buffer => {
    const shareable = s.resource !== undefined && s.error === undefined;
    const stateKey = s.configStatus * 16 + s.clientStatus;
    if (shareable) {
      const hit = shared.get(s.resource)?.get(stateKey);
      if (hit) return hit;
    }
    const entry: Buffer[] = [typeUrlField(s.typeUrl), stringField(2, s.name)];
    if (s.version !== '') entry.push(stringField(3, s.version));
    if (!query.excludeResourceContents && s.resource) {
      const any = sources.redactor.redactAny(lengthDelimitedPayload(s.resource.sotwEntry), `${s.typeUrl}\n${s.version}`);
      if (any) entry.push(header(4, any.length), Buffer.from(any.buffer, any.byteOffset, any.length));
    }
    if (s.configStatus !== 0) entry.push(varintField(6, s.configStatus));
    if (s.clientStatus !== 0) entry.push(varintField(7, s.clientStatus));
    if (s.error !== undefined) {
      const details = stringField(3, s.error);
      entry.push(header(8, details.length), details);
    }
    let entryLength = 0;
    for (const p of entry) entryLength += p.length;
    const bytes = Buffer.concat([header(3, entryLength), ...entry]);
    if (shareable && s.resource) {
      let byState = shared.get(s.resource);
      if (!byState) shared.set(s.resource, (byState = new Map()));
      byState.set(stateKey, bytes);
    }
    return bytes;
  };
  // A snapshot: streams that open while we yield are not waited for; ones that close keep their last state.
  for (const stream of [...sources.streams]) {
    if (!stream.node) continue;
    // Taken whole now: entries are built across yields, while the stream keeps changing.
    const snapshot = stream.describe();
    const node = snapshot.node;
    if (!node || (query.nodeId !== undefined && node.id !== query.nodeId) || !query.matches(node)) continue;
    const parts: Buffer[] = [nodeField(node)];
    let length = parts[0]?.length ?? 0;
    for (const s of resourceStatuses(snapshot, sources.store)) {
      const entry = entryOf(s);
      parts.push(entry);
      length += entry.length;
      if (total + length > maxBytes) return { ok: false, reason: 'too-large', nodesSoFar: nodes };
      if (++sinceClock >= ENTRIES_PER_CLOCK_CHECK) {
        sinceClock = 0;
        if (performance.now() - sliceStart >= CSDS_SLICE_MS) {
          await yieldToLoop();
          if (cancelled()) return { ok: false, reason: 'cancelled' };
          sliceStart = performance.now();
        }
      }
    }
    const configHeader = header(1, length);
    total += configHeader.length + length;
    if (total > maxBytes) return { ok: false, reason: 'too-large', nodesSoFar: nodes };
    out.push(configHeader, ...parts);
    nodes++;
    if (performance.now() - sliceStart >= CSDS_SLICE_MS) {
      await yieldToLoop();
      if (cancelled()) return { ok: false, reason: 'cancelled' };
      sliceStart = performance.now();
    }
  }
  // One copy into the final buffer, itself in slices: at a raised cap a single Buffer.concat of
  // the whole answer would be the longest stall of the request.
  const bytes = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const part of out) {
    offset += part.copy(bytes, offset);
    if (++sinceClock >= ENTRIES_PER_CLOCK_CHECK) {
      sinceClock = 0;
      if (performance.now() - sliceStart >= CSDS_SLICE_MS) {
        await yieldToLoop();
        if (cancelled()) return { ok: false, reason: 'cancelled' };
        sliceStart = performance.now();
      }
    }
  }
  return { ok: true, bytes, nodes };
}
