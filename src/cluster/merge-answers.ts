/**
 * @module cluster/merge-answers
 * Merges the JSON answers of every serving process to one admin request
 * into one answer, without knowing the endpoint's shape (the endpoints grow
 * on their own): lists are concatenated with each entry tagged by the pid
 * that holds it, counts are summed, anything else is taken from the first.
 */

/** One serving process's JSON answer. */
export interface ProcessAnswer {
  readonly pid: number;
  readonly body: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merge answers that are JSON objects: arrays under the same key are
 * concatenated (object entries get a leading `pid`), numbers are summed,
 * other values come from the first answer that has the key; `processes`
 * says how many answers went in. A non-object answer is returned as the
 * first one is, since there is nothing generic to merge.
 */
export function mergeProcessAnswers(answers: readonly ProcessAnswer[]): unknown {
  const first = answers[0];
  if (!first || !answers.every((a) => isPlainObject(a.body))) return first?.body;
  const merged: Record<string, unknown> = {};
  for (const { pid, body } of answers) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const held = merged[key];
      if (Array.isArray(value)) {
        const tagged = value.map((entry: unknown) => (isPlainObject(entry) ? { pid, ...entry } : entry));
        merged[key] = Array.isArray(held) ? [...(held as unknown[]), ...tagged] : tagged;
      } else if (typeof value === 'number' && (held === undefined || typeof held === 'number')) {
        merged[key] = (held ?? 0) + value;
      } else if (!(key in merged)) {
        merged[key] = value;
      }
    }
  }
  merged['processes'] = answers.length;
  return merged;
}
