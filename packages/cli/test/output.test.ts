import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatJson, formatRecord, formatTable, formatValue } from '../src/output.ts';

interface Row {
  name: string;
  station: string | null;
  users: string[];
}

const columns = [
  { header: 'NAME', value: (row: Row) => row.name },
  { header: 'STATION', value: (row: Row) => row.station },
  { header: 'USERS', value: (row: Row) => row.users },
];

describe('formatting a table', () => {
  it('should pad every column to its widest cell, with no trailing spaces', () => {
    const text = formatTable<Row>(
      [
        { name: '2026-1-smith', station: '8-ID-I', users: ['alice', 'bob'] },
        { name: 'e2', station: null, users: [] },
      ],
      columns,
    );
    assert.equal(
      text,
      ['NAME          STATION  USERS', '2026-1-smith  8-ID-I   alice, bob', 'e2            -        -'].join(
        '\n',
      ),
    );
    for (const line of text.split('\n')) assert.equal(line, line.trimEnd());
  });

  it('should print only the header for no rows', () => {
    assert.equal(formatTable<Row>([], columns), 'NAME  STATION  USERS');
  });

  it('should count accented letters as one column and keep a cell on one line', () => {
    const text = formatTable(
      [
        { name: 'Žofie', note: 'two\nlines' },
        { name: 'Bo', note: 'x' },
      ],
      [
        { header: 'NAME', value: (row: { name: string; note: string }) => row.name },
        { header: 'NOTE', value: (row: { name: string; note: string }) => row.note },
      ],
    );
    assert.equal(text, ['NAME   NOTE', 'Žofie  two lines', 'Bo     x'].join('\n'));
  });
});

describe('formatting values and records', () => {
  it('should show missing values as -, booleans as yes/no, dates as they are', () => {
    assert.equal(formatValue(null), '-');
    assert.equal(formatValue(undefined), '-');
    assert.equal(formatValue(true), 'yes');
    assert.equal(formatValue(false), 'no');
    assert.equal(formatValue('2026-11-21T08:00:00.000Z'), '2026-11-21T08:00:00.000Z');
    assert.equal(formatValue({ from: 'planned' }), '{"from":"planned"}');
  });

  it('should line up the values of a record', () => {
    assert.equal(
      formatRecord({ name: 'XPCS', description: null, managers: ['alice'] }),
      ['name:        XPCS', 'description: -', 'managers:    alice'].join('\n'),
    );
  });

  it('should print JSON with two spaces and a final newline', () => {
    assert.equal(
      formatJson({ items: [1], nextCursor: null }),
      '{\n  "items": [\n    1\n  ],\n  "nextCursor": null\n}\n',
    );
  });
});
