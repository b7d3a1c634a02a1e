"""The import graph of src/leanformers has no circle: every module can be read after the ones it imports, and
every folder (tokenization/, modeling/, tf/, ...) after the folders and files it imports, so that the layers stand
one above the other with no import running back up.

Every import statement counts, also one inside a function (a lazy import still ties the two files), and so does
import_module("leanformers...") with the name written out; an import of a package counts as an import of its
__init__.py. Module names that come from data (the manifest's) are not followed: they are the registry's.
"""

import ast

from support.paths import SRC

PACKAGE = SRC / "leanformers"


def module_name(path):
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path, modules):
    """The leanformers modules that the file at `path` imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from . import conventions` imports a module; `from .bert import BertConfig` a name of one
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            targets = [node.args[0].value]  # a lazy import by a written-out name ties the files as an import does
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    return found


def import_graph():
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, files) for name, path in files.items()}


def find_circle(graph):
    """One circle of the graph as a list of modules, or None."""
    state = {}  # module -> "open" while its imports are being followed, "done" after

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return trail[trail.index(target):] + [target]
            if target not in state:
                circle = visit(target, trail + [target])
                if circle:
                    return circle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            circle = visit(module, [module])
            if circle:
                return circle
    return None


def test_the_graph_is_read():
    graph = import_graph()
    # a few edges the code certainly has: if these are missing, the reader above is broken
    assert "leanformers.manifest" in graph["leanformers.models.auto"]
    assert "leanformers.conventions" in graph["leanformers.tf.layers"]
    assert "leanformers.utils.files" in graph["leanformers.tokenization.tokenizer_files"]


def test_no_import_circle_in_src():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)


def folder_graph(graph):
    """The graph of the top-level parts of leanformers: a subpackage (all its modules together) or a file."""
    def part(module):
        return ".".join(module.split(".")[:2])

    folders = {}
    for module, targets in graph.items():
        folders.setdefault(part(module), set()).update(part(t) for t in targets if part(t) != part(module))
    return folders


def test_no_import_circle_between_folders():
    circle = find_circle(folder_graph(import_graph()))
    assert circle is None, "folders import each other: " + " -> ".join(circle)


def test_a_circle_is_found_when_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None
