<?php
// The application behind Apache: it knows nothing about CORS (Apache's
// mod_headers adds those headers) and, like many REST routers, answers 405
// to methods it has no route for, OPTIONS included.
if (!in_array($_SERVER['REQUEST_METHOD'], ['GET', 'HEAD', 'POST', 'PUT'], true)) {
    http_response_code(405);
    header('Allow: GET, HEAD, POST, PUT');
    exit;
}
header('Content-Type: application/json');
header('X-Total-Count: 2');
echo '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}';
