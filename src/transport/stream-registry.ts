/**
 * @module transport/stream-registry
 * The open streams of one server and their counts: by variant (stats), by
 * variant and type (the streams gauge), and NACKs. The one owner of the set
 * the discovery services add to and CSDS, `/nodes` and drain read.
 */
import type { StreamEvents, Variant } from '../stream';
import type { AnyStream } from './ads-service';

/** What the registry reports streams to (the server's metrics). */
export interface StreamRegistryHooks {
  streamOpened(variant: Variant): void;
  nack(variant: Variant, typeUrl: string): void;
  response(variant: Variant, typeUrl: string, bytes: number): void;
  pushLatency(variant: Variant, ms: number): void;
}

/** Open streams and counters; its `events` are the streams' StreamEvents. */
export class StreamRegistry {
  /** Every open stream; the discovery services add and remove them. */
  readonly open = new Set<AnyStream>();
  readonly #byVariant: Record<Variant, number> = { sotw: 0, delta: 0 };
  #nacks = 0;
  readonly events: StreamEvents;

  constructor(hooks: StreamRegistryHooks) {
    this.events = {
      onStreamOpen: (variant) => {
        this.#byVariant[variant]++;
        hooks.streamOpened(variant);
      },
      onStreamClose: (variant) => void this.#byVariant[variant]--,
      onNack: (variant, typeUrl) => {
        this.#nacks++;
        hooks.nack(variant, typeUrl);
      },
      onResponse: (variant, typeUrl, bytes) => hooks.response(variant, typeUrl, bytes),
      onPushLatency: (variant, ms) => hooks.pushLatency(variant, ms),
    };
  }

  /** Streams open now, by variant. */
  byVariant(): { sotw: number; delta: number } {
    return { ...this.#byVariant };
  }

  /** NACKs received since start. */
  get nacks(): number {
    return this.#nacks;
  }

  /** Open streams per variant and subscribed type, as `[variant, typeUrl, count]`. */
  *byVariantAndType(): Generator<readonly [Variant, string, number]> {
    const counts: Record<Variant, Map<string, number>> = { sotw: new Map(), delta: new Map() };
    for (const s of this.open) {
      const perType = counts[s.variant];
      for (const t of s.typeStates().keys()) perType.set(t, (perType.get(t) ?? 0) + 1);
    }
    for (const variant of ['sotw', 'delta'] as const) for (const [t, n] of counts[variant]) yield [variant, t, n] as const;
  }
}
