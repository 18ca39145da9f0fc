"""The README documents exactly the error codes the server can return."""

from __future__ import annotations

import re

from server.errors import ErrorCode
from tests.conftest import ROOT


def test_the_readme_lists_every_error_code():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Error codes", 1)[1].split("###", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {code.value for code in ErrorCode}
