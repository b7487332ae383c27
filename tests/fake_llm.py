"""A fake OpenAI-compatible chat endpoint: it stands in for the paid LLM API in tests."""

from collections.abc import Callable

from fastapi import FastAPI, Request


def openai_app(reply: Callable[[str], str]) -> FastAPI:
    """`/v1/chat/completions` answering with `reply(last user message)`."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        content = reply(body["messages"][-1]["content"])
        return {
            "id": "fake",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app
