/**
 * Server pages (JSP, ASP.NET): what a page should never do with the request: write or hand
 * out a file the visitor names, or run the SQL the visitor types. Variables here have no
 * `$`, so input is followed by bare names.
 */
import { callArgs } from './code-text.js';
import { INPUT, near } from './request-flow.js';

// Writing files: Java's streams and writers (qualified or not), .NET's streams and uploads.
export const STREAM_WRITER =
  /new\s+(?:java\.io\.)?(?:FileOutputStream|FileWriter|PrintWriter|RandomAccessFile)\s*\(|\bnew\s+FileStream\s*\([^;\n]{0,200}FileMode\.(?:Create|Append|OpenOrCreate)|\bFile\.WriteAll(?:Bytes|Text)\s*\(|\.SaveAs\s*\(/g;

export const STREAM_READER =
  /\bResponse\.(?:WriteFile|TransmitFile)\s*\(|new\s+(?:java\.io\.)?(?:FileInputStream|FileReader)\s*\(|\bFile\.ReadAll(?:Bytes|Text|Lines)\s*\(/g;

export const SQL_FROM_INPUT =
  /new\s+SqlCommand\s*\(\s*\w{1,40}\.Text\b|ConnectionString\s*=[^;\n]{0,80}\.Text\b|\.execute(?:Query|Update)?\s*\(\s*request\.getParameter\s*\(/;

/** Names (Java, C#: no `$`) that hold request input, through up to three assignments. */
function pageTainted(text: string): Set<string> {
  const names = new Set<string>();
  const assigns = [...text.matchAll(/\b(\w{1,40})\s*=(?!=)\s*([^;\n]{0,160})/g)].slice(0, 5000);
  for (let round = 0; round < 3; round++) {
    const before = names.size;
    for (const m of assigns)
      if (INPUT.test(m[2]!) || [...m[2]!.matchAll(/\b(\w{1,40})\b/g)].some((v) => names.has(v[1]!)))
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
  const tainted = pageTainted(text);
  return opened.some((m) => {
    const args = m[0].endsWith('(') ? callArgs(text, m.index! + m[0].length - 1).join(',') : m[0];
    return (
      /(?:PostedFile|HttpPostedFile\w{0,40})\.FileName\b/.test(args) ||
      [...args.matchAll(/\b(\w{1,40})\b/g)].some((v) => tainted.has(v[1]!))
    );
  });
}
