"""FastAPI + Starlette's CORSMiddleware: the API at :8000 of a Vue dev server
at :8080. Each scenario is a sub-application mounted at its path prefix with
its own CORSMiddleware.

Run: /usr/bin/python3 -m uvicorn app:app --app-dir DIR --fd N \
         --no-server-header --no-date-header
"""
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

PAGE = "http://localhost:8080"
CORRECT = dict(
    allow_origins=[PAGE],
    allow_methods=["GET", "POST", "PUT"],
    allow_headers=["Content-Type", "X-Client-Version"],
    expose_headers=["X-Total-Count"],
    allow_credentials=True,
)
BODY = '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}'


def api(**cors):
    sub = FastAPI()

    @sub.get("/items")
    @sub.post("/items")
    @sub.put("/items/{item_id}")
    def items(response: Response, item_id: int = 0):
        return Response(BODY, media_type="application/json", headers={"X-Total-Count": "2"})

    if cors:
        sub.add_middleware(CORSMiddleware, **cors)
    return sub


def variant(**changes):
    return {**CORRECT, **changes}


app = FastAPI()
app.mount("/correct", api(**CORRECT))
app.mount("/wildcard-credentials", api(**variant(allow_origins=["*"])))
app.mount("/origin-not-allowed", api(**variant(allow_origins=["http://localhost:3000"])))
app.mount("/method-not-allowed", api(**variant(allow_methods=["GET", "POST"])))
app.mount("/header-not-allowed", api(**variant(allow_headers=["Content-Type"])))
app.mount("/no-expose", api(**variant(expose_headers=[])))
app.mount("/no-credentials", api(**variant(allow_credentials=False)))

# The common mistake: no CORSMiddleware, the header set by hand on the
# route's response. FastAPI answers OPTIONS 405 without it.
no_preflight = FastAPI()


@no_preflight.get("/items")
@no_preflight.put("/items/{item_id}")
def no_preflight_items(request: Request, item_id: int = 0):
    headers = {"X-Total-Count": "2"}
    if request.headers.get("origin") == PAGE:
        headers["Access-Control-Allow-Origin"] = PAGE
        headers["Access-Control-Allow-Credentials"] = "true"
    return Response(BODY, media_type="application/json", headers=headers)


app.mount("/no-preflight", no_preflight)
