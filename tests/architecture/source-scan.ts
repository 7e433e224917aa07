// Reading TypeScript sources as text for the architecture tests (purity.test.ts: protocols/ and
// policies/ do no I/O; unit-tier.test.ts: the unit tier waits on no clock). Not a parser: enough
// for code formatted by prettier, where every import and re-export statement starts its line.

/** The source with comments and the contents of string and template literals blanked out. */
export function codeOnly(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, (m) =>
    m.startsWith('/') ? m.replace(/[^\n]/g, ' ') : m[0] + ' '.repeat(m.length - 2) + m[0],
  );
}

/**
 * Every module specifier the file imports or re-exports, with its line. Only statements that start
 * a line count, so an import written inside a string (a test's sample source) is not one.
 */
export function specifiers(src: string): Array<{ spec: string; line: number }> {
  const noComments = src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
  const out: Array<{ spec: string; line: number }> = [];
  // `import 'x'`, `import [type] names from 'x'`, `export names from 'x'`: the names part holds no
  // quote, parenthesis or `=`, so `export function f(a = 'x')` is not taken for an import.
  for (const m of noComments.matchAll(/^[ \t]*(?:import|export)\s+(?:[\w$*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    out.push({ spec: m[1]!, line: noComments.slice(0, m.index).split('\n').length });
  }
  return out;
}
