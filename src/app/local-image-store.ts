/**
 * The local Docker engine's image store, as the place a checkpoint's image may be found
 * when none is given (`--image`): asked for that image alone (inspect, then save), and
 * only where DOCKER_HOST names this machine (unset, or a unix socket). An engine that is
 * not there, or lacks the image, leaves the triage without originals, saying why.
 */
import { isCoronerError } from '../errors.js';
import type { ImageStore } from '../sources/checkpoint/image-archive.js';
import { connectEngine } from '../sources/docker-live/engine.js';

export function localImageStore(): ImageStore | undefined {
  const host = process.env['DOCKER_HOST'] ?? '';
  if (host && !host.startsWith('unix://')) return undefined;
  const name = `the local Docker engine (${host || 'unix:///var/run/docker.sock'})`;
  return {
    name,
    find: async (wanted, signal) => {
      // The id first: a name may have been moved to another image since the checkpoint.
      const ref = wanted.id || wanted.ref || wanted.name;
      if (!ref) return { why: 'the checkpoint names no image' };
      try {
        const engine = await connectEngine();
        const image = await engine.inspectImage(ref).catch((e: unknown) => {
          if (isCoronerError(e)) throw e;
          return undefined; // not there (404), or a name the engine does not take
        });
        if (!image) return { why: `${name} does not hold ${ref}` };
        return {
          found: {
            name: `${name}, image ${image.Id}`,
            resolvedId: image.Id,
            open: (s) => engine.saveImage(image.Id, s ?? signal),
          },
        };
      } catch (e) {
        if (!isCoronerError(e)) throw e;
        return { why: `${name} could not be asked (${e.message})` };
      }
    },
  };
}
