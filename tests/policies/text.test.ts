// RFC 8785 canonical JSON and the linear-time pattern engine.
import { canonicalize, parseCanonicalJson } from '../../policies/jcs.ts';
import { Pattern, PatternError } from '../../policies/pattern.ts';
import { DecodeError } from '../../policies/errors.ts';

const enc = new TextEncoder();

describe('RFC 8785 JCS', () => {
  test('sorts keys by UTF-16 code units, serializes numbers like ECMAScript', () => {
    expect(canonicalize({ b: 2, a: [1, 'x', null, true], '\u20ac': 1, '\ud83d\ude00': 2, '\u00e9': 3 })).toBe(
      '{"a":[1,"x",null,true],"b":2,"é":3,"€":1,"😀":2}',
    );
    expect(canonicalize([1e21, 0.1, -0, 1e-7, 333333333.3333333])).toBe('[1e+21,0.1,0,1e-7,333333333.3333333]');
    expect(canonicalize('\u0007"\\\n')).toBe('"\\u0007\\"\\\\\\n"');
  });
  test.each([
    ['duplicate keys', '{"a":"1","a":"2"}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['whitespace', '{"a": 1}'],
    ['needless escape', '{"a":"\\u0061"}'],
    ['integer beyond 2^53', '{"a":18446744073709551617}'],
    ['exponent spelling', '{"a":1E3}'],
  ])('parseCanonicalJson refuses %s', (_n, text) => {
    expect(() => parseCanonicalJson(enc.encode(text))).toThrow(DecodeError);
  });
  test('refuses invalid UTF-8 and a BOM', () => {
    expect(() => parseCanonicalJson(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d))).toThrow(DecodeError);
    expect(() => parseCanonicalJson(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toThrow(DecodeError);
  });
});

describe('patterns (whole-text, linear time)', () => {
  test.each([
    ['^Sign in to example\\.com\\nNonce: [0-9a-f]{16}$', 'Sign in to example.com\nNonce: 0123456789abcdef', true],
    ['^Sign in to example\\.com\\nNonce: [0-9a-f]{16}$', 'Sign in to example.com\nNonce: 0123456789abcdef0', false],
    ['^Sign in to example\\.com\\nNonce: [0-9a-f]{16}$', 'Sign in to exampleXcom\nNonce: 0123456789abcdef', false],
    ['abc', 'xabcx', false],
    ['a|b|cd', 'cd', true],
    ['(ab)+c?', 'ababab', true],
    ['(?:ab){2,3}', 'ab', false],
    ['(?:ab){2,3}', 'ababab', true],
    ['(?:ab){2,}', 'abababababab', true],
    ['[^\\n]*', 'one line', true],
    ['[^\\n]*', 'two\nlines', false],
    ['\\d{3}-\\w+\\s?', '123-abc_9 ', true],
    ['.', '😀', true],
    ['[a-c-]+', 'a-b-c', true],
    ['\\$\\^', '$^', true],
  ])('%j on %j → %s', (p, text, expected) => expect(Pattern.compile(p).test(text)).toBe(expected));

  test('no catastrophic backtracking', () => {
    const p = Pattern.compile('(a+)+$');
    // CPU time, not the clock: `npm test` runs this tier at the lowest priority beside the other
    // tiers (jest.config.js), where the clock also counts the time other processes ran.
    const t0 = process.cpuUsage();
    expect(p.test(`${'a'.repeat(20_000)}b`)).toBe(false);
    const { user, system } = process.cpuUsage(t0);
    expect((user + system) / 1000).toBeLessThan(2000);
  });

  test.each(['(a', 'a)', '(?=a)', '(?<n>a)', '\\1', '\\b', 'a**', 'a+?', '[b-a]', 'a{3,2}', 'x^', '(a{1000}){1000}', 'a'.repeat(513)])('refuses %j', (p) => {
    expect(() => Pattern.compile(p)).toThrow(PatternError);
  });
});
