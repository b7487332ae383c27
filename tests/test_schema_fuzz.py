"""Schemathesis over the OpenAPI schema of a real server on 127.0.0.1: whatever a caller sends, with no key, a
reader key or an admin key (or to the open service), no response is a 5xx and each matches the schema.

The server runs on a private copy of the demo index, so the uploads and deletes the fuzzer sends touch nothing
another test reads. Examples per operation are bounded (and derandomized) to keep the file a CI-sized check.
"""

import shutil
from itertools import product

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from rag.config import ApiKey, Settings

from .conftest import settings_for

ADMIN, READER = "fuzz-admin-key", "fuzz-reader-key"
KEYS = [ApiKey(key=ADMIN, name="admin", admin=True), ApiKey(key=READER, name="reader", groups=["public"])]
EXAMPLES = 8  # per operation and caller
SLOW_EXAMPLES = 3  # drafts and handbooks retrieve once per section and topic; uploads embed
SLOW_OPERATIONS = {("POST", "/draft"), ("POST", "/handbook"), ("POST", "/documents")}
CALLERS = {
    "open service": (False, None),
    "no key": (True, None),
    "reader key": (True, READER),
    "admin key": (True, ADMIN),
}


@pytest.fixture(scope="module")
def fuzz_data(corpus_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One copy of the demo index for the whole file: the fuzzer's writes land here only."""
    target = tmp_path_factory.mktemp("schema-fuzz") / "index"
    shutil.copytree(corpus_index.data_dir, target)
    return settings_for(target)


def failures_of(schema: schemathesis.BaseSchema, base_url: str, headers: dict[str, str]) -> dict[str, str]:
    """Each operation's first failing check (shrunk by Hypothesis, with a curl line to reproduce it)."""
    failures = {}
    for result, mode in product(schema.get_all_operations(), GenerationMode):
        operation = result.ok()
        slow = (operation.method.upper(), operation.path) in SLOW_OPERATIONS

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=SLOW_EXAMPLES if slow else EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=120)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as error:  # the checks raise an exception group naming every failed check
            failures[f"{operation.method.upper()} {operation.path} ({mode.value})"] = str(error)
    return failures


@pytest.mark.parametrize("caller", CALLERS)
def test_no_request_gets_a_server_error_or_an_answer_outside_the_schema(caller, fuzz_data, client_for):
    with_keys, key = CALLERS[caller]
    client = client_for(settings_for(fuzz_data.data_dir, api_keys=KEYS if with_keys else []))
    schema = schemathesis.openapi.from_url(f"{client.base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {key}"} if key else {}

    failures = failures_of(schema, str(client.base_url), headers)

    assert not failures, "\n\n".join(f"{op}:\n{detail}" for op, detail in failures.items())
