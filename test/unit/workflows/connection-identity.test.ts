import { expect } from 'chai';
import {
  connectionWorkflowId,
  encodeIdPart,
  identityKey,
  legacyConnectionWorkflowId,
  workflowIdChanged,
} from '../../../workflows/connection-identity';

/** Parts chosen to break naive joins: separators, escapes, a literal "%3A", empty parts, unicode. */
const TRICKY_PARTS = ['', 'a', 'b', 'c', ':', '::', '%', '%%', '%3A', '%3a', '%25', '%253A', 'a:b', 'b:c', 'a%3Ab', ':%', '%:', 'ü', 'ü:😀', '😀'];

function allTriples(): Array<[string, string, string]> {
  const triples: Array<[string, string, string]> = [];
  for (const e of TRICKY_PARTS) for (const i of TRICKY_PARTS) for (const c of TRICKY_PARTS) triples.push([e, i, c]);
  return triples;
}

describe('connection identity (workflows/connection-identity.ts)', () => {
  it('keeps ordinary ids exactly as they were: connection:<env>:<integration>:<connection id>', () => {
    expect(connectionWorkflowId('dev', 'github', 'user-42')).to.equal('connection:dev:github:user-42');
    expect(connectionWorkflowId('prod', 'my.integration@v2 ~x', 'Üser 😀_1')).to.equal('connection:prod:my.integration@v2 ~x:Üser 😀_1');
  });

  it('gives the reported pair (a, b:c) and (a:b, c) two different ids', () => {
    const first = connectionWorkflowId('dev', 'a', 'b:c');
    const second = connectionWorkflowId('dev', 'a:b', 'c');
    expect(first).to.equal('connection:dev:a:b%3Ac');
    expect(second).to.equal('connection:dev:a%3Ab:c');
    expect(legacyConnectionWorkflowId('dev', 'a', 'b:c')).to.equal(legacyConnectionWorkflowId('dev', 'a:b', 'c'));
  });

  it('escapes % as %25 and : as %3A, so a literal "%3A" and ":" stay apart', () => {
    expect(encodeIdPart(':')).to.equal('%3A');
    expect(encodeIdPart('%')).to.equal('%25');
    expect(encodeIdPart('%3A')).to.equal('%253A');
    expect(connectionWorkflowId('dev', 'fake', 'x:y')).to.not.equal(connectionWorkflowId('dev', 'fake', 'x%3Ay'));
  });

  it(`gives distinct workflow ids and identity keys to all ${TRICKY_PARTS.length ** 3} triples of tricky parts`, () => {
    const triples = allTriples();
    const ids = new Set(triples.map(([e, i, c]) => connectionWorkflowId(e, i, c)));
    expect(ids.size).to.equal(triples.length);
    const keys = new Set(triples.map((parts) => identityKey(...parts)));
    expect(keys.size).to.equal(triples.length);
  });

  it('never lets an encoded part contain the separator', () => {
    for (const part of TRICKY_PARTS) expect(encodeIdPart(part)).to.not.include(':');
  });

  it('reports a changed id exactly for the triples whose encoded id differs from the legacy join', () => {
    for (const [e, i, c] of allTriples()) {
      expect(workflowIdChanged(e, i, c), JSON.stringify([e, i, c])).to.equal(connectionWorkflowId(e, i, c) !== legacyConnectionWorkflowId(e, i, c));
    }
  });
});
