// "Contains" as the reference walkthrough means it: every field of the expected body is there with
// that value, at any depth, and more fields may follow.
import assert from 'node:assert/strict';

/** Where `actual` differs from the expected subset, as a list of JSON paths with the reason. */
export function subsetMismatches(actual: unknown, expected: unknown, at = '$'): string[] {
  if (expected === null || typeof expected !== 'object') {
    return Object.is(actual, expected) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${at}: expected ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => subsetMismatches(actual[i], e, `${at}[${i}]`));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
  return Object.entries(expected).flatMap(([key, value]) =>
    Object.hasOwn(actual, key) ? subsetMismatches((actual as Record<string, unknown>)[key], value, `${at}.${key}`) : [`${at}.${key}: missing`],
  );
}

export function assertContains(actual: unknown, expected: unknown, message?: string): void {
  const problems = subsetMismatches(actual, expected);
  if (problems.length > 0) {
    assert.fail(`${message ? `${message}: ` : ''}body does not contain the expected fields:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(actual)}`);
  }
}
