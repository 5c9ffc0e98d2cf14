/**
 * Server pages (JSP, ASP.NET): what a page should never do with the request: write or hand
 * out a file the visitor names, or run the SQL the visitor types. Variables here have no
 * `$`, so input is followed by bare names.
 */
import { callArgs } from './code-text.js';
import { INPUT, near } from './request-flow.js';

// Writing files: Java's streams and writers (qualified or not, a log handler's file too), .NET's streams, writers
// (VB's names in any case), and uploads.
export const STREAM_WRITER =
  /new\s+(?:java\.io\.)?(?:FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(|\bnew\s+(?:java\.util\.logging\.)?FileHandler\s*\(|\bnew\s+(?:System\.IO\.)?FileStream\s*\([^;\n]{0,200}FileMode\.(?:Create|Append|OpenOrCreate)|\bnew\s+(?:System\.IO\.)?StreamWriter\s*\(|\bFile\.(?:WriteAll(?:Bytes|Text|Lines)|AppendAll(?:Text|Lines))\s*\(|\.SaveAs\s*\(/gi;

export const STREAM_READER =
  /\bResponse\.(?:WriteFile|TransmitFile)\s*\(|new\s+(?:java\.io\.)?(?:FileInputStream|FileReader)\s*\(|\bFile\.ReadAll(?:Bytes|Text|Lines)\s*\(/g;

export const SQL_FROM_INPUT =
  /new\s+SqlCommand\s*\(\s*\w{1,40}\.Text\b|ConnectionString\s*=[^;\n]{0,80}\.Text\b|\.execute(?:Query|Update)?\s*\(\s*request\.getParameter\s*\(/;

/**
 * What the visitor typed into the page's own text boxes (`<asp:TextBox id="T1" …>` read as
 * `T1.Text` or `this.T1.Text`): a form field, as much request input as `Request.Form`.
 */
function textBoxInput(text: string): RegExp | undefined {
  const ids = [...text.matchAll(/<asp:TextBox\b[^>]{0,400}?\bid\s*=\s*["']?(\w{1,40})/gi)].map(
    (m) => m[1]!,
  );
  return ids.length
    ? new RegExp(String.raw`\b(?:${[...new Set(ids)].slice(0, 50).join('|')})\.Text\b`)
    : undefined;
}

// A FileInfo the page creates, in a page that opens one for writing.
const FILE_INFO = /\bnew\s+(?:System\.IO\.)?FileInfo\s*\(/gi;
const FILE_INFO_WRITTEN = /\.(?:CreateText|AppendText|OpenWrite)\s*\(\s*\)/;

/** A page writing a file whose name or content the request gave (streams, writers, FileInfo). */
export function writesFromInput(text: string): boolean {
  return (
    opensFromInput(text, STREAM_WRITER) ||
    (FILE_INFO_WRITTEN.test(text) && opensFromInput(text, FILE_INFO))
  );
}

// Java run by a name: a class loaded, a method looked up, a JNDI name resolved (a remote
// class for the JDK to load), each given by the visitor in a page.
export const NAMED_CODE =
  /\bClass\.forName\s*\(|\.loadClass\s*\(|\.get(?:Declared)?Method\s*\(|\.lookup\s*\(/g;

/** Names (Java, C#: no `$`) that hold request input, through up to three assignments. */
function pageTainted(text: string, boxes?: RegExp): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\b(\w{1,40})\s*=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns)
      if (
        INPUT.test(m[2]!) ||
        boxes?.test(m[2]!) ||
        [...m[2]!.matchAll(/\b(\w{1,40})\b/g)].some((v) => names.has(v[1]!))
      )
        names.add(m[1]!);
    if (names.size === before) break;
  }
  return names;
}

/** A page opening a file (`calls`) whose name or content the request gave. */
export function opensFromInput(text: string, calls: RegExp): boolean {
  const opened = [...text.matchAll(calls)].slice(0, 100);
  if (opened.length === 0) return false;
  if (near(text, INPUT, calls)) return true;
  const boxes = textBoxInput(text);
  const tainted = pageTainted(text, boxes);
  return opened.some((m) => {
    const open = m.index! + m[0].indexOf('(');
    const args = open >= m.index! ? callArgs(text, open).join(',') : m[0];
    return (
      /(?:PostedFile|HttpPostedFile\w{0,40})\.FileName\b/.test(args) ||
      !!boxes?.test(args) ||
      [...args.matchAll(/\b(\w{1,40})\b/g)].some((v) => tainted.has(v[1]!))
    );
  });
}
