/**
 * PHP database consoles (issue 27, tuning side): a page that runs the visitor's text as its
 * SQL is a console; one that splices request values into SQL it writes, or creates the
 * database an install form names, is an application.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('database consoles', () => {
  it('ranks a page running the SQL the visitor typed, through a variable, critical', () => {
    const console = `<?php
$link = mysqli_connect($_POST['host'], $_POST['user'], $_POST['pass']);
$sql = stripslashes($_POST['sql']);
$result = mysqli_query($link, $sql);
while ($row = mysqli_fetch_row($result)) echo '<tr><td>' . implode('</td><td>', $row);
`;
    expect(topFinding('/var/www/html/db.php', console)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/database console/),
    });
  });

  it('ranks a PostgreSQL console through pg_query with a connection critical', () => {
    const console = `<?php
$c = pg_connect("host=localhost dbname=" . $_GET['db']);
$q = $_POST['q'];
$r = pg_query($c, $q);
`;
    expect(isAlarm('/var/www/html/pg.php', console)).toBe(true);
  });

  it('follows the SQL through a default for an empty form, a copy and a string holding it alone', () => {
    const console = `<?php
$pgquery = $_POST['pgsql'] ? $_POST['pgsql'] : 'select version()';
$pgquery = stripslashes($pgquery);
$q = $pgquery;
$r = pg_query("$q");
`;
    expect(isAlarm('/var/www/html/pg2.php', console)).toBe(true);
  });

  it('does not alarm on request values spliced into SQL the page writes', () => {
    const page = `<?php
$id = $_GET['id'];
$db = new mysqli('localhost', 'app', 'secret', 'shop');
$r = $db->query("SELECT name, price FROM items WHERE id = " . $id);
$s = mysqli_query($db, 'UPDATE hits SET n = n + 1 WHERE page = ' . $_GET['page']);
$where = 'SELECT * FROM ' . $db->escape($_POST['table']) . ' WHERE ' . $_POST['where_clause'];
$rows = $this->dbi->query($where . ';');
`;
    expect(isAlarm('/var/www/html/item.php', page)).toBe(false);
  });

  it("does not alarm on another object's query() given a type and a query from the request", () => {
    const page = `<?php
$type = $_GET['type'];
$query = str_replace('\\n', "\n", $_GET['query']);
if (!preg_match('/^GET\s([a-z]+)\n/', $query)) throw new Exception('Invalid livestatus query.');
echo json_encode($backend->query($type, $query));
`;
    expect(isAlarm('/var/www/html/std_lq.php', page)).toBe(false);
  });

  it('does not alarm on an installer creating the database its form names', () => {
    const installer = `<?php
$link = mysqli_connect($_POST['host'], $_POST['name'], $_POST['pass']);
mysqli_query($link, "CREATE DATABASE " . $_POST['database'] . " CHARACTER SET utf8");
mysqli_query($link, "USE " . $_POST['database']);
mysqli_query($link, "GRANT ALL PRIVILEGES ON " . mysqli_real_escape_string($link, $_POST['database']) . ".* TO app");
`;
    expect(isAlarm('/var/www/html/install.php', installer)).toBe(false);
  });
});
