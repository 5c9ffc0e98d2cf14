/**
 * A PHP database console: a page that runs, as its SQL, what the visitor typed. Applications
 * splice request values into SQL text they write (`"SELECT … WHERE id = " . $_GET['id']`),
 * an installer creates the database the form names; a console passes the visitor's text on
 * whole. Issue 27: database consoles were caught only by their likeness to known shells.
 */
import { callArgs } from './code-text.js';
import { carriesInput } from './request-flow.js';

// PHP's query calls, as functions and as methods (mysqli, PDO, a wrapper's `->query()`); the
// name of the group that matched tells where the SQL is.
const QUERY =
  /(?<![\w$>:]|::|function\s)\b(?:(mysql_query|mysql_unbuffered_query|mssql_query|sqlite_query|pg_send_query)|(mysql_db_query|mysqli_(?:multi_|real_)?query|sqlsrv_query|oci_parse)|(pg_query))\s*\(|->\s*(?:multi_|real_)?(?:query|exec|prepare)\s*\(/gi;

// SQL text the page writes itself, around whatever it splices in.
const WRITTEN_SQL =
  /['"][^'"\n]{0,40}\b(?:select|insert|update|delete|create|drop|show|use|grant|alter|describe|set)\b/i;

// Escaping a value for SQL marks it as a value spliced into the page's own SQL.
const ESCAPED = /\b(?:addslashes|mysql_real_escape_string|mysqli_real_escape_string|intval)\s*\(/i;

/** True when a query call's SQL is the visitor's text alone (`mysql_query($_POST['sql'])`). */
export function runsTypedSql(text: string, tainted: ReadonlySet<string>): boolean {
  return [...text.matchAll(QUERY)].slice(0, 200).some((m) => {
    const args = callArgs(text, m.index! + m[0].length - 1);
    // pg_query takes the connection first only when it is given two arguments.
    const sql = m[2] || (m[3] && args.length > 1) ? args[1] : args[0];
    return (
      sql !== undefined &&
      !WRITTEN_SQL.test(sql) &&
      !ESCAPED.test(sql) &&
      carriesInput(sql, tainted)
    );
  });
}
