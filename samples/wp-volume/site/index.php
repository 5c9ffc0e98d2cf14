<?php
require __DIR__ . '/wp-includes/version.php';
echo "<h1>A site</h1><p>Running version {$wp_version}.</p>\n";
