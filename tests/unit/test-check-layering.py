#!/usr/bin/env python3
"""The layering check (tools/check-layering.py): it passes on the real tree and rejects an include that goes
up or sideways, which fails the build (the check is a build_by_default target)."""
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get('PCCTL_SOURCE_ROOT') or os.path.join(os.path.dirname(__file__), '..', '..')
CHECK = os.path.join(ROOT, 'tools', 'check-layering.py')


def run(src):
    return subprocess.run([sys.executable, CHECK, src], capture_output=True, text=True)


def tree(files):
    d = tempfile.mkdtemp(prefix='pcctl-layering-')
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(d, path)), exist_ok=True)
        with open(os.path.join(d, path), 'w') as f:
            f.write(text)
    return d


def expect(cond, what):
    if not cond:
        print('FAIL:', what, file=sys.stderr)
        sys.exit(1)
    print('ok:', what)


r = run(os.path.join(ROOT, 'src'))
expect(r.returncode == 0, 'the real tree passes: ' + r.stderr.strip())

good = {
    'shared/a.h': '#pragma once\n',
    'core/m.c': '#include "config.h"\n#include "shared/a.h"\n#include "core/m.h"\n',
    'daemon/d.c': '#include "core/m.h"\n#include "http/s.h"\n#include "ws/w.h"\n',
    'cli/v.c': '#include "daemon/d.h"\n#include "client/c.h"\n',
}
r = run(tree(good))
expect(r.returncode == 0, 'downward includes pass: ' + r.stderr.strip())

for folder, bad in [('core', 'http/http-server.h'),       # up
                    ('ws', 'http/http-router.h'),         # sideways: siblings
                    ('unit', 'journal/logring.h'),        # sideways: siblings
                    ('http', 'daemon/daemon.h'),          # up
                    ('shared', 'compose/compose.h'),      # up from the bottom
                    ('client', 'core/manager.h')]:        # client sits just above shared
    files = dict(good)
    files[f'{folder}/bad.c'] = f'#include "shared/a.h"\n  #  include "{bad}"\n'
    r = run(tree(files))
    expect(r.returncode == 1 and f'{folder}/bad.c:2: layering: {folder}/ must not include "{bad}"' in r.stderr,
           f'{folder}/ including {bad} is rejected: {r.stderr.strip()}')

files = dict(good)
files['newfolder/x.c'] = '#include "shared/a.h"\n'
r = run(tree(files))
expect(r.returncode == 1 and 'not in the layering table' in r.stderr, 'an unknown folder must be placed first')
