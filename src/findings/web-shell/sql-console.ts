/**
 * A PHP database console: a page that runs, as its SQL, what the visitor typed. Applications
 * splice request values into SQL text they write (`"SELECT … WHERE id = " . $_GET['id']`),
 * an installer creates the database the form names; a console passes the visitor's text on
 * whole: the query's SQL is the request's value as sent, or a variable holding it. Issue 27:
 * database consoles were caught only by their likeness to known shells.
 */
import { callArgs } from './code-text.js';
import { heldVariable, isRawRequestValue, requestValueHolders } from './request-flow.js';

// PHP's query calls, as functions and as methods (mysqli, PDO, a wrapper's `->query()`); the
// name of the group that matched tells where the SQL is.
const QUERY =
  /(?<![\w$>:]|::|function\s)\b(?:(mysql_query|mysql_unbuffered_query|mssql_query|sqlite_query|pg_send_query)|(mysql_db_query|mysqli_(?:multi_|real_)?query|sqlsrv_query|oci_parse)|(pg_query))\s*\(|->\s*(?:multi_|real_)?(?:query|exec|prepare)\s*\(/gi;

/** True when a query call's SQL is the visitor's text alone (`mysql_query($_POST['sql'])`). */
export function runsTypedSql(text: string): boolean {
  const calls = [...text.matchAll(QUERY)].slice(0, 200);
  if (calls.length === 0) return false;
  const holders = requestValueHolders(text);
  return calls.some((m) => {
    const args = callArgs(text, m.index! + m[0].length - 1);
    // A method given more than the SQL is some other object's query (`$backend->query($type,
    // $query)`): mysqli's and PDO's take the SQL alone, as consoles call them.
    const isMethod = m[0].startsWith('->');
    if (isMethod && args.length !== 1) return false;
    // pg_query takes the connection first only when it is given two arguments.
    const sql = (m[2] || (m[3] && args.length > 1) ? args[1] : args[0])?.trim();
    if (sql === undefined) return false;
    const held = heldVariable(sql);
    return isRawRequestValue(sql) || (held !== undefined && holders.has(held));
  });
}
