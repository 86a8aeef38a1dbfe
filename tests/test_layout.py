"""The house's rules, read from the code's own imports (those inside functions
included): no import cycle among the project's modules; `tasks` imports the
domain apps and never `cms`; the domain apps never import `tasks`, nor each
other, nor the apps that show their content elsewhere (the change events,
the API, the webhooks, the cache), which in turn never import `tasks` or
`cms`. `releases` puts changes of several domain apps together: it may import
them and the change events, and none of the apps that show its outcome
elsewhere, nor `tasks` or `cms`; the domain apps never import it.
`security` (who the client is, the rate limits, the admin's door) lies
under them all: any app may import it, and it imports none of them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("intl_pages", "feedback")
# They put changes of the domain apps together (a release of pages and contacts).
COMPOSING_APPS = ("releases",)
# They read the domain apps and show their content elsewhere.
OUTWARD_APPS = tuple(
    app
    for app in ("changes", "headless", "webhooks", "pagecache", "planning")
    if (ROOT / app).is_dir()
)
# Beneath every app: any may import it, it imports none of them.
FOUNDATION = ("security",)
PACKAGES = ("cms", *FOUNDATION, *DOMAIN_APPS, *COMPOSING_APPS, *OUTWARD_APPS, "tasks")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def imports_of(name, path, known):
    """The project modules that module `name` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            # `from . import x` imports the module x, if there is one.
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            # The longest known module the name falls in: `tasks.stamps.x` is
            # tasks.stamps.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph():
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One cycle as a list of modules, or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return trail[trail.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, trail + [target])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def package_of(module):
    return module.partition(".")[0]


def test_the_graph_is_read():
    # The rules below mean nothing over an empty or unread graph.
    graph = {
        "tasks.publishing": {"tasks.scheduling"},
        "tasks.scheduling": {"intl_pages.models"},
    }
    assert find_cycle(graph) is None
    assert find_cycle({**graph, "intl_pages.models": {"tasks.publishing"}}) == [
        "intl_pages.models",
        "tasks.publishing",
        "tasks.scheduling",
        "intl_pages.models",
    ]


def test_known_imports_are_found(graph):
    assert "tasks.scheduling" in graph["tasks.publishing"]
    assert "intl_pages.stamps" in graph["tasks.stamps"]
    assert "intl_pages.models" in graph["intl_pages.stamps"]
    # An import inside a function counts too.
    assert "tasks.wagtail_work" in graph["tasks.backends"]


def test_no_import_cycle(graph):
    assert find_cycle(graph) is None


def test_tasks_never_imports_cms(graph):
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if package_of(module) == "tasks"
        for target in targets
        if package_of(target) == "cms"
    }
    assert not wrong, "tasks takes the Celery app as current_app or through shared_task"


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_a_domain_app_imports_neither_tasks_nor_another_domain_app(graph, app):
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if package_of(module) == app
        for target in targets
        if package_of(target)
        in {"tasks", "cms", *DOMAIN_APPS, *COMPOSING_APPS, *OUTWARD_APPS} - {app}
    }
    assert not wrong


@pytest.mark.parametrize("app", COMPOSING_APPS)
def test_a_composing_app_imports_no_app_that_shows_its_outcome(graph, app):
    # `changes` only: its markers (a scheduled change) and its events.
    shows = {"tasks", "cms", *OUTWARD_APPS} - {"changes"}
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if package_of(module) == app
        for target in targets
        if package_of(target) in shows
    }
    assert not wrong


@pytest.mark.parametrize("app", OUTWARD_APPS)
def test_an_outward_app_imports_neither_tasks_nor_cms(graph, app):
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if package_of(module) == app
        for target in targets
        if package_of(target) in {"tasks", "cms"}
    }
    assert not wrong


def test_the_foundation_imports_no_app_above_it(graph):
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if package_of(module) in FOUNDATION
        for target in targets
        if package_of(target) not in FOUNDATION
    }
    assert not wrong


def test_receivers_are_connected_in_one_module_per_app():
    """How a change flows is read in one place per app: its
    `signal_handlers.py`, whose `register_signal_handlers()` its AppConfig's
    `ready()` calls (as Wagtail does)."""
    wrong = []
    for name, path in project_modules().items():
        text = path.read_text()
        connects = "@receiver(" in text or ".connect(" in text
        if connects and not name.endswith(".signal_handlers") and not name.startswith("cms"):
            wrong.append(name)
    assert not wrong
    for app in ("changes", "intl_pages", "pagecache", "releases", "tasks", "webhooks"):
        assert "register_signal_handlers()" in (ROOT / app / "apps.py").read_text(), app
