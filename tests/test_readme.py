"""The README's mounting example runs as printed; its configuration table lists every key."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from marketplace_support.config import DEFAULTS

README = Path(__file__).resolve().parent.parent / "README.md"


def mounting_example() -> str:
    text = README.read_text(encoding="utf-8")
    after = text.split("A complete single-file host:", 1)[1]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_mounting_example_in_the_readme_works(tmp_path):
    module_path = tmp_path / "readme_host.py"
    module_path.write_text(mounting_example(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("readme_host", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_host"] = module
    try:
        spec.loader.exec_module(module)
        client = module.app.test_client()
        assert client.get("/my/support/").status_code == 401
        with client.session_transaction() as session:
            session["user_id"] = "u-1"
        assert client.get("/my/support/").status_code == 200
        form = client.get("/my/support/new").get_data(as_text=True)
        assert "Web hosting M" in form and "Provided by Nimbus Hosting" in form
    finally:
        del sys.modules["readme_host"]
        with module.app.app_context():
            module.db.engine.dispose()


def test_the_configuration_table_lists_every_key_and_no_other():
    text = README.read_text(encoding="utf-8")
    table = text.split("### Configuration", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `(SUPPORT_[A-Z0-9_]+)` \|", table, re.M))
    assert documented == set(DEFAULTS)
