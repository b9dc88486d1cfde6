// Runs the TypeScript compiler on the type-level tests and on a fixture of
// deliberate misuse: types.test.ts must compile clean (so each of its
// expect-error directives marks a real error), and the fixture must give
// exactly the errors its lines announce, so the check cannot pass by accident.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, expect, test } from 'vitest';

const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const typesTest = path.join(testDir, 'broker', 'types.test.ts');
const misuse = path.join(testDir, 'fixtures', 'types', 'broker-misuse.ts');

interface Found {
  file: string;
  line: number;
  code: string;
  text: string;
}

let found: Found[] = [];

beforeAll(() => {
  const configPath = path.join(testDir, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, testDir);
  // Declaration files of dependencies are not under test; skipping them saves most of the time.
  const program = ts.createProgram([typesTest, misuse], { ...parsed.options, skipLibCheck: true });
  found = ts.getPreEmitDiagnostics(program).map((d) => ({
    file: d.file ? path.relative(testDir, d.file.fileName) : '(global)',
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    code: `TS${d.code}`,
    text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}, 60_000);

test('the type-level tests compile with no error, so every expect-error directive is needed', () => {
  expect(found.filter((d) => d.file !== path.relative(testDir, misuse))).toEqual([]);
});

test('the misuse fixture fails exactly on the lines it marks, with the codes it names', () => {
  const expected = fs.readFileSync(misuse, 'utf8').split('\n').flatMap((line, i) => {
    const mark = /\/\/ expect (TS\d+)$/.exec(line);
    return mark ? [`${i + 1} ${mark[1]}`] : [];
  });
  expect(expected.length).toBeGreaterThan(5);
  const actual = found.filter((d) => d.file === path.relative(testDir, misuse)).map((d) => `${d.line} ${d.code}`);
  expect(actual).toEqual(expected);
});

test('the errors say what is wrong', () => {
  const text = (line: number): string => found.find((d) => d.line === line && d.file.endsWith('broker-misuse.ts'))?.text ?? '';
  const lines = fs.readFileSync(misuse, 'utf8').split('\n');
  const lineOf = (needle: string): number => lines.findIndex((l) => l.includes(needle)) + 1;
  expect(text(lineOf("getDataSocket('21')"))).toMatch(/Argument of type 'string' is not assignable to parameter of type 'number'/);
  expect(text(lineOf('getDataSockets(21)'))).toMatch(/Property 'getDataSockets' does not exist/);
  expect(text(lineOf("=> 'not an fd'"))).toMatch(/Type 'string' is not assignable to type 'Sendable \| Promise<Sendable>'/);
  expect(text(lineOf('export const missing'))).toMatch(/Property 'answerStat' is missing/);
});
