/**
 * Reverse and bind shells as each language writes them: a network connection wired to a
 * command interpreter, so that whoever is at the other end types the commands. The forms
 * come from the public generators and cheat sheets attackers copy from (revshells.com,
 * PayloadsAllTheThings): a one-liner in a crontab, or the same shell saved as a script.
 *
 * Every pattern is bounded: one line's window, or the pieces of one program looked for
 * within a window around an anchor (`together`), so a hostile file cannot make them slow.
 */
import {
  perlSocketRunsShell,
  pythonSocketRunsCommand,
  socketCodeRun,
  socketReachesProcess,
} from './socket-flow.js';

export interface RemoteShellForm {
  test: { test(text: string): boolean };
  what: string;
  attack: string;
}

/**
 * True when, around one of the first 50 matches of `anchor` (a global regex), every one of
 * `parts` matches within `window` characters on either side: the pieces of one program, in
 * whatever order its author wrote them.
 */
function together(text: string, anchor: RegExp, parts: readonly RegExp[], window: number) {
  let seen = 0;
  for (const m of text.matchAll(anchor)) {
    const around = text.slice(Math.max(0, m.index - window), m.index + m[0].length + window);
    if (parts.every((p) => p.test(around))) return true;
    if (++seen === 50) break;
  }
  return false;
}

const pieces = (anchor: RegExp, parts: readonly RegExp[], window: number) => ({
  test: (text: string) => together(text, anchor, parts, window),
});

