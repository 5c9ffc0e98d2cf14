/**
 * Web shells: server-side code that runs what a visitor sends. Judged by content, wherever
 * the file is (a shell parked outside the web root is included later), from three kinds of
 * evidence in the file: request input read, a sink that runs code or commands, and
 * disguise. Libraries have sinks and read requests too, so a sink alone is worth a look
 * (medium), and input counts only near the sink or when the sink runs code dynamically.
 * Tuned on a public collection of web shells and on WordPress, phpMyAdmin, Roundcube,
 * Tomcat's JSP pages and Mono's ASP.NET examples as Debian ships them (npm run bench --
 * detection). The evidence is gathered by ./web-shell/: request flow, disguises, server
 * pages, and reading code as text.
 */
import path from 'node:path';
import type { RuleHit } from '../report/finding.js';
import type { ChangeFacts } from './change-rules.js';
import {
  ANY_DYNAMIC_CALL,
  browsesFiles,
  CODE_SINK,
  CODE_SINKS,
  COMMAND_SINK,
  COMMAND_SINKS,
  INPUT,
  callsBackAVariable,
  directlyTainted,
  fileOperationsOnInput,
  firstCodeSink,
  indirectExecution,
  near,
  printsNamedFile,
  sinkOnInput,
  FRAMEWORK_REQUEST_VALUE,
  taintedNames,
  variablesFromRequest,
  includesRequestValue,
  includesUpload,
  wrappedSinkOnInput,
  calleeRelayedOnInput,
  carriesInput,
} from './web-shell/request-flow.js';
import {
  STRONG_DISGUISES,
  disguisesIn,
  isBase64Char,
  isBlobChar,
  withoutInvisible,
} from './web-shell/disguises.js';
import {
  foldCompiledStrings,
  javaUnescaped,
  longestRun,
  unescapePhp,
  ASCII_NAME,
  withAsciiNames,
} from './web-shell/code-text.js';
import {
  hasPhpTag,
  scriptWithoutComments,
  serverCodeWithoutComments,
  withoutComments,
} from './web-shell/comments.js';
import { cgiRunsRequest, languageOf } from './web-shell/cgi-scripts.js';
import {
  aspServerCode,
  classicAspShell,
  foldVbStrings,
  isClassicAsp,
} from './web-shell/classic-asp.js';
import { decodeEncodedScripts, hasEncodedScript } from './web-shell/script-encoded.js';
import { foldedPhp } from './web-shell/php-constants.js';
import { withLiteralArguments } from './web-shell/literal-arguments.js';
import { decodedRun } from './web-shell/decoded-run.js';
import { tunnelToNamedHost } from './web-shell/tunnels.js';
import { downloadedCode } from './web-shell/downloaded-code.js';
import {
  addsFixedAdministrator,
  addsAdministratorUnasked,
  hidesPluginFromList,
  hidesUserFromList,
  logsInAsAdministrator,
} from './web-shell/planted-accounts.js';
import { talksToServUAdmin, windowsToolIn } from './web-shell/windows-tools.js';
import { runsTypedSql } from './web-shell/sql-console.js';
import { scansForWritableFolders } from './web-shell/writable-folders.js';
import { mailsListFromRequest, relaysMailFromRequest } from './web-shell/mailer.js';
import { cloaksForCrawlers } from './web-shell/seo-cloaking.js';
import { logsInputIntoImage } from './web-shell/input-capture.js';
import { attackOnNamedHosts } from './web-shell/named-hosts.js';
import { bypassesLimits } from './web-shell/bypasses.js';
import {
  downloadsAndRuns,
  runsProbeCommand,
  sendsAccountList,
  startsDroppedProgram,
  wipesTraces,
} from './web-shell/command-lines.js';
import { decodeUtf7, isUtf7Page } from './web-shell/utf7-page.js';
import {
  carriedPages,
  includesWhatItWrote,
  savesUploadAsPage,
  savesUploadAsSent,
  recordsSavedUpload,
  writesAndRuns,
  writesEncodedPhp,
  writesCarriedProgram,
  carriesProgram,
  writesRequestIntoServerPage,
  writesRequestToNamedFile,
} from './web-shell/droppers.js';
import { SEVERITY_RANK } from '../report/severity.js';
import { callArgs } from './web-shell/code-text.js';
import { likenessApplies, likenessFinding } from './web-shell/likeness.js';
import { unscoped, withScopedNames } from './web-shell/php-scopes.js';
import { isTaglessPhp, TAGLESS_REASON } from './web-shell/tagless-code.js';
import { FACELETS_PAGE, foreignPage } from './web-shell/foreign-page.js';
import { isMarkdown, withoutCodeSamples } from './web-shell/markdown-text.js';
import { guessesPasswords } from './web-shell/password-guessing.js';
import {
  SQL_FROM_INPUT,
  NAMED_CODE,
  opensFromInput,
  callGivenInput,
  givesInput,
  givenWholeParameter,
  controlValues,
  sqlFromControl,
  JDBC_SQL,
  JDBC_CONNECTS,
  ADO_SQL,
  jspDocumentText,
  serverPageText,
  fileToolOnInput,
  netToolOnInput,
} from './web-shell/server-pages.js';

const PHP_OR_SCRIPT = /<\?(?:php|=)?|<%|<script\s+runat\s*=|^#!.*(?:python|perl)/im;

const isPhpText = (path: string, text: string) =>
  /\.(?:php\d?|phtml|phar|inc)$/i.test(path) || /<\?(?:php|=|\s)/i.test(text);

// Names served as PHP, JSP or ASP(X) pages.
const PAGE_NAME = /\.(?:php\d?|phtml|phar|inc|jspx?|aspx?|ashx|asmx|cer|asa)$/i;

/** Names a web server runs as code rather than sends (PHP includes and IIS handlers too). */
export const SERVER_SCRIPT =
  /\.(php\d?|phtml|phar|inc|jsp|jspx|asp|aspx|ashx|asmx|cer|cgi|pl|py|cfm)$/i;

