// Text patterns for `utf8Pattern` conditions, matched in linear time by a Thompson NFA (no
// backtracking, so no ReDoS, and no dependence on a regex engine's version — docs/policies.md "Patterns").
// The pattern always has to match the WHOLE text; a leading ^ and trailing $ are accepted and mean
// nothing more. Syntax, a subset of ECMAScript regular expressions over Unicode code points:
//   literals; escapes \n \r \t \f \v \d \w \s \D \W \S and \ before any punctuation; .  (any but \n);
//   classes [a-z0-9_] and [^…]; groups ( … ) and (?: … ); alternation |; quantifiers * + ? {n} {n,} {n,m}.
// Refused at install time: back-references, look-around, lazy quantifiers, other escapes, and
// patterns that compile to more than MAX_STATES states (counted repetition is expanded).
export const MAX_PATTERN_LENGTH = 512;
const MAX_STATES = 20_000;
const MAX_GROUP_DEPTH = 32;

type Ranges = Array<[number, number]>;
type CharSet = { ranges: Ranges; negated: boolean };
type Node = { t: 'set'; set: CharSet } | { t: 'cat'; items: Node[] } | { t: 'alt'; items: Node[] } | { t: 'rep'; node: Node; min: number; max: number };

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}
const fail = (m: string): never => {
  throw new PatternError(m);
};

const cp = (s: string): number => s.codePointAt(0)!;
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const CONTROL: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b };
const inRanges = (r: Ranges, c: number): boolean => r.some(([lo, hi]) => c >= lo && c <= hi);

class Parser {
  i = 0;
  depth = 0;
  constructor(readonly s: string[]) {}
  peek(): string | undefined {
    return this.s[this.i];
  }
  take(): string {
    return this.s[this.i++] ?? fail('pattern ends unexpectedly');
  }

  alt(): Node {
    const items = [this.cat()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.cat());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }
  cat(): Node {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) items.push(this.repeat());
    return { t: 'cat', items };
  }
  repeat(): Node {
    const node = this.atom();
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') {
      min = 0;
      max = Infinity;
    } else if (c === '+') {
      min = 1;
      max = Infinity;
    } else if (c === '?') {
      min = 0;
      max = 1;
    } else if (c === '{') {
      const m = /^\{([0-9]{1,4})(,([0-9]{0,4}))?\}/.exec(this.s.slice(this.i, this.i + 12).join(''));
      if (!m) return fail(`bad counted repetition at ${this.i}`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (max < min) fail('counted repetition {n,m} with m < n');
      this.i += m[0].length - 1;
    } else return node;
    this.i++;
    const after = this.peek();
    if (after === '*' || after === '+' || after === '?' || after === '{') fail('stacked or lazy quantifiers are not supported');
    return { t: 'rep', node, min, max };
  }
  escape(inClass: boolean): CharSet {
    const e = this.take();
    if (CONTROL[e] !== undefined) return { ranges: [[CONTROL[e], CONTROL[e]]], negated: false };
    const shorthand: Record<string, Ranges> = { d: DIGIT, w: WORD, s: SPACE };
    if (shorthand[e.toLowerCase()] && /[dwsDWS]/.test(e)) {
      const negated = e !== e.toLowerCase();
      if (negated && inClass) fail(`\\${e} is not supported inside a class`);
      return { ranges: shorthand[e.toLowerCase()]!, negated };
    }
    if (/^[\p{L}\p{N}]$/u.test(e)) fail(`escape \\${e} is not supported (no back-references, word boundaries or Unicode classes)`);
    return { ranges: [[cp(e), cp(e)]], negated: false };
  }
  atom(): Node {
    const c = this.take();
    if (c === '(') {
      if (++this.depth > MAX_GROUP_DEPTH) fail('groups nested too deeply');
      if (this.peek() === '?') {
        this.i++;
        if (this.take() !== ':') fail('look-around and named groups are not supported');
      }
      const inner = this.alt();
      if (this.take() !== ')') fail('unbalanced parenthesis');
      this.depth--;
      return inner;
    }
    if (c === '[') return { t: 'set', set: this.klass() };
    if (c === '.') return { t: 'set', set: { ranges: [[0x0a, 0x0a]], negated: true } };
    if (c === '\\') return { t: 'set', set: this.escape(false) };
    if ('*+?{})]|'.includes(c)) return fail(`unexpected '${c}' at ${this.i - 1}`);
    if (c === '^' || c === '$') return fail(`'${c}' is only allowed at the very start / end`);
    return { t: 'set', set: { ranges: [[cp(c), cp(c)]], negated: false } };
  }
  klass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const ranges: Ranges = [];
    let first = true;
    for (;;) {
      const c = this.take();
      if (c === ']' && !first) break;
      first = false;
      let lo: CharSet;
      if (c === '\\') lo = this.escape(true);
      else if (c === '[') return fail('nested classes are not supported');
      else lo = { ranges: [[cp(c), cp(c)]], negated: false };
      if (this.peek() === '-' && this.s[this.i + 1] !== ']' && lo.ranges.length === 1 && lo.ranges[0]![0] === lo.ranges[0]![1]) {
        this.i++;
        const h = this.take();
        const hi = h === '\\' ? this.escape(true) : { ranges: [[cp(h), cp(h)]] as Ranges, negated: false };
        if (hi.ranges.length !== 1 || hi.ranges[0]![0] !== hi.ranges[0]![1]) fail('class range ends in a shorthand');
        const [a, b] = [lo.ranges[0]![0], hi.ranges[0]![0]];
        if (a > b) fail('class range out of order');
        ranges.push([a, b]);
      } else ranges.push(...lo.ranges);
    }
    return { ranges, negated };
  }
}

