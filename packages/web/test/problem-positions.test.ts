/**
 * The editor places each problem of `POST /workflows/validate` at the key its path names, in JSON and in
 * YAML alike, including stage keys with dots and paths that end at something missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { offsetOfLine, parseEditorText } from '../src/workflows/problem-positions.ts';

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

describe('problem positions in the workflow editor', () => {
  const json = `{
  "name": "x",
  "stages": {
    "01.START": {"command": "date", "retries": -1},
    "02": {
      "outputVariableRegexList": ["(?P<a>.*)", "(?P<b"]
    }
  }
}
`;

  it('finds a key of a stage whose name holds a dot, and underlines the key with its value', () => {
    const place = parseEditorText(json).locate('stages.01.START.retries');
    assert.equal(json.slice(place.from, place.to), '"retries": -1');
    assert.equal(lineOf(json, place.from), 4);
  });

  it('finds an item of a list', () => {
    const place = parseEditorText(json).locate('stages.02.outputVariableRegexList[1]');
    assert.equal(json.slice(place.from, place.to), '"(?P<b"');
  });

  it('points at the deepest part that exists when the path names something missing', () => {
    const place = parseEditorText(json).locate('stages.02.command');
    assert.equal(json.slice(place.from, place.to), '"02"');
    assert.equal(lineOf(json, parseEditorText(json).locate('owner').from), 1, 'missing at the top: line 1');
  });

  it('reads YAML the same way', () => {
    const yaml = 'name: y\nowner: me\nstages:\n  a:\n    command: ls\n    timeout: 0\n';
    const parsed = parseEditorText(yaml);
    assert.deepEqual(parsed.value, { name: 'y', owner: 'me', stages: { a: { command: 'ls', timeout: 0 } } });
    const place = parsed.locate('stages.a.timeout');
    assert.equal(yaml.slice(place.from, place.to), 'timeout: 0');
    assert.equal(lineOf(yaml, place.from), 6);
  });

  it('has no value for a text that does not parse, and finds a syntax error by its line and column', () => {
    assert.equal(parseEditorText('{"name": ').value, undefined);
    assert.equal(offsetOfLine('ab\ncd\nef', 2, 2), 4);
    assert.equal(offsetOfLine('ab', 9), 2);
  });
});
