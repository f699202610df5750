/**
 * @module test/helpers/inspect
 * Reads the few fields tests assert on out of decoded resource bodies
 * (protobufjs's JSON-like form: camelCase, Duration as {seconds, nanos}).
 */
import type { Received } from './xds-codec';

type Body = Record<string, unknown> | undefined;

function at(body: unknown, ...path: (string | number)[]): unknown {
  let v: unknown = body;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** A cluster body's connect_timeout in whole seconds. */
export function connectTimeoutSeconds(body: Body): number | undefined {
  const seconds = at(body, 'connectTimeout', 'seconds');
  return seconds === undefined ? undefined : Number(seconds);
}

/** connect_timeout (seconds) of cluster `name` in a response, if the response carries it. */
export function timeoutOf(r: Received, name: string): number | undefined {
  return connectTimeoutSeconds(r.resources.find((x) => x.name === name)?.body);
}

/** Whether a response carries cluster `name` with connect_timeout `seconds`. */
export function hasClusterTimeout(r: Received, name: string, seconds: number): boolean {
  return timeoutOf(r, name) === seconds;
}

/** The cluster the first route of a RouteConfiguration body points at. */
export function routeTarget(body: Body): unknown {
  return at(body, 'virtualHosts', 0, 'routes', 0, 'route', 'cluster');
}

/** Port of the first endpoint of a ClusterLoadAssignment body. */
export function endpointPort(body: Body): unknown {
  return at(body, 'endpoints', 0, 'lbEndpoints', 0, 'endpoint', 'address', 'socketAddress', 'portValue');
}
