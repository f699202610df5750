/**
 * @module admin/config-dump
 * `/config_dump`: the resources themselves, as proto3 JSON with `@type`
 * (what Envoy's own admin shows), each with its type, name, version, node
 * group and source. Every field the Envoy API marks sensitive (a Secret's
 * private key, an inlined TLS key) is redacted by xds/redact.ts first; a
 * resource that cannot be inspected for secrets is withheld.
 *
 * Filters: `?type=` (any name `fanout-xds get` accepts, any case, or the
 * type URL), `?name=` (repeatable), `?node=ID` (the view of that node's
 * group: what it would receive). A query is a function of the store, the
 * streams and the parameters, so another process can answer it the same way.
 */
import * as protobuf from 'protobufjs';
import type { ResourceStore } from '../store';
import type { AnyStream } from '../transport';
import type { EncodedResource } from '../encode';
import { Redactor } from '../xds/redact';
import { ProtoJsonPrinter } from '../xds/proto-to-json';
import { TYPE_NAME_EXAMPLES, typeUrlFromName } from '../xds/type-names';
import { clientString } from '../observe/client-string';
import { unknownParameter } from './query';
import type { AdminAnswer } from './query';

/** Largest /config_dump body in bytes (compact JSON) before it is refused with a hint to filter. */
export const DEFAULT_CONFIG_DUMP_MAX_BYTES = 32 * 1024 * 1024;

const PARAMETERS = ['type', 'name', 'node'] as const;

/** What a dump reads. */
export interface ConfigDumpSource {
  readonly store: ResourceStore;
  readonly streams: ReadonlySet<AnyStream>;
}

/** The encoded Any inside a resource's `DiscoveryResponse.resources` entry (tag, length, Any). */
function anyBytesOf(r: EncodedResource): Uint8Array {
  const reader = protobuf.Reader.create(r.sotwEntry);
  reader.uint32();
  return reader.bytes();
}

/** Answers /config_dump queries; holds the redaction cache, so make one per server. */
export class ConfigDumper {
  readonly #redactor: Redactor;
  readonly #printer: ProtoJsonPrinter;
  readonly #maxBytes: number;

  constructor(root: protobuf.Root, maxBytes: number = DEFAULT_CONFIG_DUMP_MAX_BYTES) {
    this.#redactor = new Redactor(root);
    this.#printer = new ProtoJsonPrinter(root);
    this.#maxBytes = maxBytes;
  }

  /** The dump `params` ask for: 200 with the resources, 400 for a bad query, 413 past the size cap. */
  dump(source: ConfigDumpSource, params: URLSearchParams): AdminAnswer {
    const unknown = unknownParameter(params, PARAMETERS, '/config_dump');
    if (unknown) return unknown;
    const typeParam = params.get('type');
    let typeUrl: string | undefined;
    if (typeParam !== null) {
      typeUrl = typeUrlFromName(typeParam.trim())?.toLowerCase();
      if (typeUrl === undefined) return { status: 400, body: { error: `unknown resource type ${JSON.stringify(clientString(typeParam))}; use ${TYPE_NAME_EXAMPLES}, or a type URL` } };
    }
    const names = params.getAll('name');
    const wanted = names.length > 0 ? new Set(names) : undefined;
    const nodeId = params.get('node');
    const { store } = source;
    const head: Record<string, unknown> = { revision: store.revision };
    let candidates: Iterable<EncodedResource>;
    if (nodeId !== null) {
      const node = nodeGroupOf(source, nodeId);
      head['node'] = { id: clientString(nodeId), group: node.group || null, connected: node.connected };
      if (!node.connected) head['note'] = 'node not connected: its group was matched on its id alone (a group matching cluster or metadata cannot be told)';
      candidates = viewOf(store, node.group);
    } else {
      candidates = store.allResources();
    }
    const resources: unknown[] = [];
    let bytes = 0;
    for (const r of candidates) {
      if (typeUrl !== undefined && r.typeUrl.toLowerCase() !== typeUrl) continue;
      if (wanted && !wanted.has(r.name)) continue;
      const entry = { type: r.typeUrl, name: r.name, version: r.version, group: r.group || null, source: `${r.file}: ${r.location}`, resource: this.#resourceJson(r) };
      bytes += JSON.stringify(entry).length;
      if (bytes > this.#maxBytes) {
        return {
          status: 413,
          body: { error: `the dump is larger than ${this.#maxBytes} bytes (--admin-max-response-bytes); narrow it with ?type=TYPE, ?name=NAME or ?node=ID` },
        };
      }
      resources.push(entry);
    }
    return { status: 200, body: { ...head, resources } };
  }

  #resourceJson(r: EncodedResource): unknown {
    const redacted = this.#redactor.redactAny(anyBytesOf(r), `${r.typeUrl}\u0000${r.version}`);
    if (redacted === undefined) return { '@type': r.typeUrl, withheld: 'holds a typed config no loaded proto defines, so it cannot be checked for secrets' };
    try {
      return this.#printer.anyToJson(redacted);
    } catch (err) {
      return { '@type': r.typeUrl, withheld: `does not decode: ${(err as Error).message}` };
    }
  }
}

/** The group a node id gets: from its stream when connected, else by matching the id alone. */
function nodeGroupOf(source: ConfigDumpSource, id: string): { group: string; connected: boolean } {
  for (const s of source.streams) if (s.node?.id === id) return { group: s.group, connected: true };
  return { group: source.store.groupOf({ id, cluster: '', metadata: {} }), connected: false };
}

function* viewOf(store: ResourceStore, group: string): Iterable<EncodedResource> {
  for (const typeUrl of store.typeUrls().sort()) yield* store.view(group, typeUrl).values();
}
