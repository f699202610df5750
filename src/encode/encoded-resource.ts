/**
 * @module encode/encoded-resource
 * A resource after validation and encoding: the unit the store holds and
 * every response is assembled from. Its bytes are built once per content
 * version (DESIGN.md principle 1) and never re-encoded per stream.
 */

/** A dependency of one resource on another, used for dangling-reference checks and ordering. */
export interface Reference {
  readonly typeUrl: string;
  readonly name: string;
  /** JSON path of the field that names it, for error messages. */
  readonly field: string;
  /** Where in the resource the reference sits, in words (`route "api" in virtual host "backend"`), for error messages. */
  readonly context?: string;
  /**
   * On an EDS cluster's ClusterLoadAssignment reference: its `eds_config` is
   * `ads` (or `self`), so the client asks for the endpoints on the ADS stream
   * that delivered the cluster, and routes may wait for them there
   * (stream/warming.ts). Absent when the endpoints come from another config
   * source (`api_config_source`, `path`): nothing on this stream will warm it.
   */
  readonly overAds?: true;
}

/** One validated, encoded, content-addressed resource. */
export interface EncodedResource {
  readonly typeUrl: string;
  readonly name: string;
  /** Hash of the deterministic encoding of the Any (content-addressed). */
  readonly version: string;
  /** Node group; '' = every node. */
  readonly group: string;
  /** Where it was defined, for errors and /config_dump. */
  readonly file: string;
  readonly location: string;
  /** Names it depends on (EDS cluster → CLA, listener → route config). */
  readonly refs: readonly Reference[];
  /** Other names that resolve to this resource (VHDS: `route_config/domain`). */
  readonly aliases: readonly string[];
  /** `DiscoveryResponse.resources` field bytes: tag, length, Any. */
  readonly sotwEntry: Buffer;
  /** `DeltaDiscoveryResponse.resources` field bytes: tag, length, Resource{version, Any, name}. */
  readonly deltaEntry: Buffer;
  /**
   * The resource as canonical proto3 JSON with `"@type"` (encode/canonical-json),
   * only when the batch asked for it (`withSource`): what `apply` writes to etcd.
   */
  readonly source?: string;
}
