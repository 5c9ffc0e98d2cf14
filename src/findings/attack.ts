/**
 * MITRE ATT&CK (Enterprise) techniques that coroner's findings name, so a responder can
 * file, search and compare them with their other tooling. https://attack.mitre.org/
 * A rule names the technique of what it saw; a rule without one here names none.
 */

export const TECHNIQUES: Readonly<Record<string, string>> = {
  T1037: 'Boot or Logon Initialization Scripts',
  'T1037.004': 'Boot or Logon Initialization Scripts: RC Scripts',
  'T1053.002': 'Scheduled Task/Job: At',
  'T1053.003': 'Scheduled Task/Job: Cron',
  'T1053.006': 'Scheduled Task/Job: Systemd Timers',
  'T1056.003': 'Input Capture: Web Portal Capture',
  T1059: 'Command and Scripting Interpreter',
  'T1059.001': 'Command and Scripting Interpreter: PowerShell',
  'T1059.004': 'Command and Scripting Interpreter: Unix Shell',
  'T1059.006': 'Command and Scripting Interpreter: Python',
  'T1059.007': 'Command and Scripting Interpreter: JavaScript',
  T1070: 'Indicator Removal',
  'T1070.002': 'Indicator Removal: Clear Linux or Mac System Logs',
  'T1070.003': 'Indicator Removal: Clear Command History',
  'T1070.004': 'Indicator Removal: File Deletion',
  'T1070.006': 'Indicator Removal: Timestomp',
  'T1027.009': 'Obfuscated Files or Information: Embedded Payloads',
  T1071: 'Application Layer Protocol',
  'T1098.004': 'Account Manipulation: SSH Authorized Keys',
  T1080: 'Taint Shared Content',
  T1105: 'Ingress Tool Transfer',
  'T1136.001': 'Create Account: Local Account',
  'T1110.001': 'Brute Force: Password Guessing',
  T1140: 'Deobfuscate/Decode Files or Information',
  'T1491.001': 'Defacement: Internal Defacement',
  'T1491.002': 'Defacement: External Defacement',
  T1496: 'Resource Hijacking',
  'T1505.003': 'Server Software Component: Web Shell',
  T1546: 'Event Triggered Execution',
  'T1546.004': 'Event Triggered Execution: Unix Shell Configuration Modification',
  'T1546.016': 'Event Triggered Execution: Installer Packages',
  'T1546.017': 'Event Triggered Execution: Udev Rules',
  T1542: 'Pre-OS Boot',
  T1543: 'Create or Modify System Process',
  'T1543.002': 'Create or Modify System Process: Systemd Service',
  'T1547.006': 'Boot or Logon Autostart Execution: Kernel Modules and Extensions',
  'T1547.013': 'Boot or Logon Autostart Execution: XDG Autostart Entries',
  T1548: 'Abuse Elevation Control Mechanism',
  'T1548.001': 'Abuse Elevation Control Mechanism: Setuid and Setgid',
  'T1548.003': 'Abuse Elevation Control Mechanism: Sudo and Sudo Caching',
  T1554: 'Compromise Host Software Binary',
  'T1556.003': 'Modify Authentication Process: Pluggable Authentication Modules',
  'T1564.001': 'Hide Artifacts: Hidden Files and Directories',
  'T1565.001': 'Data Manipulation: Stored Data Manipulation',
  'T1574.006': 'Hijack Execution Flow: Dynamic Linker Hijacking',
  T1571: 'Non-Standard Port',
  'T1608.004': 'Stage Capabilities: Drive-by Target',
  'T1608.006': 'Stage Capabilities: SEO Poisoning',
  T1609: 'Container Administration Command',
  T1611: 'Escape to Host',
  T1620: 'Reflective Code Loading',
  T1036: 'Masquerading',
  'T1036.004': 'Masquerading: Masquerade Task or Service',
  'T1036.008': 'Masquerading: Masquerade File Type',
  'T1021.004': 'Remote Services: SSH',
};

/** The technique a rule's findings carry when the rule does not name a more precise one. */
export const RULE_TECHNIQUE: Readonly<Record<string, string>> = {
  'web-shell': 'T1505.003',
  'web-content': 'T1491.001',
  'new-executable': 'T1105',
  'temp-dir': 'T1105',
  setuid: 'T1548.001',
  account: 'T1136.001',
  'ssh-access': 'T1098.004',
  'system-binary': 'T1554',
  'package-modified': 'T1554',
  'hidden-name': 'T1564.001',
  'shell-history': 'T1070.003',
  'log-tampering': 'T1070.002',
  'impossible-timestamp': 'T1070.006',
  'layer-whiteout-name': 'T1070',
  'ld-preload': 'T1574.006',
  'reverse-shell': 'T1059.004',
  'download-exec': 'T1105',
  'decoded-exec': 'T1140',
  'miner-config': 'T1496',
  'irc-bot': 'T1071',
  defacement: 'T1491.002',
  'hidden-browser-script': 'T1608.004',
  'file-infector': 'T1080',
  'process-deleted-executable': 'T1070.004',
  'process-executable-not-in-image': 'T1105',
  'process-executable-modified': 'T1554',
  'process-executable-in-temp': 'T1105',
  'process-from-exec': 'T1609',
  'process-kernel-thread-name': 'T1036.004',
  'process-loader-injection': 'T1574.006',
  'process-maps-deleted-file': 'T1070.004',
  'process-maps-written-file': 'T1574.006',
  'process-maps-memory-file': 'T1620',
  'process-undeclared-listener': 'T1571',
  'process-shell-on-network': 'T1059',
  'process-remote-shell-command': 'T1059',
  'engine-exec': 'T1609',
  'engine-copy-in': 'T1105',
  'engine-attach': 'T1609',
};

/** `T1505.003 Server Software Component: Web Shell`, or the id alone if unknown. */
export function techniqueLabel(id: string): string {
  const name = TECHNIQUES[id];
  return name ? `${id} ${name}` : id;
}

/** ` [T1505.003]` after a finding's reason, or nothing: one short form for every screen. */
export function attackTag(finding: { attack?: string }): string {
  return finding.attack ? ` [${finding.attack}]` : '';
}