// move_uploaded_file($_FILES['f']['tmp_name'], $dir . $_FILES['f']['name']): any name, any place.
const UPLOAD_AS_SENT =
  /\b(?:move_uploaded_file|copy)\s*\([^;\n]{0,200}?,[^;,\n]{0,80}\$(?:_FILES|HTTP_POST_FILES)\s*\[[^\]\n]{1,40}\]\s*\[\s*['"]name['"]\s*\]\s*\)/;

// The first half of a two-stage shell: decoded input kept for a later request to run.
const DECODED_INTO_SESSION =
  /\$_SESSION\s*\[[^\]\n]{1,40}\]\s*=\s*@?(?:base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin|strrev)\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/;

// DOMXPath with registerPhpFunctions(): an XPath expression that calls a PHP function.
const XPATH_PHP_CALL =
  /php:function(?:String)?\s*\(\s*\\?['"](system|exec|shell_exec|passthru|popen|proc_open|assert|eval)\\?['"]/;

// An XSLT stylesheet carrying a script block (msxsl:script) that starts a shell or a
// process, or evaluates code: a transform the page runs becomes a command runner.
const XSLT_SCRIPT_RUNS =
  /<msxsl:script\b[\s\S]{0,2000}?(?:wscript\.shell|\bProcess\b|ActiveXObject|\beval\s*\()/i;

// Xalan's and Saxon's Java extensions bind a stylesheet's prefix to a Java class (written in
// a Java string, its quotes escaped): bound to Runtime or ProcessBuilder, a transform the page
// runs starts processes (`rt:exec($rt, '…')`).
const XSLT_JAVA_RUNS =
  /xmlns:\w{1,40}\s*=\s*\\?["'](?:xalan:\/\/|java:|http:\/\/xml\.apache\.org\/xalan\/java\/)?java\.lang\.(?:Runtime|ProcessBuilder)\\?["']/;

// SplFileObject opened for writing (`new SplFileObject($f, 'w')`).
const SPL_FILE = /\bnew\s+\\?SplFileObject\s*\(/g;
const splFileWritten = (text: string, tainted: ReadonlySet<string>) =>
  [...text.matchAll(SPL_FILE)].slice(0, 50).some((m) => {
    const [name, mode] = callArgs(text, m.index! + m[0].length - 1);
    return /^\s*['"][waxc]/.test(mode ?? '') && carriesInput(name ?? '', tainted);
  });

// Reflection past Java's access checks: a page has no business opening a class's private
// members; with the request's value written into one (`execPath` of the JDK's MimeLauncher)
// or passed to one, a JDK internal runs what the visitor sends.
const OPENS_PRIVATE_MEMBERS = /\.setAccessible\s*\(\s*true\s*\)/;
const SETS_OR_CALLS_MEMBER = /\.(?:set|invoke)\s*\(/g;

// A VB.NET page, and VB's Shell(), which starts the program its command line names.
const VB_PAGE =
  /<%@\s*(?:page|control|webhandler|webservice)\b[^%]{0,300}\blanguage\s*=\s*"?vb"?[\s%]|<script\b[^>]{0,200}\blanguage\s*=\s*"?vb"?[\s>]/i;
const VB_SHELL = /(?<![\w.])(?:Interaction\.)?Shell\s*\(/;
const VB_REQUEST = /(?<![\w.])Request\s*\(\s*"/i;

// The passwords IIS 6 keeps for its sites in the metabase, read through ADSI.
const IIS_METABASE_PASSWORDS =
  /IIS:\/\/localhost\b[\s\S]{0,4000}?\b(?:AnonymousUserPass|WAMUserPass|UNCPassword)\b|\b(?:AnonymousUserPass|WAMUserPass|UNCPassword)\b[\s\S]{0,4000}?IIS:\/\/localhost\b/i;

// A program kept among the site's pages (`Server.MapPath("x.exe")`), the file a page starts.
const PROGRAM_AMONG_PAGES =
  /\b(?:Server\.MapPath|getRealPath)\s*\(\s*["'][^"'\n]{0,200}\.(?:exe|com|bat|cmd|ps1|vbs|sh|elf)["']/i;

// JSP's expression language reads the request through implicit objects (`${param.cmd}`,
// `${header['x']}`), in `${…}` and `#{…}` anywhere in a page.
const EL_INPUT =
  /[$#]\{[^}\n]{0,400}?(?<![\w.])(?:param|paramValues|header|headerValues|cookie)\s*(?:\.\s*\w|\[)/;

// An EL expression calling a method the request names (`${""[param.a]()[param.b](param.c)}`):
// any class reached from a string, any method run.
const EL_NAMED_CALL =
  /\[\s*(?:param|paramValues|header|headerValues|cookie)\s*(?:\.\s*\w{1,40}(?:\s*\.\s*value)?|\[\s*['"]?\w{1,40}['"]?\s*\])\s*\]\s*\(/;
const EL_OPENS = /[$#]\{/;

// A process runner named in a string, for reflection to reach (`Class.forName(
// "java.lang.Run" + "time")` once its pieces are joined): code has no other use for the name.
const PROCESS_CLASS_NAMED =
  /["'](?:java\.lang\.(?:Runtime|ProcessBuilder|ProcessImpl|UNIXProcess)|javax\.script\.ScriptEngineManager|System\.Diagnostics\.Process(?:StartInfo)?)["']/;

// .NET's Process reached by reflection (`typeof(Process).GetMethod("Start")`, then Invoke):
// a page that starts programs calls Process.Start; looking it up by name hides the call.
const PROCESS_TYPE = /\btypeof\s*\(\s*(?:System\s*\.\s*Diagnostics\s*\.\s*)?Process\s*\)/;
const START_BY_NAME = /\.\s*(?:GetMethods?|InvokeMember)\s*\(\s*"Start"/;

// A compiled Java class in a string: its magic number CAFEBABE in base64 (`yv66vg`), in
// BCEL's escapes (`$ca$fe$ba$be`) or in hex, with enough after it to be a class.
const CARRIED_CLASS =
  /['"](?:yv66vg[A-Za-z0-9+/]{40}|\$ca\$fe\$ba\$be[\w$]{20}|(?:cafebabe|CAFEBABE)[0-9a-fA-F]{40})/;

// A class defined from bytes through reflection: ClassLoader's protected defineClass looked
// up by its name (the call itself is a code sink).
const DEFINES_CLASS_BY_REFLECTION = /\.get(?:Declared)?Method\s*\(\s*["']defineClass["']/;

// A page that makes a class loader of its own, loads a class through it and calls into it
// (`new URLClassLoader(…).loadClass(…).getMethod("main").invoke(…)`): code brought in at run
// time. An application's classes are deployed with it; a page has no loader to make.
const MAKES_CLASS_LOADER = /\bnew\s+(?:java\.net\.)?URLClassLoader\s*\(/;
const LOADS_AND_CALLS = /\.loadClass\s*\([\s\S]{0,400}?\.(?:invoke|newInstance)\s*\(/;

// A class loader the page declares, whose defineClass() makes a class of bytes (`class U
// extends ClassLoader { … defineClass(b, 0, b.length) }`), and a class instantiated or
// called: Behinder's and the memory-shell injectors' way to run code they carry or receive.
const DECLARES_CLASS_LOADER = /\bextends\s+(?:java\.lang\.)?ClassLoader\b/;
const DEFINES_CLASS = /\bdefineClass\s*\(/;
const INSTANTIATES_OR_CALLS = /\.(?:newInstance|invoke)\s*\(/;

// A stylesheet compiled by JAXP (`TransformerFactory…newTransformer(source)`): Xalan's and
// Saxon's extension functions call any Java class a stylesheet names, so a stylesheet the
// request sends runs the visitor's code. A source naming a file (`getRealPath("/WEB-INF/xsl/"
// + view + ".xsl")`) is the site's own stylesheet, whichever the request picks.
const COMPILES_STYLESHEET = /\.new(?:Transformer|Templates)\s*\(/g;
const NAMES_STYLESHEET_FILE =
  /\bget(?:RealPath|Resource(?:AsStream)?)\s*\(|\bnew\s+(?:java\.io\.)?File\s*\(|\.xslt?\\?["']/;
const compilesSentStylesheet = (text: string) =>
  givesInput(
    text,
    [...text.matchAll(COMPILES_STYLESHEET)]
      .slice(0, 100)
      .filter(
        (m) => !NAMES_STYLESHEET_FILE.test(callArgs(text, m.index! + m[0].length - 1).join(',')),
      ),
  );

// Machine code run from a server page: memory made executable and a thread started in it
// through kernel32 (msfvenom's aspx format and its kin). No page calls either.
const RUNS_MACHINE_CODE =
  /\bVirtualAlloc(?:Ex)?\s*\([^;]{0,200}?\b(?:PAGE_EXECUTE_READWRITE|0x40)\b/;
const STARTS_THREAD_IN_IT = /\b(?:CreateThread|CreateRemoteThread|EnumWindows|QueueUserAPC)\s*\(/;
// A process started through kernel32 and a socket made through Winsock, both declared for
// P/Invoke in one page: the socket handed to the process as its standard handles, a reverse
// or bind shell whose host is written in the page (InsomniaShell and its kin).
const DECLARES_NATIVE_PROCESS = /\bextern\s+(?:static\s+)?\w{1,10}\s+CreateProcess\w{0,12}\s*\(/;
const DECLARES_NATIVE_SOCKET = /\bextern\s+(?:static\s+)?\w{1,10}\s+WSASocket\w{0,2}\s*\(/;

// A filter, servlet, listener or valve added to the running server from a page: the
// container's own context reached (Tomcat's StandardContext, through its private fields)
// and a handler registered in it, to answer requests after the page is gone. Applications
// register theirs when they are deployed, never from a page.
// A WebSocket endpoint added through the container's ServerContainer is the same, over a socket.
const CONTAINER_CONTEXT =
  /\bStandardContext\b|\.getDeclaredField\s*\(\s*["']context["']\s*\)|\bServerContainer\b/;
const REGISTERS_HANDLER =
  /\.(?:addApplicationEventListener|addFilterDef|addFilterMap(?:Before)?|addServletMapping(?:Decoded)?|addValve|addChild|addEndpoint)\s*\(/;
// A field's `final` modifier cleared by reflection (`modifiersField.setInt(f, f.getModifiers()
// & ~Modifier.FINAL)`): a constant of the running server rewritten (Tomcat's WRAP_SAME_OBJECT,
// so the request each thread served is kept where a memory shell's injector can take it).
const CLEARS_FINAL = /&\s*~\s*(?:java\.lang\.reflect\.)?Modifier\.FINAL\b/;
// The server's worker threads walked through their group's private `threads` field, to reach
// the requests other threads are serving (a memory shell's or an echo payload's way to the
// request without registering anything). A page has its own request.
const WALKS_SERVER_THREADS = /\.getThreadGroup\s*\(\s*\)[\s\S]{0,200}?["']threads["']/;

// One element of an array named at run time called with another (`$$_[0]($$_[1])`,
// `${$a}['f'](${$a}['x'])`): a function and its argument from one array is the request's
// shape (`$_GET[0]($_GET[1])`), its name computed so that no reader sees `_GET`.
const CALLS_ELEMENT_WITH_ELEMENT =
  /\$\$(\w{1,40})\s*\[[^\]\n]{0,20}\]\s*\(\s*\$\$\1\s*\[|\$\{\s*\$(\w{1,40})\s*\}\s*\[[^\]\n]{0,20}\]\s*\(\s*\$\{\s*\$\2\s*\}\s*\[/;

// A name joined from pieces and called on the request at once (`sy.'stem'($_GET['c'])`).
const JOINED_NAME_CALLED_ON_INPUT =
  /[\w'")]\s*\.\s*(['"])[A-Za-z_]{1,40}\1\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/;

// Code evaluated or compiled from text at run time, by the platforms' own evaluators:
// Groovy, OGNL, SpEL, MVEL, JEXL, BeanShell, Rhino, EL's expression factory, the JDK's
// compiler and anonymous classes; .NET's code providers and JScript's evaluator. In a page
// that reads the request, what they run is the visitor's.
const TEXT_EVALUATORS =
  /\b(?:GroovyShell|GroovyClassLoader|SpelExpressionParser|JexlEngine|JexlBuilder|bsh\s*\.\s*Interpreter|createValueExpression|createMethodExpression|CSharpCodeProvider|VBCodeProvider|JScriptCodeProvider|CompileAssemblyFromSource|JScriptEvaluate|VsaEngine)\b|\bOgnl\s*\.\s*(?:getValue|parseExpression)\s*\(|\bMVEL\s*\.\s*(?:eval|executeExpression|compileExpression)\s*\(|\bToolProvider\s*\.\s*getSystemJavaCompiler\s*\(|\.defineAnonymousClass\s*\(|\.evaluateString\s*\(|\bCodeDomProvider\s*\.\s*CreateProvider\s*\(/;

// Objects read back from bytes the request sends (Java's serialization and XMLDecoder,
// XAML): their readers run code named in the bytes. Classes loaded from a URL the request
// gives.
const READS_OBJECTS =
  /\bnew\s+(?:java\.io\.)?ObjectInputStream\s*\(|\bnew\s+(?:java\.beans\.)?XMLDecoder\s*\(|\bXamlReader\s*\.\s*(?:Parse|Load)\s*\(|\bnew\s+(?:java\.net\.)?URLClassLoader\s*\(/g;

// ASP.NET's parser of control markup: the controls it builds run what their markup names (an
// ObjectDataSource's SelectMethod calls any static method, Process.Start among them).
const PARSES_CONTROLS = /\bParseControl\s*\(/g;

// .NET's formatters that name the types they build in the bytes; JSON and XmlSerializer's
// Deserialize build a type the page chose, and are not these.
const TYPE_NAMING_FORMATTER =
  /\b(?:BinaryFormatter|LosFormatter|ObjectStateFormatter|SoapFormatter|NetDataContractSerializer)\b/;
const DESERIALIZES = /\.Deserialize\s*\(/g;

// Memory shells: the file deletes itself, and the request that ran it goes on forever.
const SELF_DELETE =
  /\b(?:unlink|@unlink)\s*\(\s*(?:__FILE__|\$_SERVER\s*\[\s*['"](?:SCRIPT_FILENAME|PHP_SELF)['"]\s*\])/;

// eval() of a file's text read whole, by a name the page spells out (`eval(file_get_contents(
// "远程shell"))`): code kept in a file whose name says no code, run where an include would
// have shown it. A template engine evaluates a template a variable names, and a legacy page
// its header by a template's or page's name (`'templates/header.tpl.php'`): both left out.
const EVALUATES_NAMED_FILE =
  /\b(?:eval|assert)\s*\(\s*(?:@\s*)?(?:['"]\?>['"]\s*\.\s*)?(?:file_get_contents|implode\s*\(\s*['"]{2}\s*,\s*(?:@\s*)?file)\s*\(\s*(['"])(?![^'"\n]{0,200}\.(?:php\d?|phtml|inc|tpl|tmpl|html?|twig|view)\1)[^'"\n]{1,200}\1\s*\)/i;

// Places a file keeps code where no reader looks: an image's EXIF fields, a doc comment.
const HIDDEN_PLACES: readonly [RegExp, string][] = [
  [/\bexif_read_data\s*\(/, "an image's EXIF fields"],
  [/->\s*getDocComment\s*\(/, 'a doc comment'],
];

/**
 * Code a PHP page runs from a place it hides it in (`$e = exif_read_data('x.jpg');
 * preg_replace($e['Make'], $e['Model'], '')`, `eval(substr($rc->getDocComment(), …))`),
 * followed through a few assignments: a shell whose code is not in its own text.
 */
function codeRunFromHiddenPlace(text: string): string | undefined {
  for (const [read, place] of HIDDEN_PLACES) {
    if (!read.test(text)) continue;
    const holders = taintedNames(
      text,
      (expr, names) =>
        read.test(expr) || [...expr.matchAll(/\$(\w{1,40})/g)].some((v) => names.has(v[1]!)),
    );
    if (!holders.size) continue;
    // A name holding it, as the call's first argument.
    const isHeld = (arg = '') => holders.has(/^\s*@?\$(\w{1,40})\b/.exec(arg)?.[1] ?? '');
    for (const m of [...text.matchAll(CODE_SINKS)].slice(0, 200)) {
      if (!m[0].endsWith('(')) continue;
      if (isHeld(callArgs(text, m.index! + m[0].length - 1)[0]))
        return `runs code it keeps in ${place}`;
    }
    // preg_replace's pattern, with its modifiers, is what makes it run code.
    for (const m of [...text.matchAll(/\bpreg_(?:replace|filter)\s*\(/g)].slice(0, 200))
      if (isHeld(callArgs(text, m.index! + m[0].length - 1)[0]))
        return `runs code it keeps in ${place} (a pattern with its modifiers)`;
  }
  return undefined;
}

// The JDK's guard against JNDI loading classes from a remote codebase, turned off.
const TRUSTS_REMOTE_CODEBASE =
  /\bsetProperty\s*\(\s*"com\.sun\.jndi\.(?:ldap|rmi|cosnaming)\.object\.trustURLCodebase"\s*,\s*"true"/;

// Server-side JScript: an ASP or ASP.NET page in that language, or a server script element.
const JSCRIPT_DIRECTIVE = /<%@[^%]{0,200}\blanguage\s*=\s*["']?j(?:ava)?script\b/i;
const SCRIPT_ELEMENT = /<script\b([^>]{0,400})>/gi;
const isServerJscript = (page: string) =>
  JSCRIPT_DIRECTIVE.test(page) ||
  [...page.matchAll(SCRIPT_ELEMENT)]
    .slice(0, 50)
    .some(
      (m) =>
        /\brunat\s*=\s*["']?server\b/i.test(m[1]!) &&
        /\blanguage\s*=\s*["']?j(?:ava)?script\b/i.test(m[1]!),
    );
// JScript .NET's eval() given a second argument: only "unsafe" means anything there (the
// code runs with the page's full trust), written out or built (`q + "ns" + w`).
const EVAL_AT_FULL_TRUST =
  /\beval\s*\(\s*[\w.$[\]"']{1,100}\s*,\s*(?:["']unsafe["']|[A-Za-z_$][\w$]{0,40})\s*\)/;
// eval as a value (`{'E': eval}`, `return eval`), to be called under another name.
const EVAL_AS_VALUE = /(?:[:=,(]|\breturn)\s*eval\s*(?=[,;})\]\n])/;
const JSCRIPT_REQUEST = /\bRequest\s*[.([]/;
const JSCRIPT_SHELL = /\bActiveXObject\s*\(\s*["']WScript\.Shell["']/i;
const COMMAND_INTERPRETER_RUN =
  /\.\s*(?:Exec|Run)\s*\(\s*["'](?:%comspec%|cmd(?:\.exe)?)\s+\/[ck]\b/i;

/**
 * What a server-side JScript page (classic ASP or ASP.NET) runs that a page does not: eval()
 * at full trust, or eval kept as a value and called in a page that reads the request.
 * `whole` is the page as written (its language directive), `code` what the server runs.
 */
function serverJscriptRunner(whole: string, code: string): string | undefined {
  if (!isServerJscript(whole)) return undefined;
  if (EVAL_AT_FULL_TRUST.test(code))
    return 'runs code at full trust (JScript\'s eval with "unsafe")';
  const readsRequest = INPUT.test(code) || JSCRIPT_REQUEST.test(code);
  if (EVAL_AS_VALUE.test(code) && readsRequest)
    return 'eval kept as a value and called, in a page that reads the request';
  // `new ActiveXObject("WScript.Shell").Exec("%comspec% /c " + command)`.
  if (readsRequest && JSCRIPT_SHELL.test(code) && COMMAND_INTERPRETER_RUN.test(code))
    return 'runs cmd.exe through WScript.Shell in a page that reads the request';
  return undefined;
}

const KEEPS_RUNNING = /\bignore_user_abort\s*\(\s*(?:true|1)\s*\)|\bset_time_limit\s*\(\s*0\s*\)/;

/**
 * The web-shell verdict on the file as written and, for PHP, once more with its constant
 * expressions worked out (php-constants.ts): a loader's decoded code judged as code.
 */
export function judgeWebShell(facts: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const f =
    facts.currentText !== undefined && isMarkdown(facts.path)
      ? { ...facts, currentText: withoutCodeSamples(facts.currentText) }
      : facts;
  const hit = judgeByRules(f, isInWebRoot);
  if (hit && SEVERITY_RANK[hit.severity] >= SEVERITY_RANK.high) return hit;
  if (f.kind === 'D' || f.currentText === undefined || f.isPiece) return hit;
  const foreign = judgeForeignPage(f, isInWebRoot) ?? judgeFaceletsPage(f, isInWebRoot);
  if (foreign) return foreign;
  const texts = [
    f.currentText,
    f.currentTextEnd,
    ...(f.currentTextMiddles ?? []).map((m) => m.text),
  ];
  if (isTaglessPhp(f.path, texts)) return judgeTaglessPhp(f.currentText, hit);
  if (!likenessApplies(f.path, f.currentText)) return hit;
  // A page the rules pass or find only worth a look, judged by what it reads like.
  const learned = likenessFinding(f.currentText);
  if (!learned) return hit;
  return hit ? { ...learned, reason: `${learned.reason}; ${hit.reason}` } : learned;
}

const FACES_NAME = /\.(?:xhtml|jsf|faces)$/i;

/**
 * A JSF (Facelets) page under its own names (`.xhtml`, `.jsf`, `.faces`): the application
 * server evaluates its expressions, which reach Java as a JSP's do (an EL shell loading
 * `java.lang.Runtime` by name), so it is judged by the JSP rules.
 */
function judgeFaceletsPage(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  if (!FACES_NAME.test(f.path) || !FACELETS_PAGE.test(f.currentText ?? '')) return undefined;
  const hit = judgeByRules({ ...f, path: f.path.replace(FACES_NAME, '.jsp') }, isInWebRoot);
  return hit && { ...hit, reason: `${hit.reason} (a JSF Facelets page)` };
}

/**
 * Another server's page under a PHP name (foreign-page.ts), judged by its own language's
 * rules. High at most: PHP sends it as text, so it runs only where a server maps the name to
 * its own handler, but it is an intruder's tool wherever it lies.
 */
function judgeForeignPage(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const page = foreignPage(f.path, f.currentText ?? '');
  if (!page) return undefined;
  const hit = judgeByRules({ ...f, path: page.name }, isInWebRoot);
  if (!hit || SEVERITY_RANK[hit.severity] < SEVERITY_RANK.high) return undefined;
  return {
    ...hit,
    severity: 'high',
    reason: `${hit.reason} (a ${page.label} under a PHP name: PHP sends it as text)`,
  };
}

/**
 * PHP code with no open tag (tagless-code.ts): judged by the likeness as the code it is, and
 * ranked high when it runs commands or code, which the rules find worth only a look when no
 * request input reaches them (a payload takes its arguments from the shell that runs it).
 */
function judgeTaglessPhp(text: string, hit: RuleHit | undefined): RuleHit | undefined {
  const learned = likenessFinding(`<?php\n${text}`);
  if (learned) return { ...learned, reason: `${TAGLESS_REASON}: ${learned.reason}` };
  const code = withoutComments(text);
  const command = COMMAND_SINK.exec(code);
  const runs = command ?? CODE_SINK.exec(code);
  if (!runs) return hit;
  const name = runs[1] ? `${runs[1]}()` : command ? 'a command' : 'code';
  return {
    severity: 'high',
    reason: `${TAGLESS_REASON}, calling ${name}`,
    attack: 'T1505.003',
  };
}

// .NET's symmetric decryption, and code a page loads or calls by reflection.
// By name too: a decryptor looked up by reflection (`GetMethod("CreateDecryptor")`).
const DECRYPTS =
  /\b(?:CreateDecryptor|TransformFinalBlock)\s*\(|["'](?:CreateDecryptor|TransformFinalBlock)["']/;
const LOADS_CODE = /\bCreateInstance\s*\(|\.Invoke\s*\(|\bAssembly\s*[.)]/;

/** The first page carried in a string literal of a file-writing page that is itself a shell. */
function carriedShell(
  f: ChangeFacts,
  text: string,
  isVbScript: boolean,
  isInWebRoot: boolean,
): string | undefined {
  for (const page of carriedPages(text, isVbScript)) {
    const at = path.posix.join(path.posix.dirname(f.path), page.name);
    const hit = judgeAsWritten({ ...f, path: at, currentText: page.text }, isInWebRoot, {
      depth: 1,
    });
    if (hit?.severity === 'critical') return hit.reason.replace(/^web shell pattern: /, '');
  }
  return undefined;
}

// `'phar://' . $this->pharPath . '/src/bootstrap.php'`: the archive named by a variable.
const PHAR_THROUGH_VARIABLE =
  /^[\s(@]{0,8}(['"])phar:\/\/\1\s*\.\s*(?:\$this->|(?:self|static)::\$|\$)(\w{1,40})/;
// `$this->pharPath = $dir . '/' . $hash . '.phar';`: a variable set to a .phar's name.
const SET_TO_PHAR = /(?:\$|->)(\w{1,40})\s*=(?![=>])[^;\n]{0,300}\.phar['"]\s*;/g;

/**
 * The variables the page sets to a .phar's name. An include naming its archive through one
 * loads a library by its own name (Automad's composer.phar), not code kept in a file named
 * as something else.
 */
function namesSetToPhar(text: string): Set<string> {
  return new Set([...text.matchAll(SET_TO_PHAR)].slice(0, 200).map((m) => m[1]!));
}

// A path written in escapes, four or more (`include("\167\160\55…")`).
const INCLUDES_ESCAPED_PATH =
  /\b(?:include|require)(?:_once)?[\s(@]{0,8}"[^"\n\\]{0,40}(?:\\(?:x[0-9a-fA-F]{2}|[0-7]{1,3})){4}/i;
// A fixed time in the past: a date, or a number of seconds since 1970.
const PAST_TIME = /^\s*(?:@\s*)?(?:g?mktime\s*\(\s*\d|strtotime\s*\(\s*['"]\d{4}|\d{9,10}\s*$)/;
const FILE_TIME = /^\s*(?:@\s*)?filemtime\s*\(/;
const UNIT_TEST = /\bextends\s{1,8}\\?(?:\w{1,40}\\){0,6}\w{0,40}TestCase\b/;

/**
 * True when the page backdates a file's modification time: its own (`touch(__FILE__,
 * mktime(…))`), any to a fixed date, or a file back to the time it had before the page
 * changed it (`$t = filemtime($f); file_put_contents($f, …); touch($f, $t)`): the way an
 * intruder hides a file planted or changed among older ones. A cache touches its files to
 * now or ahead; a copy may give its new file the source's time.
 */
function backdatesFile(text: string): boolean {
  const touches = [...text.matchAll(/(?<![\w>:$])touch\s*\(/g)].slice(0, 100);
  if (!touches.length) return false;
  const bare = (s: string) => s.replace(/\s+/g, '');
  // Names holding a fixed time, and names holding a file's time (by the file's expression).
  const fixed = new Set<string>();
  const fileTimes = new Map<string, string>();
  for (const m of [...text.matchAll(/\$(\w{1,40})\s*=(?![=>])\s*([^;\n]{1,120})/g)].slice(
    0,
    5000,
  )) {
    if (PAST_TIME.test(m[2]!)) fixed.add(m[1]!);
    const read = FILE_TIME.exec(m[2]!);
    if (read) fileTimes.set(m[1]!, bare(callArgs(m[2]!, read[0].length - 1)[0] ?? ''));
  }
  // A stub that deletes itself after its work: a time some while ago is set to hide a file.
  const isStub = SELF_DELETE.test(text);
  // A unit test sets its fixtures' times to fixed dates, to test code that reads them.
  const isTest = UNIT_TEST.test(text);
  return touches.some((m) => {
    const [file, time] = callArgs(text, m.index! + m[0].length - 1);
    if (file === undefined || time === undefined) return false;
    const held = /^\s*\$(\w{1,40})\s*$/.exec(time)?.[1];
    const read = FILE_TIME.exec(time);
    const timeOf = read
      ? bare(callArgs(time, read[0].length - 1)[0] ?? '')
      : held && fileTimes.get(held);
    return (
      // Its own file given any time but now.
      (/^\s*__FILE__\s*$|\$_SERVER\s*\[\s*['"]SCRIPT_FILENAME['"]/.test(file) &&
        !/^\s*time\s*\(\s*\)\s*$/.test(time)) ||
      (!isTest && (PAST_TIME.test(time) || (held !== undefined && fixed.has(held)))) ||
      (timeOf !== undefined && timeOf === bare(file)) ||
      (isStub && /^[\s(]{0,8}time\s*\(\s*\)\s*-/.test(time))
    );
  });
}

// A filter, servlet or listener added to the running application, or a virtual path
// provider registered, from a page: Servlet 3.0's addFilter("…") and Tomcat's own
// StandardContext calls, ASP.NET's hosting environment. Applications declare theirs in
// web.xml, annotations or start-up code; a page that adds one at request time leaves code
// behind in memory (a memory shell), which answers after the page is deleted.
const INSTALLS_INTO_RUNNING_APP =
  /\.\s*(?:addFilterDef|addFilterMap(?:Before)?|addServletMappingDecoded|addServletMapping|addApplicationEventListener)\s*\(|\.\s*(?:addFilter|addServlet)\s*\(\s*"|\bRegisterVirtualPathProvider\s*\(/;

// A raw socket set to receive every packet on its interface (SIO_RCVALL): a sniffer, which
// no page needs.
const RAW_SOCKET = /\bSocketType\.Raw\b/;
const RECEIVES_ALL = /\bIOControlCode\.ReceiveAll\b|\bSIO_RCVALL\b|\b0x98000001\b/i;

/**
 * A JSP or ASP.NET page as written and, when that finds no shell, with its strings as the
 * compiler sees them: names spelt as arrays, decoded from base64 or cut into pieces. Both,
 * because a name hidden that way is itself a disguise the written text's rules weigh.
 */
function judgeCompiled(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const written = judgeAsWritten(f, isInWebRoot);
  if (written?.severity === 'critical') return written;
  const folded = judgeAsWritten(f, isInWebRoot, { compiledStrings: true });
  if (!folded || SEVERITY_RANK[folded.severity] <= SEVERITY_RANK[written?.severity ?? 'info'])
    return written;
  return { ...folded, reason: `${folded.reason} (once its strings are joined and decoded)` };
}

/**
 * A page as written and, when that finds no shell, with its names in other scripts spelt in
 * ASCII (withAsciiNames): a name in Chinese is still a name its code sets and reads. Issue
 * 27: held-out pages in GBK and other legacy encodings were found less often than the rest.
 */
function judgeByNames(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const hit = judgeCompiled(f, isInWebRoot);
  if (hit?.severity === 'critical' || f.kind === 'D' || f.currentText === undefined) return hit;
  const renamed = withAsciiNames(f.currentText);
  if (renamed === undefined) return hit;
  const end = f.currentTextEnd === undefined ? undefined : withAsciiNames(f.currentTextEnd);
  const again = judgeAsWritten(
    { ...f, currentText: renamed, ...(end !== undefined ? { currentTextEnd: end } : {}) },
    isInWebRoot,
    { asciiNames: true },
  );
  if (!again || SEVERITY_RANK[again.severity] <= SEVERITY_RANK[hit?.severity ?? 'info']) return hit;
  return {
    ...again,
    // The ASCII names stand for the page's own: a reason shows them as "…".
    reason: `${again.reason.replace(ASCII_NAME, '…')} (once its names in other alphabets are read as names)`,
  };
}

/**
 * A page read as classic ASP (by its name or a directive) that holds PHP's code, read as PHP
 * too: IIS would show that code, but a server mapping the name to PHP runs it, and an ASP
 * directive must not hide it from the PHP rules.
 */
function judgeAspAsPhp(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const hit = judgeByNames(f, isInWebRoot);
  const text = f.currentText;
  if (
    (hit && SEVERITY_RANK[hit.severity] >= SEVERITY_RANK.high) ||
    text === undefined ||
    !hasPhpTag(text) ||
    !isClassicAsp(f.path, text)
  )
    return hit;
  const again = judgeAsWritten(f, isInWebRoot, { asPhp: true });
  if (!again || SEVERITY_RANK[again.severity] <= SEVERITY_RANK[hit?.severity ?? 'info']) return hit;
  return { ...again, reason: `${again.reason} (its PHP code, in a page named or marked as ASP)` };
}

function judgeByRules(f: ChangeFacts, isInWebRoot: boolean): RuleHit | undefined {
  const hit = judgeAspAsPhp(f, isInWebRoot);
  // A loader found running decoded data is still worked out: what the decoded code does is
  // the more precise reason.
  const isLoader = hit?.reason.endsWith('on decoded data');
  if ((hit?.severity === 'critical' && !isLoader) || f.kind === 'D' || f.currentText === undefined)
    return hit;
  if (!/<\?(?:php|=)?/i.test(f.currentText) && !/\.(?:php\d?|phtml|inc)$/i.test(f.path)) return hit;
  // Comments first: an apostrophe in one would be taken for a string's start.
  const code = withoutComments(f.currentText);
  const asPhp = isClassicAsp(f.path, f.currentText);
  const plain = judgeFolded(f, isInWebRoot, code, code, asPhp);
  // The constants a function's one call gives it (literal-arguments.ts), written in: taken
  // only when it finds more, so the rewrite can never lower a verdict.
  const given = withLiteralArguments(code);
  const withGiven = given === code ? undefined : judgeFolded(f, isInWebRoot, given, code, asPhp);
  const isPrecise = (h?: RuleHit) =>
    h?.severity === 'critical' && !h.reason.endsWith('on decoded data');
  const byGiven =
    !!withGiven &&
    (SEVERITY_RANK[withGiven.severity] > SEVERITY_RANK[plain?.severity ?? 'info'] ||
      (isPrecise(withGiven) && !isPrecise(plain)));
  const again = byGiven ? withGiven : plain;
  const isMorePrecise = isLoader && isPrecise(again);
  if (
    !again ||
    (!isMorePrecise && SEVERITY_RANK[again.severity] <= SEVERITY_RANK[hit?.severity ?? 'info'])
  )
    return hit;
  const how = byGiven ? 'the constants its functions are given and ' : '';
  return {
    ...again,
    reason: `${again.reason} (once ${how}its constant strings are worked out and decoded)`,
  };
}

/**
 * The verdict on a PHP page's code with its constant expressions worked out, when working
 * them out changed it from the page as written (`original`).
 */
function judgeFolded(
  f: ChangeFacts,
  isInWebRoot: boolean,
  code: string,
  original: string,
  asPhp: boolean,
): RuleHit | undefined {
  const { text: folded, decodedRunner } = foldedPhp(code);
  if (folded === original) return undefined;
  const judged = judgeAsWritten({ ...f, currentText: folded }, isInWebRoot, { asPhp });
  // Folding writes decoded code out as code: that a decoder made what eval() runs is said
  // here, as decodedRun() says it of the page as written.
  return decodedRunner && judged?.severity !== 'critical'
    ? {
        severity: 'critical',
        reason: `web shell pattern: ${decodedRunner}() on decoded data`,
        attack: 'T1505.003',
      }
    : judged;
}

interface Reading {
  /** 1 judges a page found inside another (carried to be written out), no deeper. */
  depth?: number;
  /**
   * A compiled page's strings read as its compiler joins and decodes them; a page of another
   * kind gets no verdict.
   */
  compiledStrings?: boolean;
  /**
   * The page's non-ASCII names spelt in ASCII (judgeByNames): a classic ASP page is judged
   * by its own rules only, which follow names; the others, read for PHP's signs (`$$x` is a
   * variable variable in PHP, nothing in VBScript), would find what the renaming made.
   */
  asciiNames?: boolean;
  /** Read as PHP though its name or a directive makes it a classic ASP page. */
  asPhp?: boolean;
}

/** A shell, Perl or Python script, not named as a page nor holding a page's code tags. */
function isScript(path: string, text: string): boolean {
  return (
    !!languageOf(path, text) &&
    !PAGE_NAME.test(path) &&
    !/<\?(?:php|=)|<%|<script\s+runat\s*=/i.test(text)
  );
}

function judgeAsWritten(
  f: ChangeFacts,
  isInWebRoot: boolean,
  { depth = 0, compiledStrings = false, asciiNames = false, asPhp = false }: Reading = {},
): RuleHit | undefined {
  if (f.kind === 'D' || f.currentText === undefined) return undefined;
  // Script Encoder blocks (VBScript.Encode, JScript.Encode), and pages IIS reads as UTF-7,
  // read as the code it will run.
  const written = isUtf7Page(f.currentText) ? decodeUtf7(f.currentText) : f.currentText;
  const isEncoded = hasEncodedScript(written);
  const source = isEncoded ? decodeEncodedScripts(written) : written;
  const isJava = /\.jspx?$/i.test(f.path) || /<%@\s*page\b[^%]{0,200}import=/i.test(source);
  const isAsp = !asPhp && isClassicAsp(f.path, source);
  // IIS runs a classic ASP page's `<% %>` blocks and server script elements; its other
  // <script> blocks are the browser's (a client-side eval() is no web shell).
  // JSP and ASP.NET pages likewise: their browser scripts are not the server's code.
  const isServerPage =
    !isAsp &&
    (isJava ||
      /\.(?:aspx|ascx|master)$/i.test(f.path) ||
      /<%@\s*(?:page|control|master)\b/i.test(source));
  const serverText = isServerPage
    ? serverPageText(isJava ? jspDocumentText(f.path, source) : source)
    : source;
  // JSP, ASP.NET pages, handlers and web services are compiled languages' pages.
  const isCompiled =
    isServerPage ||
    (!isAsp &&
      (/\.(?:ashx|asmx)$/i.test(f.path) || /<%@\s*(?:WebHandler|WebService)\b/i.test(source)));
  if (compiledStrings && !isCompiled) return undefined;
  const read = isJava ? javaUnescaped(serverText) : isAsp ? aspServerCode(source) : serverText;
  // Folded, .NET's `\u0052` escapes are read too (C# and JScript take them as Java does).
  const unfolded = compiledStrings
    ? foldCompiledStrings(isJava ? read : javaUnescaped(read))
    : read;
  // Comments out, in the language that runs the code (classic ASP's went per block). A
  // script is told by the code as written: what is taken out cannot make it one.
  const asScript = isScript(f.path, unfolded);
  const text = isAsp
    ? unfolded
    : asScript
      ? scriptWithoutComments(unfolded)
      : isServerPage
        ? serverCodeWithoutComments(unfolded, VB_PAGE.test(source))
        : withoutComments(unfolded);
  // A CGI script (shell, Perl, Python) that runs what the request sends, wherever it is named.
  const cgi = cgiRunsRequest(f.path, text, isInWebRoot);
  if (cgi)
    return { severity: 'critical', reason: `web shell pattern: ${cgi}`, attack: 'T1505.003' };
  // A shell, Perl or Python script is judged by the CGI rule above: PHP's signs (variable
  // functions, `$_`-only names, `$x(…)`) mean other things there. Named as a page or
  // holding a PHP tag, it is read as one (a Perl shell saved as .php runs as PHP's text).
  if (asScript)
    return COMMAND_SINK.test(text) && (isInWebRoot || SERVER_SCRIPT.test(f.path))
      ? {
          severity: 'medium',
          reason: `a script calling a command${isInWebRoot ? ' in a web-served location' : ''}`,
          attack: 'T1505.003',
        }
      : undefined;
  const jscript = serverJscriptRunner(f.currentText ?? text, text);
  if (jscript)
    return { severity: 'critical', reason: `web shell pattern: ${jscript}`, attack: 'T1505.003' };
  const asp = isAsp ? classicAspShell(foldVbStrings(text)) : undefined;
  if (asp)
    return {
      severity: 'critical',
      reason: `web shell pattern: ${asp}${isEncoded ? ' (decoded from the Script Encoder)' : ''}`,
      attack: 'T1505.003',
    };
  if (isAsp && asciiNames) return undefined;
  // Server-side code by its name or its markers; a web root's scripts and styles are the browser's.
  if (!SERVER_SCRIPT.test(f.path) && !PHP_OR_SCRIPT.test(text)) return undefined;
  // Variables the visitor sets (extract(), register_globals): PHP's only.
  const isPhp = isPhpText(f.path, text);
  const fromRequest = isPhp ? variablesFromRequest(text) : new Set<string>();
  const isPageScript =
    /\.(jspx?|aspx?|ashx|asmx|cer)$/i.test(f.path) || /<%@\s*(?:page|Page|WebHandler)\b/.test(text);
  const isVbNet = isPageScript && !isAsp && VB_PAGE.test(text);
  // ASP.NET's server controls read in code (`txtSql.Text`): what the visitor posted.
  const controls = isPageScript && !isJava && !isAsp ? controlValues(text) : undefined;
  // VB.NET reads the request through its default member too: `Request("c")`.
  const input =
    INPUT.test(text) ||
    fromRequest.size > 0 ||
    (isJava && EL_INPUT.test(text)) ||
    (isVbNet && VB_REQUEST.test(text)) ||
    !!controls?.test(text);
  const command = COMMAND_SINK.exec(text);
  const code = firstCodeSink(text);
  const sink = command ?? code;
  // What the sink is called in a reason: its function, or what an unnamed one runs (a
  // backtick run, a WScript.Shell by class id, an EL processor).
  const sinkName = sink ? (sink[1] ? `${sink[1]}()` : command ? 'a command' : 'code') : '';
  // PHP's variables are each function's own: request input is followed, and the sinks it
  // reaches are read, in a text where each function's names are its own (php-scopes.ts).
  const flow = isPhp && input ? withScopedNames(text) : text;
  // Names straight from the request choose what is called; the command a console builds
  // from them over a step or two is what its sinks run.
  const tainted = input ? new Set([...directlyTainted(flow), ...fromRequest]) : new Set<string>();
  const carried = input ? new Set([...taintedNames(flow), ...fromRequest]) : new Set<string>();
  const indirect = indirectExecution(flow, tainted);
  const disguises = disguisesIn(text);
  const strong = disguises.filter((d) => STRONG_DISGUISES.has(d));

  const commands = new Set([...text.matchAll(COMMAND_SINKS)].map((m) => m[1]).filter(Boolean));
  // Names holding invisible characters are read as a reader sees them, when there are any.
  const visible = withoutInvisible(text);
  const dynamic =
    ANY_DYNAMIC_CALL.test(text) ||
    (visible !== text && ANY_DYNAMIC_CALL.test(visible)) ||
    callsBackAVariable(text) ||
    (isPageScript && /\bget(?:Declared)?Method\s*\([^;\n]{0,200}\.invoke\s*\(/.test(text));

  const reasons: string[] = [];
  const decoded = decodedRun(text);
  if (decoded) reasons.push(`${decoded}() on decoded data`);
  // A JSP or ASP.NET page that runs commands and reads the request: pages do not, shells do.
  // Classic ASP is judged by where a runner's operand comes from (the ASP rules above):
  // JScript pages call eval() on their own numbers and dates, and `re.exec(s)` is a search.
  if (isPageScript && !isAsp && input && (command ?? code) && !reasons.length)
    reasons.push(`${sinkName} and request input in a server page`);
  if (
    isPageScript &&
    sink &&
    /["'](?:cmd(?:\.exe)?|\/bin\/(?:ba)?sh|powershell(?:\.exe)?)["']/i.test(text)
  )
    reasons.push('a server page that starts a shell');
  if (isPageScript && code && disguises.length)
    reasons.push(`${code[1] ?? 'code'}() on decoded input`);
  const fileTool = isPageScript && input ? fileToolOnInput(text, isJava) : undefined;
  if (fileTool) reasons.push(fileTool);
  const netTool = isPageScript && !isPhp && input ? netToolOnInput(text) : undefined;
  if (netTool) reasons.push(netTool);
  const windowsTool = isPageScript && !isPhp && !isJava ? windowsToolIn(text, input) : undefined;
  if (windowsTool) reasons.push(windowsTool);
  if (isPageScript && isVbNet && input && VB_SHELL.test(text))
    reasons.push("runs a program through VB's Shell() and reads the request");
  const tunnel = input ? tunnelToNamedHost(flow, carried, isPageScript) : undefined;
  if (tunnel) reasons.push(tunnel);
  const hidden = isPhp ? codeRunFromHiddenPlace(text) : undefined;
  if (hidden) reasons.push(hidden);
  if (isJava && TRUSTS_REMOTE_CODEBASE.test(text))
    reasons.push(
      'lets JNDI load classes from any server (trustURLCodebase set true): code run by lookup',
    );
  if (isJava && input && opensFromInput(text, NAMED_CODE))
    reasons.push('loads a class, a method or a JNDI name the visitor gives (Java run by name)');
  // The request's bytes decrypted, then code loaded or called: a shell whose commands come
  // as an encrypted .NET assembly (the Godzilla and Behinder families and their variants).
  if (isPageScript && !isJava && !isAsp && input && DECRYPTS.test(text) && LOADS_CODE.test(text))
    reasons.push('decrypts what the request sends and loads or calls it as .NET code');
  if (isPageScript && !isAsp && !isPhp && INSTALLS_INTO_RUNNING_APP.test(text))
    reasons.push(
      'adds a filter, servlet, listener or path provider to the running application (a memory shell)',
    );
  if (isPageScript && RAW_SOCKET.test(text) && RECEIVES_ALL.test(text))
    reasons.push("captures the network's traffic (a raw socket set to receive every packet)");
  if (isPageScript && CARRIED_CLASS.test(text))
    reasons.push('a compiled Java class carried in the page, to be loaded at run time');
  if (
    input &&
    ((isPageScript && SQL_FROM_INPUT.test(text)) ||
      runsTypedSql(text) ||
      (isJava &&
        (givenWholeParameter(text, JDBC_SQL) || givenWholeParameter(text, JDBC_CONNECTS))) ||
      (isPageScript && !isJava && givenWholeParameter(text, ADO_SQL)) ||
      sqlFromControl(text, controls))
  )
    reasons.push('runs the SQL or connects to the database the visitor types (a database console)');
  if (scansForWritableFolders(flow, carried))
    reasons.push("walks the server's folders to find the ones it can write to");
  if (input && mailsListFromRequest(flow, carried))
    reasons.push('mails each address of a list the visitor gives (a mass mailer)');
  else if (input && relaysMailFromRequest(flow, carried))
    reasons.push('mails whom the visitor names, as whom they name, what they write (a spam relay)');
  const attack = input ? attackOnNamedHosts(flow, carried) : undefined;
  if (attack === 'flood')
    reasons.push('connects to a host the visitor names over and over, without end (a flooder)');
  else if (attack === 'scan')
    reasons.push('connects to each host or port of a range the visitor gives (a port scanner)');
  const bypass = bypassesLimits(flow, input, carried);
  if (bypass) reasons.push(bypass);
  if (talksToServUAdmin(text))
    reasons.push(
      "sends Serv-U's administration commands: an FTP account over the whole disk, commands run as the service (a privilege escalation)",
    );
  if (isPhp && addsFixedAdministrator(text))
    reasons.push('adds an administrator whose name and password it spells out (a CMS backdoor)');
  else if (isPhp && addsAdministratorUnasked(text))
    reasons.push(
      "makes an account it or the visitor names a WordPress administrator, checking no one's rights (a backdoor account)",
    );
  if (isPhp && logsInAsAdministrator(text))
    reasons.push(
      'logs its visitor into WordPress as an administrator, checking no password (a login backdoor)',
    );
  if (isPhp && hidesUserFromList(text))
    reasons.push(
      "hides an account it names from WordPress's list of users (a backdoor's administrator)",
    );
  if (isPhp && hidesPluginFromList(text))
    reasons.push("hides itself from WordPress's list of plugins (a backdoor plugin)");
  const downloaded = downloadedCode(text);
  if (downloaded.isRun)
    reasons.push('runs code it downloads (eval, or include of a URL or of the file it wrote)');
  if (
    /\b(?:include|require)(?:_once)?\s*(?:\(\s*)?['"]?(?:php:\/\/input|data:)|\b(?:include|require)(?:_once)?\s*(?:\(\s*)?@?\$_(?:GET|POST|REQUEST|COOKIE|FILES)\b/.test(
      text,
    )
  )
    reasons.push('includes code sent in the request');
  else if (includesUpload(flow))
    reasons.push('includes the file the visitor uploads (the upload run as PHP)');
  else if (includesRequestValue(flow))
    reasons.push('includes a file the visitor names (any file on the server run as PHP)');
  // include "…/favicon_1a3f84.ico": code kept in a file named as an image, for a loader to run.
  const unescaped = unescapePhp(text);
  const includedNames = [
    ...unescaped.matchAll(/\b(?:include|require)(?:_once)?[\s(@]{0,8}(['"])([^'"\n]{1,300})\1/gi),
  ]
    .slice(0, 200)
    .map((m) => m[2]!);
  // The path may be built: `include($_SERVER['DOCUMENT_ROOT'] . "/…/logo.png")`, then the
  // literal its statement ends with names the file.
  const includeStatements = [...unescaped.matchAll(/\b(?:include|require)(?:_once)?\b/gi)]
    .slice(0, 200)
    .map((m) => {
      const rest = unescaped.slice(m.index! + m[0].length, m.index! + m[0].length + 300);
      return rest.slice(0, Math.max(0, rest.indexOf(';')));
    });
  const builtNames = includeStatements.map(
    (statement) => /(['"])([^'"\n]{1,200})\1[\s)]{0,6}$/.exec(statement)?.[2] ?? '',
  );
  const hiddenInclude = [...includedNames, ...builtNames].find((n) =>
    /\.(?:ico|png|jpe?g|gif|bmp|webp)$/i.test(n),
  );
  if (hiddenInclude)
    reasons.push(`includes code kept in a file named as an image (${hiddenInclude.slice(-60)})`);
  if (isPhp && EVALUATES_NAMED_FILE.test(text))
    reasons.push('evaluates the text of a file it names (code kept where no include shows it)');
  // include 'phar://readme.txt/x.php', include('log.zip'): code kept in an archive named as
  // something else. (A library shipped as a .phar is included by that name: aws.phar.) The
  // name may come later in the statement: `'phar://' . __DIR__ . '/codecept.phar/…'`
  // (Codeception's c3.php) names one; `'phar://' . __FILE__ . '/bin/x'` is the page itself.
  let pharNames: Set<string> | undefined;
  const archived =
    includedNames.find(
      (n) =>
        (/^phar:\/\/./i.test(n) && !/^phar:\/\/[^\n]{0,200}?\.phar(?:\/|$)/i.test(n)) ||
        /\.(?:zip|rar|gz|tar)$/i.test(n),
    ) ??
    includeStatements.find(
      (st) =>
        /^[\s(@]{0,8}(['"])phar:\/\/\1/i.test(st) &&
        !/\.phar\//i.test(st) &&
        !(pharNames ??= namesSetToPhar(unescaped)).has(PHAR_THROUGH_VARIABLE.exec(st)?.[2] ?? ''),
    );
  if (isPhp && archived)
    reasons.push(
      `includes code kept in an archive named as something else (${archived.replace(/\s+/g, ' ').trim().slice(-60)})`,
    );
  // include("\167\160\55…"): a path hidden from a reader in escapes.
  else if (isPhp && INCLUDES_ESCAPED_PATH.test(text))
    reasons.push('includes a file whose name it writes in escapes (a path hidden from a reader)');
  if (isPhp && backdatesFile(text))
    reasons.push("sets a file's modification time back (hides what it planted or changed)");
  if (isPhp && downloadsAndRuns(text))
    reasons.push('downloads a program with wget or curl and runs it (a dropper)');
  else if (isPhp && startsDroppedProgram(text))
    reasons.push('makes a program beside it executable and starts it in the background');
  if (isPhp && wipesTraces(text))
    reasons.push("deletes the system's logs or a shell's history (hides an intrusion)");
  const writer =
    /\b(?:file_put_contents|fopen|copy|move_uploaded_file)\s*\(\s*@?\$_(?:GET|POST|REQUEST|COOKIE)\b/.exec(
      text,
    );
  if (writer)
    reasons.push(
      `writes a file the visitor names (${writer[0].slice(0, writer[0].indexOf('(')).trimEnd()})`,
    );
  if (input && writesRequestToNamedFile(flow))
    reasons.push('writes what the visitor sends into a file the visitor names (an uploader)');
  if (input && includesWhatItWrote(flow, carried))
    reasons.push('writes request input into a file and includes it (the request run as PHP)');
  if (input && writesRequestIntoServerPage(flow))
    reasons.push('writes what the visitor sends, whole, into a server page it names (a dropper)');
  if (input && splFileWritten(flow, carried))
    reasons.push('writes a file the visitor names (SplFileObject)');
  if ((UPLOAD_AS_SENT.test(text) || savesUploadAsSent(flow)) && !recordsSavedUpload(flow))
    reasons.push('saves an upload under the name the visitor gave');
  if (savesUploadAsPage(flow))
    reasons.push('saves an upload as a server page it names (a dropper)');
  if (writesEncodedPhp(text)) reasons.push('writes PHP code it carries encoded (a dropper)');
  if (isPhp && command && writesCarriedProgram(text))
    reasons.push('writes out a program it carries base64-encoded, and runs a program (a dropper)');
  if (downloaded.isSavedAsPage)
    reasons.push('saves code it downloads as a server page or CGI script (a dropper)');
  const droppedShell = depth === 0 ? carriedShell(f, text, isAsp, isInWebRoot) : undefined;
  if (droppedShell) reasons.push(`writes out a web shell it carries (${droppedShell})`);
  const started = writesAndRuns(text);
  if (started) reasons.push(`writes a program and runs it (${started.slice(-60)}: a dropper)`);
  if ((sink || dynamic) && SELF_DELETE.test(text) && KEEPS_RUNNING.test(text))
    reasons.push('deletes its own file and keeps running (a memory-resident shell)');
  const fileOps = input ? fileOperationsOnInput(flow, carried) : [];
  if (isPhp && input && printsNamedFile(flow))
    reasons.push('prints any file the visitor names, whole (a file reader)');
  if (input && browsesFiles(flow, carried))
    reasons.push('a file browser: lists any folder and hands out any file the visitor names');
  if (fileOps.length >= 3)
    reasons.push(`a file manager: ${fileOps.join(', ')} on paths from the request`);
  if (DECODED_INTO_SESSION.test(text))
    reasons.push('keeps decoded request input in the session (half of a two-stage shell)');
  const xpath = XPATH_PHP_CALL.exec(text);
  if (xpath) reasons.push(`an XPath expression that calls ${xpath[1]}()`);
  if (XSLT_SCRIPT_RUNS.test(text))
    reasons.push('an XSLT script block that starts a process or evaluates code');
  if (XSLT_JAVA_RUNS.test(text))
    reasons.push(
      'an XSLT stylesheet binding java.lang.Runtime or ProcessBuilder (a transform that starts processes)',
    );
  if (
    isJava &&
    input &&
    OPENS_PRIVATE_MEMBERS.test(text) &&
    callGivenInput(text, SETS_OR_CALLS_MEMBER)
  )
    reasons.push("opens a class's private members by reflection and hands them the request");
  if (isPhp && CALLS_ELEMENT_WITH_ELEMENT.test(text))
    reasons.push(
      'calls one element of an array it names at run time with another (the request under a computed name)',
    );
  if (isPhp && JOINED_NAME_CALLED_ON_INPUT.test(text))
    reasons.push('a name joined from pieces, called on request input');
  const evaluator = isPageScript && input ? TEXT_EVALUATORS.exec(text) : null;
  if (evaluator)
    reasons.push(
      `evaluates or compiles code from text, and reads the request (${evaluator[0].replace(/[\s(.]+$/, '')})`,
    );
  if (
    isPageScript &&
    input &&
    (callGivenInput(text, READS_OBJECTS) ||
      (TYPE_NAMING_FORMATTER.test(text) && callGivenInput(text, DESERIALIZES)))
  )
    reasons.push('reads objects or loads classes from what the request sends (deserialization)');
  if (isPageScript && !isJava && input && callGivenInput(text, PARSES_CONTROLS))
    reasons.push('builds server controls from markup the request sends (ParseControl)');
  if (isJava && DEFINES_CLASS_BY_REFLECTION.test(text))
    reasons.push('defines a class from bytes through reflection (code loaded at run time)');
  if (isJava && isPageScript && MAKES_CLASS_LOADER.test(text) && LOADS_AND_CALLS.test(text))
    reasons.push(
      'makes a class loader of its own and calls into a class it loads (code brought in at run time)',
    );
  if (
    isJava &&
    isPageScript &&
    DECLARES_CLASS_LOADER.test(text) &&
    DEFINES_CLASS.test(text) &&
    INSTANTIATES_OR_CALLS.test(text)
  )
    reasons.push(
      'declares a class loader that makes classes of bytes, and runs one (code brought in at run time)',
    );
  if (isJava && isPageScript && input && compilesSentStylesheet(text))
    reasons.push(
      'compiles an XSLT stylesheet the request sends (its extension functions call any Java class)',
    );
  if (isPageScript && !isJava && RUNS_MACHINE_CODE.test(text) && STARTS_THREAD_IN_IT.test(text))
    reasons.push(
      'makes memory executable and starts a thread in it (machine code run from a page)',
    );
  if (
    isPageScript &&
    !isJava &&
    DECLARES_NATIVE_PROCESS.test(text) &&
    DECLARES_NATIVE_SOCKET.test(text)
  )
    reasons.push(
      "declares Windows' process and socket calls together (a shell over a socket, from a page)",
    );
  if (isJava && CLEARS_FINAL.test(text) && /["']modifiers["']/.test(text))
    reasons.push(
      "clears a field's final modifier by reflection (rewrites the running server's constants)",
    );
  if (isJava && WALKS_SERVER_THREADS.test(text) && /\.setAccessible\s*\(\s*true/.test(text))
    reasons.push(
      "walks the server's threads through private fields to reach the requests they serve (a memory-resident shell)",
    );
  if (isJava && CONTAINER_CONTEXT.test(text) && REGISTERS_HANDLER.test(text))
    reasons.push(
      'adds a filter, servlet, listener, valve or WebSocket endpoint to the running server (a memory-resident shell)',
    );
  if (isPageScript && !isAsp && input && PROCESS_CLASS_NAMED.test(text))
    reasons.push('names a process runner in a string, for reflection to reach (run by name)');
  else if (isPageScript && !isAsp && input && PROCESS_TYPE.test(text) && START_BY_NAME.test(text))
    reasons.push('looks up Process.Start by its name, for reflection to call (run by name)');
  if (isJava && EL_OPENS.test(text) && EL_NAMED_CALL.test(text))
    reasons.push('an EL expression calling a method the request names');
  if (IIS_METABASE_PASSWORDS.test(text))
    reasons.push("reads the passwords IIS keeps for its sites (the metabase's *UserPass)");
  if (isPageScript && command && PROGRAM_AMONG_PAGES.test(text))
    reasons.push("starts a program kept among the site's pages");
  // File managers and command consoles (c99, r57…): several ways to run commands, and a form.
  if (input && commands.size >= 3)
    reasons.push(`a command runner: ${[...commands].join(', ')} and request input`);
  const onInput =
    input || (isPhp && FRAMEWORK_REQUEST_VALUE.test(text))
      ? (sinkOnInput(flow, COMMAND_SINKS, carried) ?? sinkOnInput(flow, CODE_SINKS, carried))
      : undefined;
  const throughWrapper =
    input && !onInput
      ? (wrappedSinkOnInput(flow, carried) ?? calleeRelayedOnInput(flow, carried))
      : undefined;
  if (onInput) reasons.push(`${onInput}() on request input`);
  else if (throughWrapper) reasons.push(throughWrapper);
  else if (input && sink && near(text, INPUT, command ? COMMAND_SINK : CODE_SINK))
    reasons.push(`${sinkName} on request input`);
  if (indirect) reasons.push(indirect);
  if ((sink || indirect || dynamic) && (strong.length || (sink && disguises.length >= 2)))
    reasons.push(`${sinkName || 'code run'} hidden by ${disguises.join(', ')}`);
  else if (strong.length >= 2 && (input || /\$\w+\s*\(/.test(text)))
    reasons.push(`heavily disguised (${disguises.join(', ')})`);
  if (reasons.length)
    return {
      severity: 'critical',
      reason: `web shell pattern: ${unscoped(reasons.join('; '))}`,
      attack: 'T1505.003',
    };
  // Most of it one encoded blob: what it runs is hidden from a reader (and from this sample).
  if (
    PHP_OR_SCRIPT.test(text) &&
    longestRun(text, isBlobChar) >= 20000 &&
    (longestRun(text, isBase64Char) >= 4000 ||
      /(?:['"][A-Za-z0-9+/=]{50,}['"]\s*\.\s*){100,}/.test(text))
  )
    return {
      severity: 'high',
      reason: 'server-side code that is mostly one encoded blob: what it runs is hidden',
      attack: 'T1505.003',
    };
  if (isPhp && carriesProgram(text))
    return {
      severity: 'high',
      reason:
        "server-side code carrying a Windows or Linux program as base64 (a dropper's payload)",
      attack: 'T1027.009',
    };
  if (isPhp && logsInputIntoImage(text))
    return {
      severity: 'high',
      reason:
        "server-side code writing what visitors submit into a file named as an image (a skimmer's hidden log)",
      attack: 'T1056.003',
    };
  if (isPhp && cloaksForCrawlers(text))
    return {
      severity: 'high',
      reason:
        "server-side code printing another host's content to search engines' crawlers alone (SEO cloaking: the site's name lent to someone's links)",
      attack: 'T1608.006',
    };
  if (isPhp && guessesPasswords(text))
    return {
      severity: 'high',
      reason:
        'server-side code handing each word of a list to a login as its password (a password guesser)',
      attack: 'T1110.001',
    };
  if (sendsAccountList(text))
    return {
      severity: 'high',
      reason:
        "server-side code sending the server's account list (/etc/passwd or a host's user files) to the visitor (a reconnaissance page)",
      attack: 'T1505.003',
    };
  if (runsProbeCommand(text, isPhp))
    return {
      severity: 'high',
      reason:
        'server-side code running a shell or a discovery command written into it (a check that commands run, or a shell)',
      attack: 'T1505.003',
    };
  // A library calling these is common: worth a look, not an alarm.
  if (sink && (isInWebRoot || SERVER_SCRIPT.test(f.path)))
    return {
      severity: 'medium',
      reason: `server-side code calling ${sinkName}${isInWebRoot ? ' in a web-served location' : ''}`,
      attack: 'T1505.003',
    };
  return undefined;
}
