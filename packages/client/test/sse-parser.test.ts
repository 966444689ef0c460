import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type SseMessage, SseParser } from '../src/sse-parser.ts';

function parse(chunks: string[]): { messages: SseMessage[]; retryMs: number | undefined } {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.feed(chunk);
  return { messages, retryMs: parser.retryMs };
}

const stream = [
  '\uFEFFretry: 2000\n',
  ': connected\n\n',
  'id: 7\nevent: daq.status\ndata: {"id":7}\n\n',
  ': heartbeat\r\n\r\n',
  'id: 8\r\nevent: file.cataloged\r\ndata:first line\r\ndata: second line\r\n\r\n',
  'data: no id of its own, no type\r\rid\n\n',
  'event: ignored without data\nid: 9\n\n',
  'data\nunknown: field\n\n',
  'data: not dispatched: the stream ended before its blank line\n',
].join('');

const expected: SseMessage[] = [
  { id: '7', event: 'daq.status', data: '{"id":7}' },
  { id: '8', event: 'file.cataloged', data: 'first line\nsecond line' },
  { id: '8', event: 'message', data: 'no id of its own, no type' },
  { id: '9', event: 'message', data: '' },
];

describe('the SSE parser', () => {
  it('should read ids, types, multi-line data, comments, retry and every line ending', () => {
    const { messages, retryMs } = parse([stream]);
    assert.deepEqual(messages, expected);
    assert.equal(retryMs, 2000);
  });

  it('should read the same messages however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, index) => stream.slice(points[index], end));
          assert.deepEqual(parse(chunks).messages, expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('should count a CRLF cut between its two characters as one line end', () => {
    assert.deepEqual(parse(['data: a\r', '\n\r', '\n']).messages, [
      { id: undefined, event: 'message', data: 'a' },
    ]);
  });
});
