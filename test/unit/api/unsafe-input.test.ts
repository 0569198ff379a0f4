import { expect } from 'chai';
import { isSafeString, unsafeInputProblems } from '../../../src/api/unsafe-input';

describe('unsafeInputProblems (src/api/unsafe-input.ts)', () => {
  it('accepts well-formed unicode: paired surrogates (emoji), CJK, combining marks, other control characters', () => {
    for (const text of ['😀', '𝄞 clef', '漢字', 'e\u0301', 'tab\tnew\nline', '\u007f', '']) expect(isSafeString(text), JSON.stringify(text)).to.equal(true);
    expect(unsafeInputProblems({ '😀': ['漢字', { 'e\u0301': 1 }], n: null, b: true, x: 1.5 })).to.deep.equal([]);
  });

  it('reports NUL and lone surrogates in values and keys at their paths, high and low halves alike', () => {
    expect(unsafeInputProblems({ a: ['ok', 'x\u0000'], ['k\udc00']: 1, b: { c: '\ud83d' } })).to.deep.equal([
      { code: 'invalid_string', message: 'the value contains a NUL character', path: ['a', 1] },
      { code: 'invalid_string', message: 'the key contains a lone UTF-16 surrogate', path: ['k\udc00'] },
      { code: 'invalid_string', message: 'the value contains a lone UTF-16 surrogate', path: ['b', 'c'] },
    ]);
  });

  it('reports the prototype keys as reserved, without walking into them', () => {
    const parsed = JSON.parse('{"__proto__":{"x":"\\u0000"},"a":{"constructor":1,"prototype":2}}') as unknown;
    expect(unsafeInputProblems(parsed)).to.deep.equal([
      { code: 'reserved_key', message: '"__proto__" is not accepted as a key', path: ['__proto__'] },
      { code: 'reserved_key', message: '"constructor" is not accepted as a key', path: ['a', 'constructor'] },
      { code: 'reserved_key', message: '"prototype" is not accepted as a key', path: ['a', 'prototype'] },
    ]);
  });

  it('walks 100,000 levels without overflowing the stack and reports the first level past the limit', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const problems = unsafeInputProblems(JSON.parse(text) as unknown);
    expect(problems).to.have.length(1);
    expect(problems[0]!.code).to.equal('too_deep');
    expect(problems[0]!.path).to.deep.equal(new Array(64).fill(0));
    expect(unsafeInputProblems(JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) as unknown)).to.deep.equal([]);
  });

  it('stops at 20 problems', () => {
    expect(unsafeInputProblems(Array.from({ length: 500 }, () => '\u0000'))).to.have.length(20);
  });
});
