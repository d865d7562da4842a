"""The public surface: one sorted `__all__`, every public name documented, module headers."""

from __future__ import annotations

import ast
import inspect
import pathlib

import cubicl_async
import cubicl_async.testing

PACKAGE = pathlib.Path(cubicl_async.__file__).parent


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted (constants first, as isort orders them) and every name exists."""
    names = cubicl_async.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n.startswith("_"), n))
    assert all(hasattr(cubicl_async, name) for name in names)


def test_every_public_name_has_a_docstring() -> None:
    """Each exported class and function, and each public method of a class, is documented."""
    for module in (cubicl_async, cubicl_async.testing):
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            assert inspect.getdoc(obj), name
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        assert member.__doc__, f"{name}.{attr}"


def test_every_module_opens_with_a_one_line_summary() -> None:
    """Every module of the package starts with a docstring whose first line says what it owns."""
    for path in sorted(PACKAGE.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc, path
        assert doc.splitlines()[0].endswith("."), path


def test_the_package_is_typed() -> None:
    """py.typed ships with the package."""
    assert (PACKAGE / "py.typed").exists()


def _imports(path: pathlib.Path) -> list[tuple[str, ast.ImportFrom | ast.Import, bool]]:
    """Return each import of a module: the absolute module, the node, whether it is lazy.

    Lazy imports do not run when the module is imported: inside a function, or under
    ``if TYPE_CHECKING:`` (for annotations only).
    """
    package = list(path.relative_to(PACKAGE.parent).parts[:-1])  # for __init__.py too
    found: list[tuple[str, ast.ImportFrom | ast.Import, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            inner = inner or (
                isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING"
            )
            if isinstance(child, ast.ImportFrom):
                base = package[: len(package) - child.level + 1] if child.level else []
                module = ".".join([*base, *([child.module] if child.module else [])])
                found.append((module, child, inner))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, child, inner) for alias in child.names)
            visit(child, inner)

    visit(ast.parse(path.read_text()), False)
    return found


def test_the_emulator_never_imports_the_sdk() -> None:
    """cubicl_async.testing speaks raw JSON: no import of the SDK's records or converter.

    Its relative imports stay inside the package; the one exception is the pytest
    plugin, which builds SDK clients and imports the SDK lazily, inside its fixture
    (and for annotations).
    """
    testing = PACKAGE / "testing"
    for path in testing.rglob("*.py"):
        for module, node, lazy in _imports(path):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert module.startswith("cubicl_async.testing"), path
            if path.name == "pytest_plugin.py" and module == "cubicl_async":
                assert lazy, path
                assert isinstance(node, ast.ImportFrom), path
                assert {alias.name for alias in node.names} <= {"AsyncCubicl", "RetryPolicy"}
                continue
            assert not module.startswith("cubicl_async._"), path
            assert module != "cubicl_async", path
