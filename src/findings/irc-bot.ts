/**
 * An IRC bot: a script that connects to an IRC server, registers a nick, answers the
 * server's PING and acts on what the channel says (PRIVMSG). Botnets of hacked web servers
 * are driven this way: PHP's pBot and "fighter" bots, Perl's shellbot, Python's. Some run
 * the channel's commands, some only flood or fight other bots; each is an agent someone
 * else orders. Issue 27: bots that run no command were missed, as nothing else in them
 * looks like a shell. Any language: all four protocol words and a connection must be there.
 */
import type { ChangeFacts, ChangeRule } from './change-rules.js';

// A client connection: PHP's, Perl's, Python's, Java's, Ruby's, and Perl's
// `connect(SOCK, $addr)`.
const CONNECTS =
  /(?<![\w>:])(?:p?fsockopen|stream_socket_client|socket_connect)\s*\(|\bIO::Socket::INET\b|\bsocket\.socket\s*\(|\bnew\s+(?:java\.net\.)?Socket\s*\(|\bTCPSocket\.(?:new|open)\b|\bconnect\s*\(\s*\$?\w{1,40}\s*,/;
// What a client sends to register (`"NICK $nick\r\n"`, `'USER ' . $ident`), at a string's
// start or a line's within one; the server's words it answers or reads, in IRC's capitals.
const REGISTERS_NICK = /(?:["']|\\n)NICK\s/;
const REGISTERS_USER = /(?:["']|\\n)USER\s/;
const ANSWERS_PING = /\bPONG\b/;
const READS_CHANNEL = /\bPRIVMSG\b/;

/**
 * True when a file holds an IRC client that stays connected and reads the channel. Each
 * word may be in any of the texts read of one file: a long bot's start, middle or end (its
 * PING handler 140 KB past its NICK, in a bot of the tuning side).
 */
export function isIrcBot(...texts: readonly string[]): boolean {
  const anywhere = (word: RegExp) => texts.some((text) => word.test(text));
  return (
    anywhere(READS_CHANNEL) &&
    anywhere(ANSWERS_PING) &&
    anywhere(REGISTERS_NICK) &&
    anywhere(REGISTERS_USER) &&
    anywhere(CONNECTS)
  );
}

/** The texts the rules read of a file: its start, and a long file's middle and end. */
const textsRead = (f: ChangeFacts): string[] => [
  f.currentText!,
  ...(f.currentTextMiddles ?? []).map((m) => m.text),
  ...(f.currentTextEnd !== undefined ? [f.currentTextEnd] : []),
];

export const ircBot: ChangeRule = (f) =>
  f.kind !== 'D' && f.currentText !== undefined && isIrcBot(...textsRead(f))
    ? {
        severity: 'high',
        reason:
          'an IRC bot: it connects to an IRC server, registers a nick and acts on what the channel says (a botnet agent, ordered from IRC)',
        attack: 'T1071',
      }
    : undefined;
