import { describe, expect, it } from 'vitest';
import { REDACTED, redactDeclared, redactInstruction } from '../../src/bundle/redact.js';

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
    [
      'RUN |1 API_KEY=k1 /bin/sh -c make install # buildkit',
      `RUN |1 API_KEY=${REDACTED} /bin/sh -c make install # buildkit`,
    ],
    ['/bin/sh -c apk add curl', '/bin/sh -c apk add curl'],
  ])('masks the values of %j', (input, expected) => {
    expect(redactInstruction(input)).toBe(expected);
  });
});

describe('redactDeclared', () => {
  it('masks Env lists and the ENV lines of history and build commands where the source declared them', () => {
    const history = [
      { CreatedBy: '/bin/sh -c #(nop)  ENV WORKER_QUEUE_TOKEN=tok-123', Size: 0 },
      { CreatedBy: '/bin/sh -c echo hi', Size: 3 },
    ];
    const image = {
      Config: { Env: ['PATH=/bin', 'TOKEN=tok-123'] },
      ContainerConfig: { Cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV WORKER_QUEUE_TOKEN=tok-123'] },
    };
    const redactedHistory = redactDeclared(history, {
      envLists: [],
      instructions: ['*.CreatedBy'],
    });
    const redactedImage = redactDeclared(image, {
      envLists: ['Config.Env'],
      instructions: ['ContainerConfig.Cmd'],
    });
    expect(JSON.stringify([redactedHistory, redactedImage])).not.toContain('tok-123');
    expect(redactedHistory[1]).toEqual(history[1]);
  });

  it("masks a data root's image config, whose fields are lower-case", () => {
    const config = {
      config: { Env: ['TOKEN=tok-123'] },
      container_config: {
        Env: ['TOKEN=tok-123'],
        Cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV TOKEN=tok-123'],
      },
      history: [{ created_by: 'ENV TOKEN=tok-123', empty_layer: true }],
      rootfs: { diff_ids: [] },
    };
    const redacted = redactDeclared(config, {
      envLists: ['config.Env', 'container_config.Env'],
      instructions: ['history.*.created_by', 'container_config.Cmd'],
    });
    expect(JSON.stringify(redacted)).not.toContain('tok-123');
    expect(redacted.config.Env).toEqual([`TOKEN=${REDACTED}`]);
    expect(config.config.Env).toEqual(['TOKEN=tok-123']); // a copy: the case's own value is untouched
  });

  it('leaves what was not declared, and paths that are not there or of another type', () => {
    const doc = { Config: { Env: 'not a list' }, Labels: { Env: ['A=1'] } };
    expect(
      redactDeclared(doc, { envLists: ['Config.Env', 'Missing.Env', 'Config.Env.x'] }),
    ).toEqual(doc);
  });
});
