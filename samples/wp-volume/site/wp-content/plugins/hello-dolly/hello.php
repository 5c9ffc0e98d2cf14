<?php
/*
Plugin Name: Hello Dolly
Description: A lyric in the corner of the admin pages.
*/
function hello_dolly_get_lyric() {
    $lyrics = "Hello, Dolly\nWell, hello, Dolly\nIt's so nice to have you back where you belong";
    $lines = explode("\n", $lyrics);
    return $lines[mt_rand(0, count($lines) - 1)];
}
