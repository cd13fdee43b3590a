<?php
// Reads one query a line on stdin (`ENCODED_NAME=x`, as the rewrite writes a pair) and
// prints, a line each, the key PHP's own parse_str reads it as, in hex ("-" for none).
// Used by tests/it/names.rs: what a PHP IdP (WordPress.com) makes of a configured name.
while (($line = fgets(STDIN)) !== false) {
    $out = [];
    parse_str(rtrim($line, "\n"), $out);
    $keys = array_keys($out);
    echo count($keys) === 0 ? "-" : bin2hex((string) $keys[0]), "\n";
}
