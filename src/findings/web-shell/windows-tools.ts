/**
 * Server pages that work the Windows host for the visitor (issue 27: the tools found beside
 * the shells, written as variants of the held-out classes): a Windows account created through
 * ADSI, a walk over every hive of the registry, or a registry key, a service, a process or a
 * path's access rules the visitor names. Applications read their own settings; they do not
 * survey or manage the host from a page.
 */
import { callGivenInput } from './server-pages.js';

// ADSI's WinNT provider, a user added to it (.NET's Children.Add, ASP's Create) and given
// a password: a local account, the same whether its name is fixed or sent.
const WINNT_PROVIDER = /\bWinNT:\/\//i;
const ADDS_USER =
  /\.\s*Children\s*\.\s*Add\s*\([^)\n]{0,120}["']user["']|\.\s*Create\s*\(\s*["']user["']/i;
const SETS_PASSWORD = /["']SetPassword["']|\.\s*SetPassword\b/i;

// The host's registry keys, services, processes and access rules, each opened by a name or
// a path given as the call's argument.
const REGISTRY_KEY =
  /\bRegistry\s*\.\s*(?:LocalMachine|CurrentUser|Users|ClassesRoot|CurrentConfig)\s*\.\s*(?:OpenSubKey|CreateSubKey|DeleteSubKey(?:Tree)?)\s*\(|\bRegistryKey\s*\.\s*OpenBaseKey\s*\(/g;
// A registry browser picks the hive by the name the visitor gives (`if (path.StartsWith(
// "HKEY_USERS")) rk = Registry.Users;`) and opens the rest of the path below it.
const HIVE = /\bRegistry\s*\.\s*(LocalMachine|CurrentUser|Users|ClassesRoot|CurrentConfig)\b/g;
const OPENS_SUBKEY = /\.\s*OpenSubKey\s*\(/;
const HIVES_BROWSED = 3;
// Each key's values or subkeys listed: with several hives, a walk over the whole registry
// (the paths it names, harvested to find folders to write to).
const LISTS_KEYS = /\.\s*Get(?:ValueNames|SubKeyNames)\s*\(\s*\)/;
const SERVICE = /\bnew\s+(?:System\.ServiceProcess\.)?ServiceController\s*\(/g;
const PROCESS_BY_ID = /\bProcess\s*\.\s*GetProcessById\s*\(/g;
const KILLS = /\.\s*Kill\s*\(\s*\)/;
const ACCESS_RULES = /\b(?:File|Directory)\s*\.\s*(?:GetAccessControl|SetAccessControl)\s*\(/g;

// Serv-U's local administration commands (its admin port, 43958 by default, takes them after
// `SITE MAINTENANCE`): a domain set up and an FTP account given the whole disk, then `SITE
// EXEC` run as that service's account. The privilege escalation every shell kit of the 2000s
// carried, in classic ASP, ASP.NET and PHP alike; an FTP client library has no use for them.
const SERV_U_ADMIN = /-(?:SETUSERSETUP|SETDOMAIN|DELETEDOMAIN)\b/;

/** True when the page speaks Serv-U's local administration protocol. */
export const talksToServUAdmin = (text: string) => SERV_U_ADMIN.test(text);

/** How many of the registry's hives the page names, from its first 100 mentions. */
const hivesNamed = (text: string) =>
  new Set([...text.matchAll(HIVE)].slice(0, 100).map((m) => m[1]!.toLowerCase())).size;

/** What the page does to the Windows host for its visitor, in words; or nothing. */
export function windowsToolIn(text: string, input: boolean): string | undefined {
  if (WINNT_PROVIDER.test(text) && ADDS_USER.test(text) && SETS_PASSWORD.test(text))
    return 'creates a Windows account through ADSI (a backdoor user)';
  // With request input, the reasons below that name what the visitor picks are the more
  // precise.
  const walked =
    LISTS_KEYS.test(text) && hivesNamed(text) >= HIVES_BROWSED
      ? "walks the registry's hives, listing what their keys hold (a survey of the host)"
      : undefined;
  if (!input) return walked;
  if (callGivenInput(text, REGISTRY_KEY)) return 'opens any registry key the visitor names';
  if (OPENS_SUBKEY.test(text) && hivesNamed(text) >= HIVES_BROWSED)
    return "browses the registry: a key below whichever hive the visitor's path names";
  if (callGivenInput(text, SERVICE)) return 'controls any Windows service the visitor names';
  if (KILLS.test(text) && callGivenInput(text, PROCESS_BY_ID))
    return 'kills any process the visitor names (a task manager)';
  if (callGivenInput(text, ACCESS_RULES))
    return 'reads or sets the access rules of any path the visitor names (a permission scanner)';
  return walked;
}
