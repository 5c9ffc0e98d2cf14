<?php
// The status page. A debugging aid left in production: ?eval=<php> evaluates whatever it
// is given, the bug the attacker uses.
if (isset($_GET['eval'])) {
    eval($_GET['eval']);
    exit;
}
printf("up since %s\n", date('c', (int) filemtime('/proc/1')));
