"""Find Streamlit calls that draw a value as Markdown without passing it through `plain`.

Streamlit draws the body of st.markdown, st.write, st.caption, the alerts, toasts and
headings, and every widget's label, help, tab name, metric and the options of radios and
pills as GitHub-flavoured Markdown. The scanner reads the page scripts, app.py and
leaddash/ui with `ast` and accepts a value only when it can tell it is safe:

- a constant, a module constant (UPPER_CASE) or an item of one;
- a call of `plain`, or of another helper in SAFE_CALLS (counts, the app's timestamps);
- an f-string, join, concatenation or conditional made only of safe parts; a value with a
  numeric format (`{n:,}`, `{rate:.0%}`) is a number;
- a local variable all of whose assignments (and appends) are safe; a parameter every caller
  in the scanned code passes a safe value for; a call of a scanned function all of whose
  returns are safe;
- an app-owned expression named in APP_OWNED, with the reason it holds no user text.

Anything else is reported: a new page that forgets `plain` fails the guard test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Slots:
    """Which arguments of a Streamlit call are drawn as Markdown."""

    positions: tuple[int, ...]
    keywords: tuple[str, ...]


BODY = Slots((0,), ("body",))
LABEL = Slots((0,), ("label",))
BODIED = [
    "markdown",
    "caption",
    "info",
    "error",
    "success",
    "warning",
    "toast",
    "title",
    "header",
    "subheader",
]
LABELLED = [
    "button",
    "download_button",
    "form_submit_button",
    "link_button",
    "checkbox",
    "toggle",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "time_input",
    "file_uploader",
    "selectbox",
    "multiselect",
    "slider",
    "select_slider",
    "radio",
    "pills",
    "segmented_control",
    "color_picker",
    "expander",
    "popover",
    "status",
    "camera_input",
    "audio_input",
    "page_link",
    "badge",
]
MARKDOWN_SLOTS: dict[str, Slots] = {
    **dict.fromkeys(BODIED, BODY),
    **dict.fromkeys(LABELLED, LABEL),
    "write": Slots(tuple(range(20)), ()),
    "spinner": Slots((0,), ("text",)),
    "metric": Slots((0, 1, 2), ("label", "value", "delta", "delta_description")),
    "tabs": Slots((0,), ("tabs",)),
    "dialog": Slots((0,), ("title",)),
    "table": Slots((0,), ("data",)),  # st.table draws its cells as Markdown
}
# Widgets whose options are Markdown too: the options as given, or what format_func makes
# of them (a method of str keeps them as they are), and the captions under them.
OPTION_WIDGETS = {"radio", "pills", "segmented_control", "select_slider"}
ANY_CALL_SLOTS = ("help",)

SAFE_CALLS = {
    "plain": "the helper that escapes text for Markdown",
    "len": "a count",
    "int": "a number",
    "float": "a number",
    "round": "a number",
    "abs": "a number",
    "when": "a moment the app formats as YYYY-MM-DD HH:MM UTC",
    "person_role": "a role's name (the Role enum) with spaces",
    "plain_table": "the helper that escapes every cell of a table for st.table",
}
# Builtins whose result is as safe as their arguments.
PASSTHROUGH_CALLS = {
    "str",
    "list",
    "tuple",
    "sorted",
    "reversed",
    "next",
    "zip",
    "enumerate",
    "min",
    "max",
    "sum",
    "dict",
}
# Methods that keep a safe receiver safe (when their arguments are safe too).
SAFE_METHODS = {
    "lower",
    "upper",
    "title",
    "capitalize",
    "replace",
    "strip",
    "get",
    "values",
    "keys",
    "items",
    "__getitem__",
    "format",
}
NUMERIC_FORMATS = tuple("dfFeEgGn%,")

# App-owned values the scanner cannot prove safe: file → {expression: why it holds no user
# text}. An expression listed here is safe wherever it appears in that file.
APP_OWNED: dict[str, dict[str, str]] = {
    "app.py": {"actor.role": "the user's role, a value of the Role enum"},
    "leaddash/ui/seam.py": {
        "open_message(reason)": "fixed wording of leaddash.db_faults for a fault kind"
    },
    "leaddash/ui/login.py": {
        "login_message(exc.reason)": "fixed wording of leaddash.db_faults for a fault kind",
        "write_message(exc.reason, 'log you out')": "fixed wording of leaddash.db_faults for a fault kind",
    },
    "leaddash/ui/admin.py": {
        "user.role.replace('_', ' ')": "a value of the Role enum",
        "change.role.replace('_', ' ')": "a value of the Role enum, picked from a list",
        "leads": "a count of open leads in words",
    },
    "leaddash/ui/agreements/component.py": {
        "doc.name": "an agreement kind's name from the code (lead definition, SLA)",
        "row.number": "a version number",
    },
    "leaddash/ui/agreements/definition_editor.py": {
        "half_life": "the half-life, a number the definition's checks let through",
        "content.get('threshold')": "the MQL threshold, a number the checks let through",
    },
    "leaddash/ui/agreements/history.py": {
        "row.number": "a version number",
        "by_id[old_id].number": "a version number",
        "by_id[new_id].number": "a version number",
    },
    "leaddash/ui/agreements/workflow.py": {
        "row.number": "a version number",
        "active.number": "a version number",
        "doc.name": "an agreement kind's name from the code (lead definition, SLA)",
        "row.status": "a value of the AgreementStatus enum",
        "Side": "the Side enum: marketing, sales",
    },
    "leaddash/ui/home.py": {
        "stage": "one of the four stage names the loop runs over",
        "overdue": "a count of leads",
    },
    "leaddash/ui/imports.py": {
        "kind": "one of KINDS (leads, activities, outcomes), picked with a radio",
        "match.label": "a preset's name from the code (Salesforce, HubSpot, Marketo)",
        "match.message()": "a preset's name and two counts",
        "seen.loads": "a fixed sentence naming our stage-date fields",
        "seen.unmapped": "our core field names no column gives",
        "seen.warning": "a fixed sentence (no column gives a date)",
    },
    "leaddash/ui/planner.py": {"plan.months": "a number of months"},
    "leaddash/ui/queue.py": {
        "' · '.join(links)": (
            "contact links: their text through plain, their addresses built by "
            "leaddash.queue.contact (digits for tel:, percent-encoded mailto: and CRM link)"
        ),
        "detail.stage": "a value of the Stage enum",
        "detail.due": "the app's wording of a deadline (describe_due)",
        "detail.attempts": "a count of attempts",
    },
    "leaddash/ui/queue_actions.py": {
        "detail.stage": "a value of the Stage enum",
        "detail.attempts": "a count of attempts",
        "detail.min_attempts": "the SLA's minimum number of attempts",
    },
    "leaddash/ui/review.py": {
        "table_title(name)": "a report table's title from TABLE_TITLES (or its code name)",
        "row.name": "a key number's name from KEY_METRICS",
        **dict.fromkeys(
            ("text[3]", "text[4]", "text[5]", "text[6]"),
            "a key number as shown_table formats it: a number, rate or met/missed",
        ),
    },
    "leaddash/ui/routing.py": {"sample.definition_number": "a version number"},
    "leaddash/ui/team_queue.py": {
        "counts": "counts of breached leads by kind",
        "leads": "a count of open leads in words",
        "INACTIVE_ONLY": "the filter's fixed label",
    },
    "leaddash/ui/waiting.py": {"waiting": "a count of leads"},
    "leaddash/ui/whatif.py": {
        "number": "a version number",
        "tried": "a version number",
        "against": "a version number",
        "result.candidate.number": "a version number",
        "result.baseline.number": "a version number",
        **dict.fromkeys(
            ("m.name", "m.value", "m.note", "m.unit", "m.against"),
            "a Measure of _measures: fixed words, numbers and version numbers",
        ),
    },
}


@dataclass
class Finding:
    """A Markdown argument the scanner could not prove safe."""

    path: str
    line: int
    call: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: st.{self.call}(…) draws {self.source!r} as Markdown"


@dataclass
class Module:
    """One parsed source file with each node's enclosing function (or the module)."""

    path: str
    tree: ast.Module
    scope_of: dict[ast.AST, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index(self.tree, self.tree)

    def _index(self, node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.scope_of[child] = scope
            inner = (
                child
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                else scope
            )
            self._index(child, inner)


def sources(root: Path = ROOT) -> list[Path]:
    """Return app.py, the page scripts and leaddash/ui's modules."""
    return [
        root / "app.py",
        *sorted((root / "pages").glob("*.py")),
        *sorted((root / "leaddash" / "ui").rglob("*.py")),
    ]


def _called_name(call: ast.Call) -> str:
    func = call.func
    return (
        func.id
        if isinstance(func, ast.Name)
        else (func.attr if isinstance(func, ast.Attribute) else "")
    )


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes of `scope`'s body, not those of functions nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def _targets(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _targets(element)


def _numeric(spec: ast.expr | None) -> bool:
    """Return whether a format spec writes a number ({n:,}, {r:.0%}) or a date ({d:%B})."""
    if not isinstance(spec, ast.JoinedStr):
        return False
    text = "".join(v.value for v in spec.values if isinstance(v, ast.Constant))
    return bool(text) and (text.endswith(NUMERIC_FORMATS) or "%" in text)  # or strftime


class Guard:
    """Checks every Markdown argument of every Streamlit call in a set of modules."""

    def __init__(self, modules: list[Module], app_owned: dict[str, dict[str, str]]) -> None:
        self.modules = modules
        self.app_owned = app_owned
        self.functions: dict[str, list[tuple[Module, ast.FunctionDef]]] = {}
        self.calls: dict[str, list[tuple[Module, ast.Call]]] = {}
        for module in modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append((module, node))
                elif isinstance(node, ast.Call):
                    self.calls.setdefault(_called_name(node), []).append((module, node))
        self._answers: dict[tuple[int, str], bool] = {}

    @classmethod
    def of(
        cls,
        paths: list[Path],
        root: Path = ROOT,
        app_owned: dict[str, dict[str, str]] | None = None,
    ) -> Guard:
        """Return a guard over the files at `paths`."""
        modules = [
            Module(str(p.relative_to(root)), ast.parse(p.read_text(encoding="utf-8")))
            for p in paths
        ]
        return cls(modules, APP_OWNED if app_owned is None else app_owned)

    def findings(self) -> list[Finding]:
        """Return every Markdown argument that is not provably safe."""
        found = []
        for module in self.modules:
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                for name in self._drawn_by(node, module):
                    found += [
                        Finding(module.path, arg.lineno, name, ast.unparse(arg)[:120])
                        for arg in _markdown_args(node, name)
                        if not self.safe(arg, module, {})
                    ]
        return found

    def _drawn_by(self, call: ast.Call, module: Module) -> set[str]:
        """Return the Streamlit calls `call` may be: `x.info(…)` is one; so is `show(…)`
        after `show = st.info if … else st.warning`."""
        if isinstance(call.func, ast.Attribute):
            return {call.func.attr}
        if not isinstance(call.func, ast.Name):
            return set()
        scope = module.scope_of.get(call, module.tree)
        values = [v for v in _values_given(scope, call.func.id) if v is not None]
        return {
            n.attr
            for v in values
            for n in ast.walk(v)
            if isinstance(n, ast.Attribute) and n.attr in MARKDOWN_SLOTS
        }

    # --- is an expression safe? ----------------------------------------------------------

    def safe(self, node: ast.AST, module: Module, bound: dict[str, ast.expr]) -> bool:
        """Return whether `node` (in `module`, with comprehension names `bound`) is known to
        hold no user text."""
        if ast.unparse(node) in self.app_owned.get(module.path, {}):
            return True
        check = getattr(self, f"_safe_{type(node).__name__}", None)
        return bool(check and check(node, module, bound))

    def _all(self, nodes, module: Module, bound: dict[str, ast.expr]) -> bool:
        return all(self.safe(n, module, bound) for n in nodes if n is not None)

    def _safe_Constant(self, node, module, bound) -> bool:
        return True

    def _safe_JoinedStr(self, node, module, bound) -> bool:
        return self._all(node.values, module, bound)

    def _safe_FormattedValue(self, node, module, bound) -> bool:
        return _numeric(node.format_spec) or (
            node.conversion != ord("r") and self.safe(node.value, module, bound)
        )

    def _safe_IfExp(self, node, module, bound) -> bool:
        return self._all([node.body, node.orelse], module, bound)

    def _safe_BoolOp(self, node, module, bound) -> bool:
        return self._all(node.values, module, bound)

    def _safe_BinOp(self, node, module, bound) -> bool:
        return self._all([node.left, node.right], module, bound)

    def _safe_UnaryOp(self, node, module, bound) -> bool:
        return self.safe(node.operand, module, bound)

    def _safe_Compare(self, node, module, bound) -> bool:
        return True  # a bool

    def _safe_List(self, node, module, bound) -> bool:
        return self._all(node.elts, module, bound)

    _safe_Tuple = _safe_Set = _safe_List

    def _safe_Dict(self, node, module, bound) -> bool:
        return self._all([*node.keys, *node.values], module, bound)

    def _safe_Starred(self, node, module, bound) -> bool:
        return self.safe(node.value, module, bound)

    def _safe_Subscript(self, node, module, bound) -> bool:
        return self.safe(node.value, module, bound)

    def _safe_Attribute(self, node, module, bound) -> bool:
        """A module constant (`actions.CHANNELS`), or an attribute of a safe value."""
        return node.attr.isupper() or self.safe(node.value, module, bound)

    def _safe_ListComp(self, node, module, bound) -> bool:
        inner = dict(bound)
        for generator in node.generators:  # a name it binds is as safe as what it runs over
            inner.update(_bindings(generator.target, generator.iter))
        return self.safe(node.elt, module, inner)

    _safe_GeneratorExp = _safe_SetComp = _safe_ListComp

    def _safe_Lambda(self, node, module, bound) -> bool:
        return self.safe(node.body, module, bound)

    def _safe_Call(self, node, module, bound) -> bool:
        name = _called_name(node)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(node.func, ast.Name) and name in SAFE_CALLS:
            return True
        if isinstance(node.func, ast.Name) and name in PASSTHROUGH_CALLS:
            return self._all(arguments, module, bound)
        if isinstance(node.func, ast.Attribute) and (name in SAFE_METHODS or name == "join"):
            return self._all([node.func.value, *arguments], module, bound)
        return isinstance(node.func, ast.Name) and self._returns_safe(name, module)

    def _returns_safe(self, name: str, module: Module) -> bool:
        """Return whether every scanned function called `name` returns only safe values."""
        defined = _visible(self.functions.get(name, []), name, module)
        return bool(defined) and all(
            self._memo(
                function,
                "returns",
                lambda m=module, f=function: self._all(
                    [n.value for n in _own_nodes(f) if isinstance(n, ast.Return)] or [None], m, {}
                ),
            )
            for module, function in defined
        )

    def _memo(self, node: ast.AST, question: str, answer) -> bool:
        """Return `answer()` once per (node, question); a question met again while it is
        being answered (a cycle) counts as safe: the other values decide."""
        key = (id(node), question)
        if key not in self._answers:
            self._answers[key] = True
            self._answers[key] = answer()
        return self._answers[key]

    def _safe_Name(self, node: ast.Name, module: Module, bound) -> bool:
        if node.id.isupper() or node.id == "str" or node.id in SAFE_CALLS:
            return True
        if node.id in bound:
            return self.safe(bound[node.id], module, {})
        scope = module.scope_of.get(node, module.tree)
        if isinstance(scope, ast.Lambda):
            return False  # an option a format_func receives
        if isinstance(scope, ast.FunctionDef) and node.id in _parameters(scope):
            return self._callers_pass_safe(scope, node.id, module)
        return self._assigned_safe(scope, node.id, module)

    def _assigned_safe(self, scope: ast.AST, name: str, module: Module) -> bool:
        """Return whether every value given to variable `name` in `scope` (or, when the
        function gives it none, at the module's top level) is safe."""
        values = list(_values_given(scope, name))
        if not values and scope is not module.tree:
            scope, values = module.tree, list(_values_given(module.tree, name))
        return bool(values) and self._memo(
            scope,
            f"variable {name}",
            lambda: all(v is not None and self.safe(v, module, {}) for v in values),
        )

    def _callers_pass_safe(self, function: ast.FunctionDef, name: str, module: Module) -> bool:
        """Return whether every scanned call of `function` passes a safe `name`."""
        callers = _visible(self.calls.get(function.name, []), function.name, module)
        return bool(callers) and self._memo(
            function,
            f"parameter {name}",
            lambda: all(
                self._passes_safe(call, module, function, name) for module, call in callers
            ),
        )

    def _passes_safe(
        self, call: ast.Call, module: Module, function: ast.FunctionDef, name: str
    ) -> bool:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return False
        positional = [a.arg for a in function.args.posonlyargs + function.args.args]
        if positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        passed = {k.arg: k.value for k in call.keywords}
        passed.update(zip(positional, call.args, strict=False))
        value = passed.get(name, _default(function, name))
        return value is not None and self.safe(value, module, {})


def _markdown_args(call: ast.Call, name: str) -> list[ast.expr]:
    """Return the arguments a Streamlit call `name` draws as Markdown."""
    slots = MARKDOWN_SLOTS.get(name, Slots((), ()))
    args = [a for i, a in enumerate(call.args) if i in slots.positions]
    keywords = {*slots.keywords, *ANY_CALL_SLOTS}
    args += [k.value for k in call.keywords if k.arg in keywords]
    if name in OPTION_WIDGETS:
        given = {k.arg: k.value for k in call.keywords}
        options = call.args[1] if len(call.args) > 1 else given.get("options")
        shown = given.get("format_func")
        keeps = shown is None or (
            isinstance(shown, ast.Attribute)
            and isinstance(shown.value, ast.Name)
            and shown.value.id == "str"
        )
        args += [a for a in (options if keeps else shown, given.get("captions")) if a]
    return args


def _visible(found: list[tuple[Module, ast.AST]], name: str, module: Module) -> list:
    """Return the entries of `found` that `module` can mean by `name`: a private name
    (`_pick`) is its own module's."""
    return [f for f in found if not name.startswith("_") or f[0] is module]


def _parameters(function: ast.FunctionDef) -> set[str]:
    args = function.args
    names = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names += [a for a in (args.vararg, args.kwarg) if a]
    return {a.arg for a in names}


def _default(function: ast.FunctionDef, name: str) -> ast.expr | None:
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = dict(
        zip(
            [a.arg for a in positional[len(positional) - len(args.defaults) :]],
            args.defaults,
            strict=True,
        )
    )
    defaults.update(
        {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    )
    return defaults.get(name)


def _values_given(scope: ast.AST, name: str) -> Iterator[ast.expr | None]:
    """Yield every value `scope` gives to `name` (None for one the scanner cannot read)."""
    for node in _own_nodes(scope):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if name in _targets(target):
                    yield _parts(target, node.value)[name]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and name in _targets(node.target):
            yield node.value
        elif isinstance(node, ast.For | ast.comprehension) and name in _targets(node.target):
            yield _bindings(node.target, node.iter)[name]
        elif _binds_unknown(node, name):
            yield None
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
            and node.func.attr in ("append", "extend", "insert")
        ):
            yield from node.args[-1:]


def _binds_unknown(node: ast.AST, name: str) -> bool:
    """Return whether `node` gives `name` a value the scanner does not read (an import, a
    `with … as`, a walrus)."""
    if isinstance(node, ast.ImportFrom | ast.Import):
        return name in {a.asname or a.name for a in node.names}
    if isinstance(node, ast.withitem):
        return node.optional_vars is not None and name in _targets(node.optional_vars)
    return isinstance(node, ast.NamedExpr) and name in _targets(node.target)


def _bindings(target: ast.AST, iterable: ast.expr) -> dict[str, ast.expr]:
    """Return what each name of a loop's `target` takes its values from: the matching
    argument of a zip(…) or enumerate(…) (a count for enumerate's index), else the whole
    iterable."""
    if (
        isinstance(target, ast.Tuple)
        and isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
    ):
        parts: list[ast.expr] | None = None
        if iterable.func.id == "zip" and len(iterable.args) == len(target.elts):
            parts = list(iterable.args)
        elif iterable.func.id == "enumerate" and len(target.elts) == 2 and iterable.args:
            parts = [ast.Constant(0), iterable.args[0]]
        if parts is not None:
            found: dict[str, ast.expr] = {}
            for element, part in zip(target.elts, parts, strict=True):
                found.update(_bindings(element, part))
            return found
    return dict.fromkeys(_targets(target), iterable)


def _parts(target: ast.AST, value: ast.expr) -> dict[str, ast.expr]:
    """Return the value each name of an assignment's `target` gets: `a, b = x, y` pairs
    them up; any other unpacking takes a part of the whole value (safe when it is)."""
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
    ):
        found: dict[str, ast.expr] = {}
        for element, part in zip(target.elts, value.elts, strict=True):
            found.update(_parts(element, part))
        return found
    return dict.fromkeys(_targets(target), value)
