#!/usr/bin/env python3
"""Fails when a file of src/ includes a folder above its own (docs/architecture.md, "Folders").

The folders depend one way:

    shared <- compose <- {unit, journal, probe, watch} <- core <- {http, ws} <- daemon <- cli
    shared <- client <- cli

A folder may include itself and every folder below it, never a sibling or a folder above it. Tests and
benchmarks may include anything: they are not checked.

Usage: check-layering.py SRC_DIR [STAMP]   (writes STAMP on success, for meson's custom_target)
"""
import os
import re
import sys

BELOW = {
    'shared': set(),
    'compose': {'shared'},
    'unit': {'compose', 'shared'},
    'journal': {'compose', 'shared'},
    'probe': {'compose', 'shared'},
    'watch': {'compose', 'shared'},
    'core': {'unit', 'journal', 'probe', 'watch', 'compose', 'shared'},
    'http': {'core', 'unit', 'journal', 'probe', 'watch', 'compose', 'shared'},
    'ws': {'core', 'unit', 'journal', 'probe', 'watch', 'compose', 'shared'},
    'daemon': {'http', 'ws', 'core', 'unit', 'journal', 'probe', 'watch', 'compose', 'shared'},
    'client': {'shared'},
    'cli': {'daemon', 'client', 'http', 'ws', 'core', 'unit', 'journal', 'probe', 'watch', 'compose', 'shared'},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def check(src):
    errors = []
    for folder in sorted(os.listdir(src)):
        top = os.path.join(src, folder)
        if not os.path.isdir(top):
            continue
        if folder not in BELOW:
            errors.append(f'{top}: folder not in the layering table (tools/check-layering.py)')
            continue
        for root, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding='utf-8', errors='replace') as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    target = m.group(1).split('/')[0] if '/' in m.group(1) else None
                    if target is None or target == folder or target not in BELOW:
                        continue
                    if target not in BELOW[folder]:
                        line = text.count('\n', 0, m.start()) + 1
                        errors.append(f'{path}:{line}: layering: {folder}/ must not include "{m.group(1)}" '
                                      f'({target}/ is not below {folder}/, see docs/architecture.md)')
    return errors


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    errors = check(sys.argv[1])
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    if len(sys.argv) == 3:
        with open(sys.argv[2], 'w') as f:
            f.write('ok\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
