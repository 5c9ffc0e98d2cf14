import { describe, expect, it } from 'vitest';
import { pickContainer } from '../../src/sources/pick-container.js';
import type { ContainerSummary } from '../../src/sources/evidence-source.js';
import { AmbiguousContainer, ContainerNotFound, UsageError } from '../../src/errors.js';

const c = (id: string, name: string): ContainerSummary => ({
  id,
  names: [name],
  image: 'img',
  imageId: 'sha256:1',
  state: 'running',
  status: 'Up',
  createdAt: '',
  labels: {},
});
const all = [
  c('abc123' + '0'.repeat(58), 'web-1'),
  c('abd456' + '0'.repeat(58), 'db-1'),
  c('fff' + '0'.repeat(61), 'abc'),
];

describe('pickContainer', () => {
  it('finds by exact name, with or without the leading slash', () => {
    expect(pickContainer('web-1', all).name).toBe('web-1');
    expect(pickContainer('/db-1', all).name).toBe('db-1');
  });
  it('prefers an exact name over an id prefix, as docker does', () => {
    expect(pickContainer('abc', all).name).toBe('abc');
  });
  it('finds by a unique id prefix and by full id', () => {
    expect(pickContainer('abd', all).name).toBe('db-1');
    expect(pickContainer(all[0]!.id, all).name).toBe('web-1');
  });
  it('lists the candidates of an ambiguous prefix', () => {
    expect(() => pickContainer('ab', all)).toThrow(AmbiguousContainer);
    expect(() => pickContainer('ab', all)).toThrow(/abc123000000 \(web-1\), abd456000000 \(db-1\)/);
  });
  it('says what to do when nothing matches', () => {
    expect(() => pickContainer('nosuch', all)).toThrow(ContainerNotFound);
    expect(() => pickContainer('nosuch', all)).toThrow(/no container named or with id "nosuch"/);
    expect(() => pickContainer('  ', all)).toThrow(UsageError);
  });
  it('answers an unknown name on a dead box with the containers the copy holds, not an engine command', () => {
    const place = {
      name: 'the data root copy /mnt/copy',
      listCommand: 'coroner list --docker-root /mnt/copy',
    };
    const fail = () => pickContainer('nosuch', all, place);
    expect(fail).toThrow(ContainerNotFound);
    expect(fail).toThrow(
      /in the data root copy \/mnt\/copy; it holds web-1 \(abc123000000\), db-1/,
    );
    try {
      fail();
    } catch (e) {
      expect((e as ContainerNotFound).hint).toBe(
        'List them with `coroner list --docker-root /mnt/copy`.',
      );
      expect((e as ContainerNotFound).hint).not.toMatch(/docker ps/);
    }
  });
});