// A one-liner that names no variable: the socket's descriptor wired into the command line
// (`$s = fsockopen(…); exec("/bin/sh -i <&3 >&3 2>&3")`). A command without such a redirection
// near a socket is only near it (a development server checking its port, then starting).
const COMMAND_WITH_DESCRIPTOR =
  /\b(?:proc_open|shell_exec|exec|system|passthru|popen)\s*\(\s*["'][^"'\n]{0,120}?[<>]&\s*\d/g;
const socketNearProcess = (text: string) =>
  [...text.matchAll(COMMAND_WITH_DESCRIPTOR)]
    .slice(0, 50)
    .some((m) => /\bfsockopen\s*\(/.test(text.slice(Math.max(0, m.index! - 320), m.index!)));

/**
 * The forms, the first that matches naming the finding. A shell is one of
 * `sh|bash|ash|dash|zsh`, or Windows' `cmd|powershell|pwsh`.
 */
export const REMOTE_SHELLS: readonly RemoteShellForm[] = [
  {
    // Not a port check, which writes nothing to the connection and reads nothing from it
    // (`echo > /dev/tcp/db/5432`, `cat < /dev/null > /dev/tcp/…`: a health check, a
    // provisioning script waiting for a service).
    test: /(?<!(?:\becho(?:\s+-[neE]{1,3})?(?:\s+(?:""|''))?|\bcat\s*<\s*\/dev\/null|(?:^|[\s(;&|]):|\btrue)\s*>\s*)\/dev\/(?:tcp|udp)\/[^\s/]{1,255}\/\d{1,5}/m,
    what: "a shell wired to a network connection (bash's /dev/tcp)",
    attack: 'T1059.004',
  },
  {
    // The first -e or -c flag, taken once (an atomic group, as in the Python rule below):
    // trying every flag in 120 characters against every place in the next 80 cost seconds.
    test: /\b(?:nc|ncat|netcat|nc\.traditional|busybox nc|powercat)\b(?=([^\n;|]{0,120}?\s-(?:[a-z]*e|c)))\1[^\n]{0,80}\b(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)\b/,
    what: 'netcat handing a shell to the network (nc -e / -c)',
    attack: 'T1059.004',
  },
  {
    // mkfifo given a pipe to make (`mkfifo /tmp/f`, `os.mkfifo(p)`, `mknod /tmp/f p`): a word
    // list that names it beside nc (a syntax highlighter's `…|mkfifo|mkfs|…|nc|…`) makes none.
    test: /(?:mkfifo(?:\s+|\s*\(\s*)[^\s|)]|\bmknod[ \t]{1,4}[^\s|;]{1,200}[ \t]{1,4}p\b)[^\n]{0,200}\b(?:nc|ncat|netcat|telnet|openssl s_client)\b/,
    what: 'a named pipe looping a shell through netcat',
    attack: 'T1059.004',
  },
  {
    // `telnet h 4444 | /bin/sh | telnet h 4445`, `$C </dev/null | sh | $C` with C a curl of
    // telnet://: a shell in the middle of a pipeline whose ends are the network. A regex's
    // alternatives (`…|bada|sh|…`) are no pipeline: the commands stand apart.
    test: pieces(
      /\|[ \t]{1,4}(?:\/usr)?(?:\/bin\/)?(?:ba|da|k|z|a)?sh\b[^|\n]{0,20}\|/g,
      [/\b(?:telnet|nc|ncat|netcat)[ \t]{1,4}[\w$.-]|\bs_client\b|telnet:\/\//],
      200,
    ),
    what: 'a shell piped between two ends of a network connection',
    attack: 'T1059.004',
  },
  {
    // `sh <&3 >&3 2>&3`: a shell reading and writing descriptor 3 or above, which something
    // connected beforehand (`fsockopen`, Lua's `socket.tcp()`, `exec 196<>…`).
    test: pieces(
      /\b(?:ba|da|k|z|a)?sh\b(?:[ \t]{1,4}-[il]{1,2})?[ \t]{0,4}0?<&[ \t]{0,4}(?:[3-9]|\d{2,3})\b/g,
      [/>&[ \t]{0,4}(?:[3-9]|\d{2,3})\b/, /sock|\btcp\b|\bconnect\b/i],
      400,
    ),
    what: "a shell reading and writing a connection's descriptor",
    attack: 'T1059.004',
  },
  {
    // rustcat: `rcat connect -s /bin/sh host port`.
    test: /\brcat\s+(?:connect|listen)\b[^\n]{0,80}\s-s\s/,
    what: 'rustcat handing a shell to the network',
    attack: 'T1059.004',
  },
  {
    test: /\bsocat\b[^\n]{0,200}\b(?:exec|system):[^\n]{0,40}\b(?:sh|bash)\b/i,
    what: 'socat handing a shell to the network',
    attack: 'T1059.004',
  },
  {
    test: /\bztcp\b[^\n]{0,200}>&\s*\$REPLY\b/,
    what: "zsh's ztcp connection handed to a shell",
    attack: 'T1059.004',
  },
  {
    // gawk's network special file, and a command run as a coprocess (`c |& getline`).
    test: pieces(/\/inet[46]?\/tcp\/\d{1,5}\//g, [/\|&/, /\bgetline\b/], 300),
    what: 'awk running commands a network connection sends',
    attack: 'T1059',
  },
  {
    // `(?=(…))\1` takes the first connect and never goes back to try the others (an
    // atomic group): 400 × 400 paths from every `socket` cost seconds. The shell may then
    // be 800 characters past it, as far as it could be past the last connect before. A
    // program run there must be a shell: a client that connects, then compresses, runs none.
    test: /\bsocket\b(?=([^\n]{0,400}?\b(?:connect|bind)\b))\1[\s\S]{0,800}\b(?:os\.dup2|pty\.spawn|subprocess\.(?:call|Popen|run)\(\s*\[?["'][\w/]{0,40}sh\b)/,
    what: 'Python connecting a socket to a shell',
    attack: 'T1059.006',
  },
  {
    // The same written as a script, over lines: a socket connected, then its descriptor
    // made the process's standard input and output (`os.dup2(s.fileno(), 0)`) or a shell
    // spawned on a terminal (`pty.spawn("/bin/sh")`). A client that connects and later
    // runs a program does neither.
    test: /\bsocket\b(?=([\s\S]{0,400}?\.(?:connect|bind)\())\1[\s\S]{0,800}\b(?:os\.dup2\(\w{1,40}\.fileno\(|pty\.spawn\(['"][\w/]{0,40}sh\b)/,
    what: 'Python connecting a socket to a shell',
    attack: 'T1059.006',
  },
  {
    test: { test: pythonSocketRunsCommand },
    what: 'Python running what a socket receives as a command',
    attack: 'T1059.006',
  },
  {
    // What a socket receives written to a shell's standard input (`p.stdin.write(data)`,
    // the threads of a Windows reverse shell in Python; 2,000 characters, for its one-line
    // form written as nested lambdas).
    test: pieces(
      /\.recv\s*\(/g,
      [
        /\.stdin\.write\s*\(/,
        /\bPopen\(\s*(?:\[\s*)?['"][\w\\/:.]{0,60}(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)(?:\.exe)?['"]/,
        /\.(?:connect|bind)\s*\(/,
      ],
      2000,
    ),
    what: 'Python feeding what a socket receives to a shell',
    attack: 'T1059.006',
  },
  {
    test: { test: perlSocketRunsShell },
    what: 'Perl connecting a socket to a shell',
    attack: 'T1059',
  },
  {
    // The variables holding the socket and the process followed through the file; the
    // one-liners that use neither wire the socket's descriptor into the command (above).
    test: {
      test: (text: string) => socketNearProcess(text) || socketReachesProcess(text),
    },
    what: 'PHP connecting a socket to a shell',
    attack: 'T1059',
  },
  {
    test: { test: socketCodeRun },
    what: 'PHP running what a socket receives as code',
    attack: 'T1059',
  },
  {
    // `TCPSocket.new(…)` then a program; or the socket given as the program's streams
    // (`spawn("sh", [:in, :out, :err] => TCPSocket.new(…))`); or a server's connection
    // reopened as the standard streams before `exec`.
    test: {
      test: (text: string) =>
        /\bTCPSocket\.(?:new|open)\b[\s\S]{0,300}\b(?:exec|spawn|IO\.popen|system)\b|\b(?:spawn|exec|IO\.popen)\b[^\n]{0,100}=>\s*TCPSocket\.(?:new|open)\b/.test(
          text,
        ) ||
        together(
          text,
          /\bTCPServer\.(?:new|open)\b/g,
          [/\breopen\b/, /\b(?:exec|spawn|system)\b/],
          400,
        ),
    },
    what: 'Ruby connecting a socket to a shell',
    attack: 'T1059',
  },
  {
    // A connection piped into a shell's standard input (`client.pipe(sh.stdin)`), the
    // connection made or accepted by `net` (`new net.Socket()`, `require("net").connect(…)`).
    // A socket feeding a compressor is not one: the child must be a shell.
    test: pieces(
      /\bchild_process\b/g,
      [
        /\bnet\b['")]{0,3}\.(?:Socket\b|connect\s*\(|createConnection\s*\(|createServer\s*\()/,
        /\bspawn\s*\(\s*['"][\w\\/:.]{0,60}(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)(?:\.exe)?['"]/,
        /\.pipe\s*\(\s*[\w.]{1,60}\.stdin\b/,
      ],
      600,
    ),
    what: 'Node.js piping a socket into a shell',
    attack: 'T1059.007',
  },
  {
    // Java, Groovy, and JavaScript on the JVM: a socket and a process, and the bytes of one
    // pumped into the other (`so.write(pi.read())`).
    test: pieces(
      /\bnew\s+(?:java\.net\.)?Socket\s*\(/g,
      [
        /\bProcessBuilder\b|\bgetRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/,
        /\.write\s*\(\s*\w{1,40}\.read\s*\(\s*\)\s*\)/,
      ],
      800,
    ),
    what: 'Java connecting a socket to a process',
    attack: 'T1059',
  },
  {
    // Go: a connection made a shell's standard streams (`cmd.Stdin = c`).
    test: pieces(
      /\bnet\.Dial(?:TCP|Timeout)?\s*\(/g,
      [
        /\bexec\.Command\s*\(\s*"[\w\\/:.]{0,60}(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)(?:\.exe)?"/,
        /\.Stdin\s*=\s*(?!os\.)\w/,
      ],
      400,
    ),
    what: 'Go connecting a socket to a shell',
    attack: 'T1059',
  },
  {
    // Dart and Crystal: a socket, and a shell started beside it.
    test: pieces(
      /\bSocket\.(?:connect\s*\(|tcp\b)/g,
      [
        /\bProcess\.(?:start|new|run)\s*\(\s*(?:'[\w\/]{0,40}(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)'|"[\w\/]{0,40}(?:sh|bash|ash|dash|zsh|cmd|powershell|pwsh)"|\w{1,40}\.(?:rstrip|strip|chomp)\b)/,
      ],
      400,
    ),
    what: 'a socket connected to a shell (Dart, Crystal)',
    attack: 'T1059',
  },
  {
    // Tcl: `set s [socket host port]`, then the lines it reads run (`exec $c`, `eval`).
    test: pieces(
      /\[socket[ \t]{1,4}[^\s\]]{1,255}[ \t]{1,4}\d{1,5}[ \t]{0,4}\]/g,
      [/\bgets\s+\$\w/, /\b(?:exec|eval)\b/],
      400,
    ),
    what: 'Tcl running what a socket sends',
    attack: 'T1059',
  },
  {
    // Lua: lines a socket receives run as commands.
    test: pieces(
      /\bsocket\.tcp\s*\(|:connect\s*\(/g,
      [/:receive\s*\(/, /\bio\.popen\s*\(|\bos\.execute\s*\(/],
      400,
    ),
    what: 'Lua running what a socket receives',
    attack: 'T1059',
  },
  {
    // PowerShell: what a TCP connection's stream carries, run by Invoke-Expression.
    test: pieces(
      /\bNet\.Sockets\.TCPClient\b/gi,
      [/\.GetStream\s*\(/i, /\b(?:iex|Invoke-Expression)\b/i],
      1500,
    ),
    what: 'PowerShell running what a TCP connection sends',
    attack: 'T1059.001',
  },
  {
    // C: a connected socket duplicated onto the standard descriptors, then a shell.
    test: pieces(
      /\bdup2\s*\(/g,
      [/\b(?:connect|accept)\s*\(/, /\bexec(?:ve|vp|l|lp|le)?\s*\(\s*"[^"\n]{0,40}sh"/],
      600,
    ),
    what: 'C connecting a socket to a shell',
    attack: 'T1059',
  },
  {
    // Windows, in C and C#: the socket made the new process's standard handles, or a TCP
    // client's stream written to a redirected command interpreter.
    test: {
      test: (text: string) =>
        together(
          text,
          /\bWSASocket[AW]?\s*\(/g,
          [/\bhStdInput\b/, /\bCreateProcess[AW]?\s*\(/],
          1500,
        ) ||
        together(
          text,
          /\bTcpClient\b/g,
          [/\.GetStream\s*\(/, /\bRedirectStandardInput\s*=\s*true\b/, /\.StandardInput\.Write/],
          1500,
        ),
    },
    what: 'a socket connected to a command interpreter (C, C#)',
    attack: 'T1059',
  },
];
