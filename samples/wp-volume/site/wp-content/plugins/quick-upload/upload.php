<?php
/*
Plugin Name: Quick Upload
Description: Saves a file posted to it into the uploads folder. It trusts ?name=,
so ../ reaches the whole web root: the bug the attacker uses.
*/
$name = $_GET['name'] ?? '';
if ($name === '' || $_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(400);
    exit('POST a file with ?name=');
}
file_put_contents(__DIR__ . '/../../uploads/' . $name, file_get_contents('php://input'));
echo "saved\n";
