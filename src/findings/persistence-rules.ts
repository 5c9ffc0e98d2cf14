/**
 * The places where something written runs again later without the attacker: at boot, at
 * login, on a schedule, at every package install, when a device appears. A file added or
 * changed in one of them ranks high with the place named and its ATT&CK technique; what
 * the file says (a reverse shell in a crontab) is the content rules' to judge.
 */
import type { RuleHit } from '../report/finding.js';
import type { ChangeFacts, ChangeRule } from './change-rules.js';

interface Place {
  /** Matched against the whole path (a RegExp, or a test of its own). */
  path: { test(path: string): boolean };
  what: string;
  attack: string;
  severity?: RuleHit['severity'];
}

// Every systemd unit directory: system and user, vendor and local, runtime, generators.
const SYSTEMD_DIRS = String.raw`(?:/etc|/run|/usr/lib|/lib|/usr/local/lib|/usr/local/share|/usr/share)/systemd/(?:system|user)(?:-generators|-preset)?(?:/|$)|/\.config/systemd/user(?:/|$)|/\.local/share/systemd/user(?:/|$)|/etc/systemd/(?:system|user)\.conf(?:\.d)?(?:/|$)`;

const SYSTEMD_DIR = new RegExp(SYSTEMD_DIRS);

/** One rule a family of places: the first place that matches names the hit. */
function placeRule(places: readonly Place[]): ChangeRule {
  return (f: ChangeFacts) => {
    if (f.kind === 'D' || !f.current || f.current.type === 'directory') return undefined;
    const place = places.find((p) => p.path.test(f.path));
    if (!place) return undefined;
    return {
      severity: place.severity ?? 'high',
      reason: `${f.kind === 'A' ? 'added to' : 'changed in'} ${place.what}`,
      attack: place.attack,
    };
  };
}

export const systemdPersistence = placeRule([
  {
    // Tested in two linear steps: `(?:dirs).*\.timer$` rescans a long path from every folder.
    path: { test: (p: string) => p.endsWith('.timer') && SYSTEMD_DIR.test(p) },
    what: 'a systemd timer: runs its service on a schedule',
    attack: 'T1053.006',
  },
  {
    path: new RegExp(String.raw`/systemd/(?:system|user)-generators/`),
    what: 'a systemd generator: runs at every boot and daemon reload, before any unit',
    attack: 'T1543.002',
  },
  {
    path: SYSTEMD_DIR,
    what: 'a systemd unit directory: a service (or drop-in) started at boot or login',
    attack: 'T1543.002',
  },
]);

export const cronPersistence = placeRule([
  {
    path: /^\/var\/spool\/(?:cron\/atjobs|at|atjobs)\//,
    what: 'the at spool: a job queued to run once, later',
    attack: 'T1053.002',
  },
  {
    path: /^\/etc\/(?:crontab|anacrontab)$|^\/etc\/cron\.[^/]+\/|^\/etc\/crontabs\/|^\/var\/spool\/(?:cron|anacron)\/|^\/etc\/periodic\//,
    what: 'a crontab: runs on a schedule',
    attack: 'T1053.003',
  },
]);

export const startupPersistence = placeRule([
  {
    path: /^\/etc\/(?:rc\.local|rc\d?\.d\/|init\.d\/|inittab$|rc\.d\/)/,
    what: 'a boot script (rc.local, init.d, rcN.d, inittab): runs at every boot',
    attack: 'T1037.004',
  },
  {
    path: /^\/etc\/update-motd\.d\//,
    what: 'update-motd.d: run as root at every login to write the message of the day',
    attack: 'T1037',
  },
  {
    path: /^\/etc\/xdg\/autostart\/|\/\.config\/autostart\//,
    what: 'an XDG autostart folder: runs when a desktop session starts',
    attack: 'T1547.013',
  },
  {
    path: /^\/etc\/(?:profile$|profile\.d\/|bash\.bashrc$|bashrc$|zsh\/|zshrc$|zprofile$|zlogin$|environment$|csh\.(?:cshrc|login)$)|\/\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zlogin|kshrc|cshrc|tcshrc|ashrc|bash_logout)$/,
    what: 'a shell startup file: runs at every login or shell',
    attack: 'T1546.004',
  },
  {
    path: /^\/etc\/supervisor(?:d\.conf$|\/)/,
    what: "supervisord's configuration: programs it starts and restarts",
    attack: 'T1543.002',
  },
]);

export const packageHook = placeRule([
  {
    path: /^\/etc\/apt\/apt\.conf(?:\.d\/|$)/,
    what: "APT's configuration, where hooks run commands at every apt call",
    attack: 'T1546.016',
  },
  {
    path: /^\/etc\/dpkg\/dpkg\.cfg(?:\.d\/|$)|^\/var\/lib\/dpkg\/info\/[^/]+\.(?:preinst|postinst|prerm|postrm|config|triggers)$/,
    what: "dpkg's hooks or a package's maintainer scripts: run at every install or removal",
    attack: 'T1546.016',
  },
  {
    path: /^\/etc\/(?:yum|dnf)\/(?:pluginconf\.d|plugins|protected\.d)\/|^\/usr\/lib\/(?:yum-plugins|python[^/]*\/site-packages\/dnf-plugins)\//,
    what: 'a yum or dnf plugin: runs at every package operation',
    attack: 'T1546.016',
  },
]);

