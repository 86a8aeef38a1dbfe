"""Every environment variable the project reads is in the operator's table
(docs/operator.md, "## Environment").

The names are found in the code itself (its syntax tree, so a read split
over lines or a new module counts), not in a list kept by hand: a setting
added without its row fails here, naming it.
"""

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# The operator's page holds the environment table (the README points to it).
DOCUMENT = ROOT / "docs" / "operator.md"
# Not the project's code: tests and benchmarks set variables for what they run.
SKIPPED = {".venv", "tests", "bench", "var", "static", "media", "node_modules"}
READERS = {"env_str", "env_int", "env_bool", "env_list", "env_required", "getenv"}
ENVIRON_METHODS = {"get", "setdefault", "pop"}


def is_environ(node):
    """`os.environ` (not any `.environ`: a WSGI request's is not the process's)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def name_in(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def variables_read(source):
    """The environment variables `source` reads by a literal name."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Name):
                reads = func.id in READERS  # env_str("X")
            elif isinstance(func, ast.Attribute):
                reads = func.attr in READERS or (  # os.getenv("X")
                    func.attr in ENVIRON_METHODS and is_environ(func.value)  # os.environ.get("X")
                )
            else:
                reads = False
            if reads:
                names.add(name_in(node.args[0]))
        elif isinstance(node, ast.Subscript) and is_environ(node.value):
            names.add(name_in(node.slice))
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            names.add(name_in(node.left))  # "X" in os.environ
    return names - {None}


def project_files():
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED and not d.startswith(".")]
        yield from (Path(folder) / f for f in files if f.endswith(".py"))


def variables_the_project_reads():
    read = {}
    for path in project_files():
        for name in variables_read(path.read_text()):
            read.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return read


def documented_variables():
    """The names in the first column of the operator page's table under
    "## Environment"."""
    text = DOCUMENT.read_text()
    section = text.split("\n## Environment\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    assert rows, "no table under ## Environment in docs/operator.md"
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def test_the_finder_sees_every_way_of_reading_a_variable():
    source = """
import os
from cms.settings.environment import env_bool, env_int, env_list, env_required, env_str
A = env_str("A_STR", "x")
B = env_int(
    "B_INT", 1
)
C, D, E = env_bool("C_BOOL"), env_list("D_LIST"), env_required("E_REQUIRED")
F = os.environ.get("F_GET")
G = os.environ["G_ITEM"]
H = os.getenv("H_GETENV")
os.environ.setdefault("I_SETDEFAULT", "1")
J = request.environ.get("REMOTE_ADDR")  # a WSGI environ, not the process's
K = "K_IN" in os.environ
L = os.environ.get(some_name)  # not a literal: nothing to document
"""
    assert variables_read(source) == {
        "A_STR", "B_INT", "C_BOOL", "D_LIST", "E_REQUIRED", "F_GET", "G_ITEM",
        "H_GETENV", "I_SETDEFAULT", "K_IN",
    }  # fmt: skip


def test_every_variable_the_project_reads_is_documented():
    read = variables_the_project_reads()
    # Not vacuous: names read in each of the places and ways the project has.
    known = {
        "DJANGO_SETTINGS_MODULE",  # manage.py, cms/celery.py: os.environ.setdefault
        "DATABASE_URL",  # settings: env_str
        "SECRET_KEY",  # production: env_required
        "SECURE_HSTS_PRELOAD",  # production: env_bool
        "ALLOWED_HOSTS",  # env_list
        "VAR_DIR",  # cms/settings/environment.py
        "HOST",  # runstack
        "ADMIN_PASSWORD",  # ensure_admin
        "CELERY_CONCURRENCY",  # cms/stack.py: env_int
    }
    assert known <= read.keys(), f"the finder misses {sorted(known - read.keys())}"
    documented = documented_variables()
    undocumented = {name: files for name, files in read.items() if name not in documented}
    assert not undocumented, (
        "read but missing from the environment table in docs/operator.md: "
        + ", ".join(f"{name} ({', '.join(files)})" for name, files in sorted(undocumented.items()))
    )
