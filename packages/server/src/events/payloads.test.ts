/**
 * docs/api.md, "Live events", is the reference for people: it must name every event type of the map and
 * every field of its payload, so a new event (or field) cannot ship undocumented.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventPayloads } from './payloads.ts';

const apiDoc = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');

/** The rows of the event table: `| \`type\` | subject | payload |`, by type. */
function documentedEvents(): Map<string, string> {
  const section = apiDoc.split('### Live events')[1]?.split('\n### ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([a-z]+\.[a-z]+)` \|[^|]*\|(.*)\|$/gm))
    rows.set(match[1] ?? '', match[2] ?? '');
  return rows;
}

describe('the live events documentation', () => {
  it('should describe every event type of the map, and no other', () => {
    assert.deepEqual([...documentedEvents().keys()].sort(), Object.keys(eventPayloads).sort());
  });

  it("should name every field of each event's payload", () => {
    const rows = documentedEvents();
    for (const [type, schema] of Object.entries(eventPayloads)) {
      const row = rows.get(type) ?? '';
      for (const field of Object.keys(schema.properties))
        assert.match(row, new RegExp(`\\b${field}\\b`), `docs/api.md, "Live events": ${type} lacks ${field}`);
    }
  });
});
