/**
 * @module test/protocol/sotw.test
 * Runs the shared protocol contract suite over StreamAggregatedResources
 * (and the per-type Stream* methods).
 */
import { protocolCases } from './protocol.case';

protocolCases('sotw');
