import { demuxLogStream } from './log-demux.js';
import type { Engine } from './engine.js';

/** The last lines a container wrote (stdout then stderr), for saying why it stopped; none on failure. */
export async function lastLogLines(engine: Engine, id: string, count: number): Promise<string[]> {
  try {
    const { stdout, stderr, done } = demuxLogStream(await engine.logs(id, count));
    const collect = async (s: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    const [out, err] = await Promise.all([collect(stdout), collect(stderr), done]);
    return `${out}${err}`.split('\n').filter(Boolean).slice(-count);
  } catch {
    return [];
  }
}
