// A node:test reporter that writes one JSON line per finished leaf test (name, file, duration), so
// `npm test` can print the slowest ones at the end. The spec reporter still prints the results.
import type { TestEvent } from 'node:test/reporters';

export default async function* timingReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data as { name: string; file?: string; details: { duration_ms: number; type?: string } };
    // Suites report their whole duration too; only the tests themselves are ranked.
    if (data.details.type === 'suite') continue;
    yield `${JSON.stringify({ name: data.name, file: data.file ?? '', ms: Math.round(data.details.duration_ms) })}\n`;
  }
}
