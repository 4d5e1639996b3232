"""Keep the site's API pages in step with the public names: ``python tools/api_pages.py [--write]``.

Every public name of ``bedrock_ops`` (``_EXPORTS`` in ``constructs/bedrock_ops/__init__.py``) belongs on
``docs/api/<folder>.md``, the page of the capability folder that defines it, as the line
``::: bedrock_ops.<Name>``. Without ``--write`` this prints the lines that are missing (exit 1 if any); with it,
it appends them to their pages. A new folder also needs its page in ``mkdocs.yml``'s nav (printed, not written).
The names are read from the source, without importing the package.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^::: bedrock_ops\.(\w+)\s*$", re.M)


def exports_by_folder() -> dict[str, set[str]]:
    """Public names by the capability folder that defines them."""
    tree = ast.parse((ROOT / "constructs" / "bedrock_ops" / "__init__.py").read_text(encoding="utf-8"))
    (exports,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["_EXPORTS"]
    ]
    folders: dict[str, set[str]] = defaultdict(set)
    for name, module in exports.items():
        folders[module.split(".")[1]].add(name)
    return dict(folders)


def documented(folder: str) -> set[str]:
    """The names ``docs/api/<folder>.md`` renders."""
    page = API / f"{folder}.md"
    return set(DIRECTIVE.findall(page.read_text(encoding="utf-8"))) if page.exists() else set()


def missing() -> dict[str, list[str]]:
    """Folder -> the public names its page lacks."""
    return {
        folder: sorted(names - documented(folder))
        for folder, names in sorted(exports_by_folder().items())
        if names - documented(folder)
    }


def main(argv: list[str]) -> int:
    """Entry point."""
    write = argv == ["--write"]
    if argv and not write:
        print("usage: python tools/api_pages.py [--write]", file=sys.stderr)
        return 2
    gaps = missing()
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for folder, names in gaps.items():
        page = API / f"{folder}.md"
        lines = "".join(f"\n::: bedrock_ops.{name}\n" for name in names)
        if write:
            if not page.exists():
                page.write_text(f"# `bedrock_ops.{folder}`\n", encoding="utf-8")
            page.write_text(page.read_text(encoding="utf-8").rstrip("\n") + "\n" + lines, encoding="utf-8")
        print(f"{'added to' if write else 'missing from'} docs/api/{folder}.md:{lines}")
        if f"api/{folder}.md" not in nav:
            print(f"mkdocs.yml: add `- {folder}: api/{folder}.md` under the API reference of nav")
    return 0 if write or not gaps else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
