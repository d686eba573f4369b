#!/usr/bin/env python3
"""Which public declarations have no `///` doc comment, per module. No build, no dependencies.

    python3 scripts/doc-coverage.py            # one line per module: documented / public
    python3 scripts/doc-coverage.py --list     # and every gap as path:line: declaration

A public declaration is a line whose declaration starts with `public` or `open` (`public import`
is not one), plus what is public without saying so: the cases of a public enum and the
requirements of a public protocol. It counts as documented when the nearest line above it that
is not an attribute (`@inlinable`, `@available(...)`, ...) is a `///` line or closes a `/** */`.

It also checks the DocC catalogs (`Sources/<Module>/<Module>.docc/*.md`): every symbol link
``Name`` or ``Type/member(label:)`` must name a public declaration of that module, so that a
rename does not leave a landing page pointing at nothing.

It exits 1 when a module in DOCUMENTED has a gap or a catalog has a dangling link, so that
coverage, once complete, stays so.
"""
import argparse
import os
import re
import sys

# Modules whose every public declaration is documented; the check fails if one loses a comment.
DOCUMENTED = ["ShardKitSupport", "RecordIO", "Examples", "Imaging", "Glyphs", "Shards", "Synth", "Pipeline",
              "Formats", "Trainer"]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")

ATTRIBUTE = re.compile(r"^@\w+(\(.*\))?$")
# Modifiers that may stand before `public` (attributes on the same line included).
LEADING = re.compile(r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:nonisolated|final|indirect|override|required|"
                     r"convenience|dynamic)\s+)*(public\b|open\b(?=\s+(class|func|var|let|subscript|init)\b))(?!\s*\()")
PUBLIC_IMPORT = re.compile(r"^(?:@\w+(?:\([^)]*\))?\s+)*public\s+import\b")
# A type that opens a scope whose members are public without saying so.
IMPLICIT_SCOPE = re.compile(r"\b(enum|protocol)\s+\w+")
ENUM_CASE = re.compile(r"^(?:indirect\s+)?case\s+\w")
PROTOCOL_MEMBER = re.compile(r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:static|mutating|nonmutating)\s+)*"
                             r"(func|var|init|subscript|associatedtype|typealias)\b")
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def code_part(line):
    """The line without string literals and `//` comments, for counting braces."""
    without_strings = STRING.sub('""', line)
    return without_strings.split("//", 1)[0]


def scan(path):
    """Yields (line number, declaration, documented) for each public declaration in one file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    # Each open brace: the kind of scope it opened ("enum", "protocol" for public ones, else None).
    scopes = []
    pending_scope = None  # a public enum/protocol whose `{` has not been seen yet
    in_multiline_string = False
    in_block_comment = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if in_multiline_string:
            if line.count('"""') % 2 == 1:
                in_multiline_string = False
            continue
        if in_block_comment:
            if "*/" in line:
                in_block_comment = False
            continue
        if line.startswith("/*") and "*/" not in line:
            in_block_comment = True
            continue
        if line.startswith("//") or not line:
            continue
        if line.count('"""') % 2 == 1:
            in_multiline_string = True

        enclosing = scopes[-1] if scopes else None
        is_public = bool(LEADING.match(line)) and not PUBLIC_IMPORT.match(line)
        implicit = (enclosing == "enum" and ENUM_CASE.match(line)) or (
            enclosing == "protocol" and PROTOCOL_MEMBER.match(line))
        if is_public or implicit:
            yield number, line, documented(lines, number - 1)
            kind = IMPLICIT_SCOPE.search(line.split("{", 1)[0].split(":", 1)[0]) if is_public else None
            if kind:
                pending_scope = kind.group(1)

        code = code_part(line)
        for char in code:
            if char == "{":
                scopes.append(pending_scope)
                pending_scope = None
            elif char == "}" and scopes:
                scopes.pop()


def documented(lines, index):
    """Whether the declaration at `lines[index]` has a doc comment above its attributes."""
    i = index - 1
    while i >= 0:
        above = lines[i].strip()
        if ATTRIBUTE.match(above) or above.startswith("#if") or above.startswith("#endif"):
            i -= 1
            continue
        return above.startswith("///") or above.endswith("*/") and not above.startswith("//")
    return False


SYMBOL_LINK = re.compile(r"``([^`]+)``")
DECLARED_NAME = re.compile(r"\b(?:class|struct|enum|protocol|typealias|func|var|let|case|associatedtype)\s+"
                           r"(`?[A-Za-z_][A-Za-z0-9_]*`?)")


def declared_names(module_dir):
    """Names declared anywhere in a module (types, members, cases); a link must use one of them."""
    names = set()
    for directory, _, files in os.walk(module_dir):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    for match in DECLARED_NAME.finditer(f.read()):
                        names.add(match.group(1).strip("`"))
    return names


def dangling_links(module):
    """Symbol links of the module's catalog whose names the module does not declare."""
    catalog = os.path.join(ROOT, module, f"{module}.docc")
    if not os.path.isdir(catalog):
        return []
    names = declared_names(os.path.join(ROOT, module))
    dangling = []
    for directory, _, files in os.walk(catalog):
        for name in sorted(files):
            if not name.endswith(".md"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, start=1):
                    for link in SYMBOL_LINK.findall(line):
                        parts = [re.sub(r"\(.*$", "", part) for part in link.split("/")]
                        if parts[0] == module:  # the page's title, ``Module``
                            parts = parts[1:]
                        missing = [part for part in parts if part not in names]
                        if missing:
                            dangling.append(f"{os.path.relpath(path, os.path.join(ROOT, '..'))}:{number}: ``{link}``")
    return dangling


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list", action="store_true", help="print every undocumented declaration")
    parser.add_argument("modules", nargs="*", help="modules to report (default: all under Sources/)")
    args = parser.parse_args()

    modules = args.modules or sorted(
        name for name in os.listdir(ROOT)
        if os.path.isdir(os.path.join(ROOT, name)) and not name.startswith("C") and name != "shardkit")
    failing = []
    print(f"{'module':<16} {'public':>6} {'no ///':>6} {'covered':>8}")
    for module in modules:
        total = 0
        gaps = []
        for directory, _, files in os.walk(os.path.join(ROOT, module)):
            for name in sorted(files):
                if not name.endswith(".swift"):
                    continue
                path = os.path.join(directory, name)
                for number, declaration, is_documented in scan(path):
                    total += 1
                    if not is_documented:
                        gaps.append(f"{os.path.relpath(path, os.path.join(ROOT, '..'))}:{number}: {declaration}")
        covered = 100.0 * (total - len(gaps)) / total if total else 100.0
        mark = "  (required)" if module in DOCUMENTED else ""
        print(f"{module:<16} {total:>6} {len(gaps):>6} {covered:>7.1f}%{mark}")
        if args.list or (module in DOCUMENTED and gaps):
            for gap in sorted(gaps):
                print(f"    {gap}")
        if module in DOCUMENTED and gaps:
            failing.append(module)
        for link in dangling_links(module):
            print(f"    {link}: no such declaration in {module}")
            if module not in failing:
                failing.append(module)
    if failing:
        print(f"undocumented declarations or dangling catalog links in {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
