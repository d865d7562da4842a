"""A webhook receiver (Starlette): registers its hooks through the SDK and prints the events.

Try it against the emulator, in two terminals:

    python -m cubicl_async.testing --port 8765
    export CUBICL_BASE_URL=http://127.0.0.1:8765/api/v1/ CUBICL_TOKEN=demo-token
    python examples/webhook_receiver.py --demo

It serves on http://127.0.0.1:8000, at a path holding a secret nobody can guess (the
deliveries carry no signature, so the secret URL is the only protection a receiver has:
keep it out of logs, and use HTTPS in production). On start it registers webhooks for the
demo's API project and for new clients; with `--demo` it then renames a task and moves it
to another state, and the two events arrive and are printed. Requests to any other path
get 404.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cubicl_async import AsyncCubicl, WebhookType
from cubicl_async.webhooks import WebhookEvent, new_secret, parse, secret_matches

EVENTS = (WebhookType.TASK_UPDATED, WebhookType.TASK_STATE_CHANGED, WebhookType.COMMENT_CREATED)


def build_app(
    origin: str, *, demo: bool, show: Callable[[WebhookEvent], object] = print
) -> Starlette:
    """Return the receiver, which registers its hooks (at `origin`) when it starts."""
    secret = new_secret()

    async def receive(request: Request) -> Response:
        if not secret_matches(request.path_params["secret"], secret):
            return Response(status_code=404)
        show(parse(await request.body(), request.headers))
        return Response(status_code=204)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncCubicl() as cubicl:  # CUBICL_TOKEN, CUBICL_BASE_URL
            tree = await cubicl.projects.tree()
            api = next(p for p in tree if p.name == "API")
            url = f"{origin}/hooks/{secret}"
            hooks = [await cubicl.webhooks.create(type=kind, url=url, project=api.id)
                     for kind in EVENTS]  # fmt: skip
            hooks.append(await cubicl.webhooks.create(type=WebhookType.CLIENT_CREATED, url=url))
            if demo:
                task = (await cubicl.tasks.list(project=api.id, max_items=50))[0]
                await cubicl.tasks.update(task.id, name=f"{task.name} (renamed)")
                await cubicl.tasks.set_state(task.id, "done")
            try:
                yield
            finally:
                for hook in hooks:
                    await cubicl.webhooks.delete(hook.id)

    return Starlette(routes=[Route("/hooks/{secret}", receive, methods=["POST"])],
                     lifespan=lifespan)  # fmt: skip


def main() -> None:
    """Serve the receiver until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--demo", action="store_true", help="make two changes once started")
    args = parser.parse_args()
    app = build_app(f"http://127.0.0.1:{args.port}", demo=args.demo)
    asyncio.run(uvicorn.Server(uvicorn.Config(app, port=args.port, log_level="warning")).serve())


if __name__ == "__main__":
    main()
