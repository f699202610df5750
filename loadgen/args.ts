/**
 * @module loadgen/args
 * A small command-line reader shared by `loadgen` and `bench`: `--name value`,
 * `--name=value` and bare `--flag`. Unknown flags are errors, so a typo
 * never silently runs the default scenario.
 */

/** Thrown for bad command lines; the CLIs print `message` and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed flags: name → values in order (bare flags get 'true'). */
export class Args {
  readonly #values = new Map<string, string[]>();
  readonly #used = new Set<string>();

  constructor(argv: readonly string[], booleanFlags: readonly string[]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${arg}`);
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      let value: string;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (booleanFlags.includes(name)) value = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        value = next;
        i++;
      }
      const list = this.#values.get(name) ?? [];
      list.push(value);
      this.#values.set(name, list);
    }
  }

  /** The last value of `--name`, if given. */
  string(name: string): string | undefined {
    this.#used.add(name);
    const list = this.#values.get(name);
    return list?.[list.length - 1];
  }

  /** Every value of a repeatable flag. */
  all(name: string): string[] {
    this.#used.add(name);
    return this.#values.get(name) ?? [];
  }

  /** A number flag within [min, max]. */
  number(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
    return value;
  }

  /** A bare flag. */
  flag(name: string): boolean {
    const raw = this.string(name);
    return raw !== undefined && raw !== 'false';
  }

  /** One of `choices`. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${raw}`);
    return raw as T;
  }

  /** Throw for any flag nobody asked about. */
  rejectUnknown(): void {
    for (const name of this.#values.keys()) {
      if (!this.#used.has(name)) throw new UsageError(`unknown flag --${name}`);
    }
  }
}
