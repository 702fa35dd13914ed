#!/usr/bin/env python3
"""fuzz-corpus-select.py CONTROL_FILE CAP: chooses a small corpus from a libFuzzer merge control file.

libFuzzer's -merge=1 records, for every input it ran, the edges it reaches ("COV <index> <edge>..."). This
picks greedily the input that adds the most edges not yet reached (the smaller on a tie), after every
regress-* file, until all edges are reached or CAP inputs are chosen. It prints "# edges KEPT of ALL" and
then the chosen paths, one per line. Used by contrib/fuzz-campaign.
"""
import os
import sys


def main():
    lines = open(sys.argv[1]).read().split("\n")
    cap = int(sys.argv[2])
    n = int(lines[0])
    files = lines[2:2 + n]
    cov = {}
    for line in lines[2 + n:]:
        if line.startswith("COV "):
            fields = line.split()
            cov[int(fields[1])] = set(fields[2:])
    everything = set().union(*cov.values()) if cov else set()

    chosen, covered = [], set()
    for i, f in enumerate(files):
        if os.path.basename(f).startswith("regress-"):
            chosen.append(i)
            covered |= cov.get(i, set())
    size = {i: os.path.getsize(files[i]) for i in cov}
    while len(chosen) < cap:
        best = max(cov, key=lambda i: (len(cov[i] - covered), -size[i]), default=None)
        if best is None or not cov[best] - covered:
            break
        chosen.append(best)
        covered |= cov[best]

    print("# edges %d of %d" % (len(covered), len(everything)))
    for i in chosen:
        print(files[i])


if __name__ == "__main__":
    main()
