import { describe, expect, test } from 'vitest';
import { ReplyParser, featureReplyLines, formatReply, parseFeatures } from '../../examples/ftp/index.js';

describe('FEAT', () => {
  test('the server lines, and the client reading them', () => {
    const lines = featureReplyLines(['EPRT', 'EPSV', 'MDTM', 'MLST type*;size*;modify*;', 'REST STREAM', 'SIZE', 'UTF8']);
    const wire = formatReply(211, lines);
    expect(wire).toBe('211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;\r\n REST STREAM\r\n SIZE\r\n UTF8\r\n211 End\r\n');
    const [reply] = new ReplyParser().push(wire);
    expect(parseFeatures(reply!)).toEqual(new Map([
      ['EPRT', ''], ['EPSV', ''], ['MDTM', ''], ['MLST', 'type*;size*;modify*;'], ['REST', 'STREAM'], ['SIZE', ''], ['UTF8', ''],
    ]));
  });

  test('lines prefixed with the code, lower case, blank lines', () => {
    const [reply] = new ReplyParser().push('211-Extensions supported:\r\n211-mdtm\r\n\r\n SIZE \r\n211 END\r\n');
    expect(parseFeatures(reply!)).toEqual(new Map([['MDTM', ''], ['SIZE', '']]));
  });

  test('a server without FEAT announces nothing', () => {
    expect(parseFeatures({ code: 500, lines: ['Unknown command.'], text: 'Unknown command.' })).toEqual(new Map());
    expect(parseFeatures({ code: 211, lines: ['No features'], text: 'No features' })).toEqual(new Map());
    expect(featureReplyLines([])).toEqual(['Features:', 'End']);
  });
});
