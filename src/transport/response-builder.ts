/**
 * @module transport/response-builder
 * Response bytes by concatenating stored entries (repeated fields
 * concatenate; field order is free), with the per-stream nonce appended last
 * so one body serves every stream that needs the same content.
 * Field numbers: docs/protocol.md §Field numbers.
 */
import { stringField } from '../xds/wire';
import type { DeltaPlan, SotwPlan } from '../stream';
import { FramedMessage, GRPC_PREFIX_BYTES } from './framed-message';

/** DiscoveryResponse without its nonce: version_info(1), resources(2)*, type_url(4). */
export function buildSotwBody(plan: SotwPlan): Buffer {
  const parts: Buffer[] = [stringField(1, plan.versionInfo)];
  for (const r of plan.resources) parts.push(r.sotwEntry);
  parts.push(stringField(4, plan.typeUrl));
  return Buffer.concat(parts);
}

/** DeltaDiscoveryResponse without its nonce: system_version_info(1), resources(2)*, type_url(4), removed_resources(6)*. */
export function buildDeltaBody(plan: DeltaPlan): Buffer {
  const parts: Buffer[] = [];
  if (plan.systemVersionInfo !== '') parts.push(stringField(1, plan.systemVersionInfo));
  for (const r of plan.resources) parts.push(r.deltaEntry);
  parts.push(stringField(4, plan.typeUrl));
  for (const name of plan.removed) parts.push(stringField(6, name));
  return Buffer.concat(parts);
}

/** Body + nonce(5), framed for the wire (framed-message.ts): the one copy made per stream. */
export function withNonce(body: Buffer, nonce: string): FramedMessage {
  const nonceField = stringField(5, nonce);
  const message = FramedMessage.allocate(body.length + nonceField.length);
  body.copy(message.bytes, GRPC_PREFIX_BYTES);
  nonceField.copy(message.bytes, GRPC_PREFIX_BYTES + body.length);
  return message;
}