type State = { set: CharSet | null; out: number; out2: number; match: boolean };

/** A compiled pattern. test() runs in O(text length × states). */
export class Pattern {
  private constructor(
    private readonly states: State[],
    private readonly start: number,
  ) {}

  static compile(source: string): Pattern {
    if (source.length > MAX_PATTERN_LENGTH) fail(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
    let chars = Array.from(source);
    if (chars[0] === '^') chars = chars.slice(1);
    if (chars[chars.length - 1] === '$' && chars[chars.length - 2] !== '\\') chars = chars.slice(0, -1);
    const p = new Parser(chars);
    const ast = p.alt();
    if (p.i !== chars.length) fail(`unexpected '${chars[p.i]}' at ${p.i}`);
    const states: State[] = [];
    const add = (s: State): number => {
      if (states.length >= MAX_STATES) fail('pattern too large (counted repetitions expand it)');
      states.push(s);
      return states.length - 1;
    };
    // Build backwards: emit(node, next) returns the entry state of `node` continuing at `next`.
    const emit = (n: Node, next: number): number => {
      switch (n.t) {
        case 'set':
          return add({ set: n.set, out: next, out2: -1, match: false });
        case 'cat':
          return n.items.reduceRight((acc, x) => emit(x, acc), next);
        case 'alt': {
          const entries = n.items.map((x) => emit(x, next));
          return entries.reduceRight((acc, e) => add({ set: null, out: e, out2: acc, match: false }));
        }
        case 'rep': {
          let entry = next;
          if (n.max === Infinity) {
            const loop = add({ set: null, out: -1, out2: next, match: false });
            states[loop]!.out = emit(n.node, loop);
            entry = loop;
          } else {
            for (let k = n.min; k < n.max; k++) entry = add({ set: null, out: emit(n.node, entry), out2: next, match: false });
          }
          for (let k = 0; k < n.min; k++) entry = emit(n.node, entry);
          return entry;
        }
      }
    };
    const match = add({ set: null, out: -1, out2: -1, match: true });
    const start = emit(ast, match);
    return new Pattern(states, start);
  }

  test(text: string): boolean {
    let current: number[] = [];
    const mark = new Int32Array(this.states.length).fill(-1);
    let gen = 0;
    const addTo = (list: number[], s0: number): void => {
      const stack = [s0];
      while (stack.length > 0) {
        const s = stack.pop()!;
        if (s < 0 || mark[s] === gen) continue;
        mark[s] = gen;
        const st = this.states[s]!;
        if (st.set === null && !st.match) {
          stack.push(st.out2, st.out);
        } else list.push(s);
      }
    };
    addTo(current, this.start);
    for (const ch of text) {
      const c = cp(ch);
      gen++;
      const next: number[] = [];
      for (const s of current) {
        const st = this.states[s]!;
        if (st.set && inRanges(st.set.ranges, c) !== st.set.negated) addTo(next, st.out);
      }
      current = next;
      if (current.length === 0) return false;
    }
    return current.some((s) => this.states[s]!.match);
  }
}
