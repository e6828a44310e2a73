"""The fake LLM itself: what it records is what a benchmark or a test reads from it."""

from __future__ import annotations

import json
import time
import urllib.request

from fakellm import FakeLLM


def test_a_request_records_when_it_arrived(fake_llm: FakeLLM) -> None:
    body = json.dumps({"model": "fake", "messages": [{"role": "user", "content": "hi"}]})
    before = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(
            f"{fake_llm.base_url}/chat/completions", data=body.encode(),
            headers={"Content-Type": "application/json"}), timeout=10) as reply:
        answer = json.loads(reply.read())
    after = time.perf_counter()
    (request,) = fake_llm.chat_requests()
    assert answer["choices"][0]["message"]["content"] == "OK."
    assert request.last_user_text == "hi"
    assert before < request.received < after
