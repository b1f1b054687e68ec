<?php
// A PHP API that sets its CORS headers itself with header(), one scenario
// per path prefix (/correct/items, /wildcard-credentials/items, ...).
$allowed = ['http://localhost:8080'];
$origin = $_SERVER['HTTP_ORIGIN'] ?? '';
$method = $_SERVER['REQUEST_METHOD'];
$preflight = $method === 'OPTIONS' && isset($_SERVER['HTTP_ACCESS_CONTROL_REQUEST_METHOD']);
$scenario = explode('/', trim(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH), '/'))[0];

function items() {
    header('Content-Type: application/json');
    header('X-Total-Count: 2');
    echo '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}';
}

switch ($scenario) {
case 'correct':
case 'method-not-allowed':
case 'header-not-allowed':
case 'no-expose':
case 'no-credentials':
    if (in_array($origin, $allowed, true)) {
        header("Access-Control-Allow-Origin: $origin");
        if ($scenario !== 'no-credentials') {
            header('Access-Control-Allow-Credentials: true');
        }
    }
    header('Vary: Origin');
    if ($preflight) {
        header('Access-Control-Allow-Methods: ' . ($scenario === 'method-not-allowed' ? 'GET, POST' : 'GET, POST, PUT'));
        header('Access-Control-Allow-Headers: ' . ($scenario === 'header-not-allowed' ? 'Content-Type' : 'Content-Type, X-Client-Version'));
        http_response_code(204);
        exit;
    }
    if ($scenario !== 'no-expose') {
        header('Access-Control-Expose-Headers: X-Total-Count');
    }
    items();
    break;

case 'wildcard-credentials':
    // The snippet copied from a "fix CORS" answer, plus credentials.
    header('Access-Control-Allow-Origin: *');
    header('Access-Control-Allow-Credentials: true');
    if ($preflight) {
        header('Access-Control-Allow-Methods: GET, POST, PUT');
        header('Access-Control-Allow-Headers: Content-Type, X-Client-Version');
        http_response_code(204);
        exit;
    }
    header('Access-Control-Expose-Headers: X-Total-Count');
    items();
    break;

case 'origin-not-allowed':
    // An allow-list that does not list the page's origin: no header at all.
    if ($origin === 'http://localhost:3000') {
        header("Access-Control-Allow-Origin: $origin");
        header('Access-Control-Allow-Credentials: true');
    }
    header('Vary: Origin');
    if ($preflight) {
        header('Access-Control-Allow-Methods: GET, POST, PUT');
        header('Access-Control-Allow-Headers: Content-Type, X-Client-Version');
        http_response_code(204);
        exit;
    }
    header('Access-Control-Expose-Headers: X-Total-Count');
    items();
    break;

case 'no-preflight':
    // The allowed origin is echoed on every response, but OPTIONS runs
    // the same code as GET: 200 with the data and no Allow-Methods or
    // Allow-Headers.
    if (in_array($origin, $allowed, true)) {
        header("Access-Control-Allow-Origin: $origin");
        header('Access-Control-Allow-Credentials: true');
    }
    header('Access-Control-Expose-Headers: X-Total-Count');
    items();
    break;

default:
    http_response_code(404);
}
