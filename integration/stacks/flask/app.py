"""Flask + flask-cors CORS scenarios, one flask-cors resource per path prefix.

Run: /usr/bin/python3 app.py --fd N   (N: an inherited listening socket)
  or /usr/bin/python3 app.py --port P (127.0.0.1 only)
"""
import argparse

from flask import Flask, jsonify, request
from flask_cors import CORS
from werkzeug.serving import WSGIRequestHandler, make_server

PAGE = "http://localhost:8080"
CORRECT = {
    "origins": [PAGE],
    "methods": ["GET", "POST", "PUT"],
    "allow_headers": ["Content-Type", "X-Client-Version"],
    "expose_headers": ["X-Total-Count"],
    "supports_credentials": True,
}


def variant(**changes):
    return {**CORRECT, **changes}


app = Flask(__name__)
CORS(app, resources={
    r"/correct/*": CORRECT,
    r"/wildcard-credentials/*": variant(origins="*"),
    r"/origin-not-allowed/*": variant(origins=["http://localhost:3000"]),
    r"/method-not-allowed/*": variant(methods=["GET", "POST"]),
    r"/header-not-allowed/*": variant(allow_headers=["Content-Type"]),
    r"/no-expose/*": variant(expose_headers=None),
    r"/no-credentials/*": variant(supports_credentials=False),
})


def items():
    resp = jsonify(items=[{"id": 1, "name": "alpha"}, {"id": 2, "name": "beta"}])
    resp.headers["X-Total-Count"] = "2"
    return resp


for prefix in ["correct", "wildcard-credentials", "origin-not-allowed", "method-not-allowed",
               "header-not-allowed", "no-expose", "no-credentials"]:
    app.add_url_rule(f"/{prefix}/items", f"{prefix}-list", items, methods=["GET", "POST"])
    app.add_url_rule(f"/{prefix}/items/<int:item_id>", f"{prefix}-item",
                     lambda item_id: items(), methods=["GET", "PUT"])


# The common mistake: no flask-cors, the header set by hand on the view's
# response only. Flask answers OPTIONS itself (200, Allow) without it.
@app.route("/no-preflight/items", methods=["GET", "POST"])
@app.route("/no-preflight/items/<int:item_id>", methods=["GET", "PUT"])
def no_preflight(item_id=None):
    resp = items()
    if request.headers.get("Origin") == PAGE:
        resp.headers["Access-Control-Allow-Origin"] = PAGE
        resp.headers["Access-Control-Allow-Credentials"] = "true"
    return resp


class Handler(WSGIRequestHandler):
    """Werkzeug's handler without the Server and Date headers (a version
    string and wall-clock noise in a cassette)."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fd", type=int)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=Handler, fd=args.fd)
    print(f"listening on 127.0.0.1:{srv.port}", flush=True)
    srv.serve_forever()
