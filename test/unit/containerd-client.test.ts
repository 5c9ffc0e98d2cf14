/**
 * The containerd client against a tiny in-process gRPC server playing a compromised or
 * broken daemon: replies with missing fields, oversize lists and specs, odd enums and
 * times, hostile error text. The proof against a real containerd is
 * test/engine/containerd-api.test.ts; this covers what a real one never sends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectContainerd,
  containerdAddressFrom,
  MAX_CONTAINERS,
  rfc3339,
} from '../../src/sources/containerd-api/containerd-client.js';
import { messageType, SERVICES } from '../../src/sources/containerd-api/containerd-protos.js';
import type { ContainerdApi } from '../../src/sources/containerd-api/containerd-types.js';

type Message = Record<string, unknown>;
type Handler = (call: any, callback?: any) => void;

function method(
  service: string,
  name: string,
  req: string,
  res: string,
  stream: 'unary' | 'server' | 'bidi',
) {
  const reqType = messageType(req);
  const resType = messageType(res);
  return {
    path: `/${service}/${name}`,
    requestStream: stream === 'bidi',
    responseStream: stream !== 'unary',
    requestSerialize: (v: Message) => Buffer.from(reqType.encode(reqType.fromObject(v)).finish()),
    requestDeserialize: (b: Buffer) =>
      reqType.toObject(reqType.decode(b), { longs: Number, enums: Number }),
    responseSerialize: (v: Message) => Buffer.from(resType.encode(resType.fromObject(v)).finish()),
    responseDeserialize: (b: Buffer) => resType.decode(b),
  };
}

const C = 'containerd.services.containers.v1';
const T = 'containerd.services.tasks.v1';
const CT = 'containerd.services.content.v1';
const E = 'google.protobuf.Empty';
const DEFINITIONS = {
  Version: method(
    SERVICES.version,
    'Version',
    E,
    'containerd.services.version.v1.VersionResponse',
    'unary',
  ),
  ListStream: method(
    SERVICES.containers,
    'ListStream',
    `${C}.ListContainersRequest`,
    `${C}.ListContainerMessage`,
    'server',
  ),
  List: method(
    SERVICES.containers,
    'List',
    `${C}.ListContainersRequest`,
    `${C}.ListContainersResponse`,
    'unary',
  ),
  Get: method(
    SERVICES.containers,
    'Get',
    `${C}.GetContainerRequest`,
    `${C}.GetContainerResponse`,
    'unary',
  ),
  TaskGet: method(SERVICES.tasks, 'Get', `${T}.GetRequest`, `${T}.GetResponse`, 'unary'),
  Write: method(
    SERVICES.content,
    'Write',
    `${CT}.WriteContentRequest`,
    `${CT}.WriteContentResponse`,
    'bidi',
  ),
};

describe('the containerd client facing a hostile daemon', () => {
  let dir: string;
  let server: grpc.Server;
  let api: ContainerdApi | undefined;
  let seen: { method: string; namespace: unknown; lease: unknown }[];

  async function serve(
    handlers: Partial<Record<keyof typeof DEFINITIONS, Handler>>,
  ): Promise<ContainerdApi> {
    server = new grpc.Server();
    for (const [name, handler] of Object.entries({
      Version: ((_call, cb) => cb(null, { version: '1.7.24', revision: 'x' })) as Handler,
      ...handlers,
    })) {
      const def = DEFINITIONS[name as keyof typeof DEFINITIONS];
      const wrapped: Handler = (call, cb) => {
        seen.push({
          method: name,
          namespace: call.metadata.get('containerd-namespace')[0],
          lease: call.metadata.get('containerd-lease')[0],
        });
        handler(call, cb);
      };
      server.register(
        def.path,
        wrapped as any,
        def.responseSerialize,
        def.requestDeserialize,
        def.requestStream
          ? def.responseStream
            ? 'bidi'
            : 'clientStream'
          : def.responseStream
            ? 'serverStream'
            : 'unary',
      );
    }
    const socket = path.join(dir, 'c.sock');
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    api = await connectContainerd({ address: socket, namespace: 'k8s.io' });
    return api;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ctdu-'));
    seen = [];
  });
  afterEach(async () => {
    api?.close();
    api = undefined;
    server?.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the address as ctr does: flag, CONTAINERD_ADDRESS, then the default; namespace k8s.io unless set', () => {
    expect(containerdAddressFrom({})).toEqual({
      address: '/run/containerd/containerd.sock',
      namespace: 'k8s.io',
    });
    expect(
      containerdAddressFrom({ CONTAINERD_ADDRESS: '/a.sock', CONTAINERD_NAMESPACE: 'moby' }),
    ).toEqual({
      address: '/a.sock',
      namespace: 'moby',
    });
    expect(containerdAddressFrom({ CONTAINERD_ADDRESS: '/a.sock' }, '/flag.sock').address).toBe(
      '/flag.sock',
    );
  });

  it('says a missing socket and a file that is not one are unreachable, with the hint', async () => {
    await expect(
      connectContainerd({ address: path.join(dir, 'none.sock'), namespace: 'k8s.io' }),
    ).rejects.toMatchObject({
      name: 'ContainerdUnreachable',
      hint: expect.stringContaining('CONTAINERD_ADDRESS'),
    });
    await writeFile(path.join(dir, 'plain'), '');
    await expect(
      connectContainerd({ address: path.join(dir, 'plain'), namespace: 'k8s.io' }),
    ).rejects.toMatchObject({
      name: 'ContainerdUnreachable',
    });
  });

  it('says a socket that accepts but never answers is unreachable', async () => {
    const silent = net.createServer(() => undefined);
    const socket = path.join(dir, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    try {
      await expect(
        connectContainerd({ address: `unix://${socket}`, namespace: 'k8s.io' }, { timeoutMs: 500 }),
      ).rejects.toMatchObject({
        name: 'ContainerdUnreachable',
        message: expect.stringContaining('does not answer'),
      });
    } finally {
      silent.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'says permission denied when the socket refuses this user',
    async () => {
      const c = await serve({});
      c.close();
      const socket = path.join(dir, 'c.sock');
      await chmod(socket, 0o660);
      await chmod(dir, 0o755);
      // As a user who is neither the socket's owner nor in its group (the effective user
      // and groups are what connect(2) checks).
      const groups = process.getgroups!();
      process.setgroups!([65534]);
      process.setegid!(65534);
      process.seteuid!(65534);
      try {
        await expect(
          connectContainerd({ address: socket, namespace: 'k8s.io' }),
        ).rejects.toMatchObject({
          name: 'ContainerdPermissionDenied',
          message: expect.stringContaining("containerd's socket"),
          hint: expect.stringContaining('run as root'),
        });
      } finally {
        process.seteuid!(0);
        process.setegid!(0);
        process.setgroups!(groups);
      }
    },
  );

  it('says a socket file nobody listens on means containerd is not running', async () => {
    const socket = path.join(dir, 'stale.sock');
    // A listener killed without cleaning up leaves its socket file: made by a child killed at once.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.once('exit', resolve));
    await expect(connectContainerd({ address: socket, namespace: 'k8s.io' })).rejects.toMatchObject(
      {
        name: 'ContainerdUnreachable',
        message: expect.stringContaining('containerd is not running'),
      },
    );
  });

  it('sends the namespace with every call', async () => {
    const c = await serve({ TaskGet: (_call, cb) => cb(null, {}) });
    await c.task('x');
    expect(seen.map((s) => s.namespace)).toEqual(['k8s.io', 'k8s.io']);
  });

  it('turns a container with every field missing into empty values', async () => {
    const c = await serve({
      ListStream: (call) => {
        call.write({ container: {} });
        call.write({}); // no container at all: skipped
        call.end();
      },
      Get: (_call, cb) => cb(null, {}),
      TaskGet: (_call, cb) => cb(null, { process: { status: 99, pid: 7 } }),
    });
    expect(await c.containers()).toEqual([
      {
        id: '',
        labels: {},
        image: '',
        runtime: { name: '' },
        snapshotter: '',
        snapshotKey: '',
        extensions: {},
      },
    ]);
    expect(await c.container('x')).toBeUndefined();
    expect(await c.task('x')).toEqual({ containerId: 'x', pid: 7, status: 'unknown' });
  });

  it('keeps no spec above 4 MiB, saying how large it was', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x7b);
    const c = await serve({
      Get: (_call, cb) => cb(null, { container: { id: 'a', spec: { type_url: 't', value: big } } }),
    });
    const record = await c.container('a');
    expect(record?.spec).toBeUndefined();
    expect(record?.specRefusedBytes).toBe(big.length);
  });

  it('refuses a container list longer than 100,000 entries', async () => {
    const c = await serve({
      ListStream: (call) => {
        for (let i = 0; i <= MAX_CONTAINERS; i++) call.write({ container: { id: `c${i}` } });
        call.end();
      },
    });
    await expect(c.containers()).rejects.toMatchObject({ name: 'ContainerdReplyRefused' });
  }, 60_000);

  it('falls back to List where ListStream is not implemented', async () => {
    const c = await serve({
      List: (_call, cb) => cb(null, { containers: [{ id: 'one', labels: { a: 'b' } }] }),
    });
    expect((await c.containers()).map((r) => [r.id, r.labels])).toEqual([['one', { a: 'b' }]]);
  });

  it('maps NOT_FOUND to undefined and any other refusal to an expected failure with escaped text', async () => {
    const c = await serve({
      Get: (_call, cb) => cb({ code: grpc.status.NOT_FOUND, details: 'gone' }),
      TaskGet: (_call, cb) => cb({ code: grpc.status.INTERNAL, details: 'boom \u001b[31mred' }),
    });
    expect(await c.container('x')).toBeUndefined();
    const failure = c.task('x');
    await expect(failure).rejects.toMatchObject({
      name: 'ContainerdRequestFailed',
      code: grpc.status.INTERNAL,
    });
    await expect(failure).rejects.toThrow(/boom \\e\[31mred/);
  });

  it('streams a blob in pieces of at most 1 MiB under the lease, then commits with the digest', async () => {
    const blob = randomBytes(2 * 1024 * 1024 + 5);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const requests: Message[] = [];
    const c = await serve({
      Write: (call) => {
        call.on('data', (req: Message) => {
          requests.push({ ...req, data: (req['data'] as Buffer | undefined)?.length ?? 0 });
          call.write({ action: req['action'], offset: req['offset'] ?? 0 });
          if (req['action'] === 2) call.end();
        });
      },
    });
    await c.writeContent(
      blob,
      { mediaType: 'x', digest, size: blob.length },
      { lease: 'L1', ref: 'r' },
    );
    expect(seen.find((s) => s.method === 'Write')?.lease).toBe('L1');
    expect(requests.map((r) => [r['action'] ?? 0, r['offset'] ?? 0, r['data']])).toEqual([
      [0, 0, 0],
      [1, 0, 1024 * 1024],
      [1, 1024 * 1024, 1024 * 1024],
      [1, 2 * 1024 * 1024, 5],
      [2, blob.length, 0],
    ]);
    expect(requests.at(-1)).toMatchObject({ expected: digest, total: blob.length });
  });

  it('commits nothing when the source fails or is not the size expected', async () => {
    const actions: unknown[] = [];
    const c = await serve({
      Write: (call) => {
        call.on('data', (req: Message) => {
          actions.push(req['action'] ?? 0);
          call.write({});
        });
        call.on('end', () => call.end());
      },
    });
    const digest = `sha256:${'b'.repeat(64)}`;
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk read failed'));
      },
    });
    const opts = { lease: 'L', ref: 'r' };
    await expect(
      c.writeContent(failing, { mediaType: 'x', digest, size: 10 }, opts),
    ).rejects.toThrow('disk read failed');
    await expect(
      c.writeContent(Buffer.from('short'), { mediaType: 'x', digest, size: 10 }, opts),
    ).rejects.toThrow(/is 5 bytes, not the 10 expected/);
    expect(actions).not.toContain(2);
  });

  it('takes ALREADY_EXISTS as a blob already written', async () => {
    const c = await serve({
      Write: (call) =>
        call.on('data', () =>
          call.emit('error', { code: grpc.status.ALREADY_EXISTS, details: 'exists' }),
        ),
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    await expect(
      c.writeContent(
        Buffer.from('x'),
        { mediaType: 'x', digest, size: 1 },
        { lease: 'L', ref: 'r' },
      ),
    ).resolves.toBeUndefined();
  });
});

describe('protobuf timestamps', () => {
  it('are RFC 3339 UTC with nanoseconds kept, and undefined when unset or absurd', () => {
    expect(rfc3339({ seconds: 1_700_000_000, nanos: 5 })).toBe('2023-11-14T22:13:20.000000005Z');
    expect(rfc3339({ seconds: 1_700_000_000, nanos: 0 })).toBe('2023-11-14T22:13:20Z');
    expect(rfc3339({})).toBeUndefined();
    expect(rfc3339(null)).toBeUndefined();
    expect(rfc3339({ seconds: 1e18, nanos: 0 })).toBeUndefined();
    expect(rfc3339({ seconds: 1, nanos: -1 })).toBeUndefined();
  });
});
