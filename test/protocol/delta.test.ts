/**
 * @module test/protocol/delta.test
 * Runs the shared protocol contract suite over DeltaAggregatedResources
 * (and the per-type Delta* methods).
 */
import { protocolCases } from './protocol.case';

protocolCases('delta');
