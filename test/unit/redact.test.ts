import { describe, expect, it } from 'vitest';
import { REDACTED, redactEnv, redactInstruction } from '../../src/bundle/redact.js';

describe('redactInstruction', () => {
  it.each([
    [
      '/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2',
      `/bin/sh -c #(nop)  ENV DB_PASSWORD=${REDACTED}`,
    ],
    ['ENV A=1 B="two words" C=\'x y\'', `ENV A=${REDACTED} B=${REDACTED} C=${REDACTED}`],
    ['/bin/sh -c #(nop)  ENV TOKEN s3cret value', `/bin/sh -c #(nop)  ENV TOKEN ${REDACTED}`],
    [
      '|2 API_KEY=k1 MODE=prod /bin/sh -c make install',
      `|2 API_KEY=${REDACTED} MODE=${REDACTED} /bin/sh -c make install`,
    ],
    ['/bin/sh -c apk add curl', '/bin/sh -c apk add curl'],
  ])('masks the values of %j', (input, expected) => {
    expect(redactInstruction(input)).toBe(expected);
  });
});

describe('redactEnv', () => {
  it('masks Env lists and the ENV lines of history and build commands', () => {
    const history = [
      { CreatedBy: '/bin/sh -c #(nop)  ENV WORKER_QUEUE_TOKEN=tok-123', Size: 0 },
      { CreatedBy: '/bin/sh -c echo hi', Size: 3 },
    ];
    const image = {
      Config: { Env: ['PATH=/bin', 'TOKEN=tok-123'] },
      ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV WORKER_QUEUE_TOKEN=tok-123'] },
    };
    const text = JSON.stringify([redactEnv(history), redactEnv(image)]);
    expect(text).not.toContain('tok-123');
    expect(redactEnv(history)[1]).toEqual(history[1]);
  });
});
