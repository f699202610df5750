/**
 * @module test/protocol/protocol.case
 * The protocol contract suite shared by both variants (STYLE.md §13: one
 * contract suite, hono's `common.case` pattern). sotw.test.ts and
 * delta.test.ts call {@link protocolCases} with their variant; rules that
 * exist in only one variant live in sotw-only.test.ts and delta-only.test.ts.
 *
 * Every response of every test is also checked by the client's invariants
 * (test/helpers/invariants.ts: A3, A5, C19, C23, C25).
 */
import { describe } from 'node:test';
import type { Variant } from '../helpers/ads-client';
import { useHarness } from '../helpers/harness';
import { basicsCases } from './basics.case';
import { convergenceCases } from './convergence.case';
import { orderingCases } from './ordering.case';
import { robustnessCases } from './robustness.case';

/** Register the whole contract suite for one variant, on one shared server. */
export function protocolCases(variant: Variant): void {
  describe(`xDS protocol contract over ${variant === 'sotw' ? 'state of the world' : 'delta'}`, () => {
    const h = useHarness(variant);
    describe('A. stream basics', () => basicsCases(h));
    describe('D. ordering on ADS', () => orderingCases(h));
    describe('E28. Envoy-like convergence and fan-out', () => convergenceCases(h));
    describe('F. bad input and lifecycle', () => robustnessCases(h));
  });
}
