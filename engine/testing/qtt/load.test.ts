import { isLosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { caseKey, expandCases, parseLossless } from './load.js';
import type { QttFile } from './types.js';

describe('expandCases', () => {
  const file = parseLossless(
    JSON.stringify({
      tests: [
        { name: 'plain', statements: ['CREATE STREAM S (A INT) WITH (kafka_topic=\'t\', value_format=\'JSON\');'] },
        { name: 'formats', format: ['AVRO', 'JSON'], statements: ["CREATE STREAM S WITH (value_format='{FORMAT}');"], topics: [{ name: 't', valueFormat: '{FORMAT}' }] },
        { name: 'off', enabled: false, statements: [] },
        { name: 'configs', config: ['true', 'false'], properties: { 'ksql.x': '{CONFIG}' }, statements: [] },
        { name: 'plain', statements: [] },
      ],
    }),
  ) as QttFile;
  const cases = expandCases('/some/dir/x.json', file);

  it('expands per format and config, drops disabled cases, keeps names unique', () => {
    expect(cases.map(caseKey)).toEqual([
      'x.json :: plain :: -',
      'x.json :: formats :: AVRO',
      'x.json :: formats :: JSON',
      'x.json :: configs [config: true] :: -',
      'x.json :: configs [config: false] :: -',
      'x.json :: plain #2 :: -',
    ]);
  });

  it('substitutes {FORMAT} and {CONFIG} everywhere', () => {
    expect(cases[1]!.test.statements[0]).toBe("CREATE STREAM S WITH (value_format='AVRO');");
    expect(cases[2]!.test.topics![0]!.valueFormat).toBe('JSON');
    expect(cases[4]!.test.properties!['ksql.x']).toBe('false');
  });

  it('keeps numbers lossless', () => {
    const v = parseLossless('{"a": 9223372036854775807, "b": 1.10}') as Record<string, unknown>;
    expect(isLosslessNumber(v['a'])).toBe(true);
    expect(String(v['a'])).toBe('9223372036854775807');
    expect(String(v['b'])).toBe('1.10');
  });
});
