/**
 * A unix-socket proxy in front of the real engine: cutting it makes the engine
 * vanish for one client mid-operation, without stopping the dockerd the other
 * tests share.
 */
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EngineProxy {
  dockerHost: string;
  /** Drops every connection and stops answering. */
  cut(): Promise<void>;
}

export async function startEngineProxy(target = '/var/run/docker.sock'): Promise<EngineProxy> {
  const socketPath = path.join(
    await mkdtemp(path.join(os.tmpdir(), 'engine-proxy-')),
    'docker.sock',
  );
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    cut: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
