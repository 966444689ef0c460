import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  describeImportField,
  ImportFileError,
  parseProposalsCsv,
  parseProposalsJson,
  readProposalFile,
  splitUsers,
} from '../src/import-file.ts';

describe('reading a CSV proposal export', () => {
  it('should read quoted cells with commas, doubled quotes and line breaks', () => {
    const csv = [
      'name,station,type,description,pi,users,start_date,end_date',
      '2026-1-smith,8-ID-I,XPCS,"Dynamics of gels, ""soft"" matter",alice,"bob;carol",2026-11-01,2026-11-05',
      '2026-1-jones,8-ID-I,,"two',
      'lines",,,,',
    ].join('\r\n');
    const { experiments, origins } = parseProposalsCsv(csv, 'cycle.csv');
    assert.deepEqual(experiments, [
      {
        name: '2026-1-smith',
        station: '8-ID-I',
        type: 'XPCS',
        description: 'Dynamics of gels, "soft" matter',
        pi: 'alice',
        users: ['bob', 'carol'],
        startDate: '2026-11-01',
        endDate: '2026-11-05',
      },
      { name: '2026-1-jones', station: '8-ID-I', description: 'two\nlines' },
    ]);
    assert.deepEqual(origins, ['line 2', 'line 3']);
  });

  it('should accept headers in any case and spelling, and users separated by ; , or spaces', () => {
    const csv = 'Name,Station,Users,Start Date,endDate\ne1,s1,alice  bob,2026-01-01,2026-01-02\n';
    const [experiment] = parseProposalsCsv(csv, 'x.csv').experiments;
    assert.deepEqual(experiment, {
      name: 'e1',
      station: 's1',
      users: ['alice', 'bob'],
      startDate: '2026-01-01',
      endDate: '2026-01-02',
    });
    assert.deepEqual(splitUsers('a;b, c\td'), ['a', 'b', 'c', 'd']);
  });

  it('should skip blank lines, a byte order mark and empty trailing cells from spreadsheets', () => {
    const csv = '\uFEFFname,station\n\ne1,s1,,\n';
    assert.deepEqual(parseProposalsCsv(csv, 'x.csv').experiments, [{ name: 'e1', station: 's1' }]);
  });

  const refuses = (csv: string, message: RegExp) =>
    assert.throws(
      () => parseProposalsCsv(csv, 'cycle.csv'),
      (error: unknown) => {
        assert.ok(error instanceof ImportFileError);
        assert.match(error.message, message);
        return true;
      },
    );

  it('should name the line and column of a row without a name or station', () => {
    refuses('name,station\ne1,s1\n,s1\n', /^cycle\.csv line 3: column "name" is empty/);
    refuses('name,Station\ne1,s1\ne2,\n', /^cycle\.csv line 3: column "Station" is empty/);
  });

  it('should refuse a row with more values than the header', () => {
    refuses('name,station\ne1,s1,oops\n', /^cycle\.csv line 2: 3 fields but the header has 2/);
  });

  it('should refuse unknown, unnamed, repeated and missing columns', () => {
    refuses('name,station,color\n', /line 1: unknown column "color"/);
    refuses('name,,station\n', /line 1: column 2 has no header/);
    refuses('name,station,start_date,startDate\n', /line 1: column "startDate" repeats "startDate"/);
    refuses('name,type\ne1,XPCS\n', /line 1: no "station" column/);
  });

  it('should refuse the same experiment twice, naming both lines', () => {
    refuses('name,station\ne1,s1\ne2,s1\ne1,s2\n', /line 4: experiment "e1" is already on line 2/);
  });

  it('should refuse an unclosed quote and an empty file', () => {
    refuses('name,station\ne1,"s1\n', /^cycle\.csv: Quote Not Closed/);
    refuses('', /the file is empty/);
    refuses('name,station\n', /no experiments in the file/);
  });
});

describe('reading a JSON proposal export', () => {
  it('should read an array or an {experiments} object, users as an array or a string', () => {
    const expected = [{ name: 'e1', station: 's1', users: ['alice', 'bob'] }];
    assert.deepEqual(
      parseProposalsJson('[{"name":"e1","station":"s1","users":["alice","bob"]}]', 'f').experiments,
      expected,
    );
    assert.deepEqual(
      parseProposalsJson('{"experiments":[{"name":"e1","station":"s1","users":"alice;bob","pi":null}]}', 'f')
        .experiments,
      expected,
    );
  });

  it('should name the item of a bad entry', () => {
    const refuses = (json: string, message: RegExp) =>
      assert.throws(() => parseProposalsJson(json, 'cycle.json'), { name: 'ImportFileError', message });
    refuses('{"name": "e1"}', /expected an array of experiments or \{"experiments": \[\.\.\.\]\}/);
    refuses('[{"name":"e1","station":"s1"}, 5]', /^cycle\.json item 2: expected an object/);
    refuses('[{"name":"e1","station":"s1","colour":"red"}]', /item 1: unknown field "colour"/);
    refuses('[{"name":"e1","station":7}]', /item 1: field "station" must be a string/);
    refuses(
      '[{"name":"e1","station":"s1","users":[1]}]',
      /item 1: field "users" must be an array of usernames/,
    );
    refuses('[{"station":"s1"}]', /item 1: field "name" is empty/);
    refuses('[{"name":', /^cycle\.json: not valid JSON/);
  });
});

describe('choosing the format of a proposal file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'dm-import-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('should go by the extension, then by the content', () => {
    const write = (name: string, text: string) => {
      writeFileSync(join(directory, name), text);
      return join(directory, name);
    };
    assert.equal(readProposalFile(write('a.csv', 'name,station\ne1,s1\n')).experiments[0]?.name, 'e1');
    assert.equal(
      readProposalFile(write('a.json', '[{"name":"e2","station":"s1"}]')).experiments[0]?.name,
      'e2',
    );
    assert.equal(
      readProposalFile(write('a.txt', ' [{"name":"e3","station":"s1"}]')).experiments[0]?.name,
      'e3',
    );
    assert.equal(readProposalFile(write('b.txt', 'name,station\ne4,s1\n')).experiments[0]?.name, 'e4');
    assert.equal(readProposalFile('-', () => 'name,station\ne5,s1\n').experiments[0]?.name, 'e5');
  });

  it('should say when the file cannot be read', () => {
    assert.throws(
      () => readProposalFile(join(directory, 'missing.csv')),
      /cannot read .*missing\.csv: no such file/,
    );
    assert.throws(() => readProposalFile(directory), /is a directory/);
  });
});

describe('pointing a server validation error at the file', () => {
  it('should turn experiments/N/field into the line of that experiment', () => {
    const origins = ['line 2', 'line 3'];
    assert.equal(describeImportField('experiments/1/pi', origins), 'line 3: pi');
    assert.equal(describeImportField('experiments/0', origins), 'line 2');
    assert.equal(describeImportField('experiments/7/pi', origins), 'experiments/7/pi');
    assert.equal(describeImportField('experiments', origins), 'experiments');
  });
});
