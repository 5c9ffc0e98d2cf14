<?php
/** The version of this site's core. */
$wp_version = '6.1.1';
$wp_db_version = 53496;