export const pamChange = placeRule([
  {
    path: /^\/(?:usr\/)?lib(?:64)?\/(?:[^/]+-linux-gnu\/)?security\/[^/]+\.so$/,
    what: 'the PAM module folder: code every login and sudo runs, seeing passwords',
    attack: 'T1556.003',
    severity: 'critical',
  },
  {
    path: /^\/etc\/pam\.(?:d\/|conf$)|^\/etc\/security\//,
    what: "PAM's configuration: decides how every login and sudo is authenticated",
    attack: 'T1556.003',
  },
]);

export const sudoersChange = placeRule([
  {
    path: /^\/etc\/sudoers(?:\.d\/|$)/,
    what: 'sudoers: who may run what as root',
    attack: 'T1548.003',
  },
]);

export const udevRule = placeRule([
  {
    path: /^\/(?:etc|lib|usr\/lib|run)\/udev\/rules\.d\//,
    what: 'a udev rules folder: runs commands when a device appears',
    attack: 'T1546.017',
  },
]);

export const kernelModule = placeRule([
  {
    path: /\.ko(?:\.(?:xz|zst|gz))?$|^\/(?:usr\/)?lib\/modules\//,
    what: 'a kernel module: loaded, it runs in the kernel of the host itself',
    attack: 'T1547.006',
    severity: 'critical',
  },
  {
    path: /^\/etc\/(?:modules$|modules-load\.d\/|modprobe\.d\/)/,
    what: 'the kernel module load list or options: modules loaded at boot',
    attack: 'T1547.006',
  },
]);

export const eventHook = placeRule([
  {
    path: /\/\.git\/hooks\/[^/]+$/,
    what: "a git repository's hooks: run at its next commit, checkout or merge",
    attack: 'T1546',
  },
  {
    path: /^\/etc\/NetworkManager\/dispatcher\.d\/|^\/etc\/network\/if-(?:up|down|pre-up|post-down)\.d\/|^\/etc\/ppp\/ip-(?:up|down)\.d\//,
    what: 'a network event hook: runs as root whenever an interface goes up or down',
    attack: 'T1546',
  },
  {
    path: /^\/(?:etc|usr\/share)\/polkit-1\//,
    what: 'polkit rules: who may do privileged actions without a password',
    attack: 'T1548',
  },
]);

/**
 * D-Bus service activation: dbus-daemon starts the file's `Exec=` program (as its `User=`,
 * root on the system bus) whenever any client asks for the service's name, so a file added
 * here is a program that runs on demand, as root, with no unit and no cron entry. The bus
 * configuration names more service folders and helpers. Issue 27 (PANIX's D-Bus technique).
 */
export const dbusActivation = placeRule([
  {
    path: /^\/(?:usr\/(?:local\/)?share|usr\/lib|lib|etc)\/dbus-1\/(?:system-services|services)\/[^/]+$|\/\.local\/share\/dbus-1\/services\/[^/]+$/,
    what: "a D-Bus service activation folder: dbus-daemon runs the file's Exec= program (as root on the system bus) whenever a client asks for its name",
    attack: 'T1543',
  },
  {
    path: /^\/(?:usr\/share|etc)\/dbus-1\/(?:system|session)(?:\.conf$|-local\.conf$|\.d\/)/,
    what: "D-Bus's bus configuration: it names service folders, the activation helper and who may own and call services",
    attack: 'T1543',
  },
]);

// GRUB's settings and drop-ins, the scripts update-grub runs, the generated menus, and the
// kernel command lines of systemd-boot and kernel-install.
const BOOT_LOADER =
  /^\/etc\/default\/grub(?:$|\.d\/)|^\/etc\/grub\.d\/|^\/boot\/(?:grub2?|efi\/EFI\/[^/]+)\/grub\.cfg$|^\/boot\/loader\/entries\/|^\/etc\/kernel\/cmdline$/;

/**
 * The boot loader's configuration: it sets the kernel's command line, and `init=` there makes
 * the kernel run that program as the first process of every boot, before any unit or
 * rc script (T1542, Pre-OS Boot). Issue 27 (PANIX's GRUB technique).
 */
export const bootLoader: ChangeRule = (f) => {
  if (f.kind === 'D' || !f.current || f.current.type === 'directory') return undefined;
  if (!BOOT_LOADER.test(f.path)) return undefined;
  const init = /(?<![\w-])(rd)?init=["']?([^\s"'\\]{1,200})/.exec(f.currentText ?? '');
  const where = `${f.kind === 'A' ? 'added to' : 'changed in'} the boot loader's configuration (GRUB or the kernel command line)`;
  return init
    ? {
        severity: 'critical',
        reason: `${where}: it sets ${init[1] ?? ''}init=${init[2]}, so the kernel runs that program as the first process at every boot`,
        attack: 'T1542',
      }
    : {
        severity: 'high',
        reason: `${where}: it decides what the kernel runs at boot`,
        attack: 'T1542',
      };
};

/** Git configuration that runs a program: a pager, fsmonitor, ssh command, editor or alias. */
export const gitConfigCommand: ChangeRule = (f) => {
  if (f.kind === 'D' || !f.currentText) return undefined;
  if (!/(?:\/\.gitconfig|\/\.git\/config|^\/etc\/gitconfig|\/\.config\/git\/config)$/.test(f.path))
    return undefined;
  const key = /^[ \t]*(pager|fsmonitor|sshCommand|editor|askPass|hooksPath)[ \t]*=/im.exec(
    f.currentText,
  );
  const alias = /^[ \t]*\w+[ \t]*=[ \t]*!/m.test(f.currentText)
    ? 'an alias running a shell command'
    : '';
  const what = key ? `core.${key[1]}` : alias;
  return what
    ? {
        severity: 'high',
        reason: `git configuration sets ${what}: git runs it for whoever uses the repository`,
        attack: 'T1546',
      }
    : undefined;
};
