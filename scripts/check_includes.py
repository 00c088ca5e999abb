#!/usr/bin/env python3
"""Checks the include direction between modules (STYLE.md): a lower layer never includes a higher one."""
import pathlib
import re
import sys

# module -> modules it may include (besides itself)
ALLOWED = {
    "core": set(),
    "signal": {"core"},
    "predict": {"core", "signal"},
    "policy": {"core", "signal", "predict"},
    "store": {"core"},
    "ingest": {"core"},
    "net": {"core"},
    "actuate": {"core", "policy", "net"},
    "notify": {"core", "predict", "net"},
    "engine": {"core", "signal", "predict", "policy", "store", "ingest", "actuate", "notify", "net"},
    "api": {"core", "signal", "predict", "policy", "store", "ingest", "engine", "actuate", "notify", "net"},
    "sim": {"core", "signal", "predict", "policy", "store", "ingest", "engine", "actuate", "notify", "net"},
    "daemon": {"core", "signal", "predict", "policy", "store", "ingest", "engine", "actuate", "notify",
               "net", "api", "sim"},
    "cli": {"core", "signal", "predict", "policy", "store", "ingest", "engine", "actuate", "notify",
            "net", "api", "sim", "daemon"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([a-z_]+)/')

def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src"
    bad = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        module = path.relative_to(root).parts[0]
        allowed = ALLOWED.get(module)
        if allowed is None:
            bad.append(f"{path}: module '{module}' is not in scripts/check_includes.py")
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) != module and m.group(1) in ALLOWED and m.group(1) not in allowed:
                bad.append(f"{path.relative_to(root.parent)}:{n}: '{module}' may not include '{m.group(1)}/'")
    for b in bad:
        print(b)
    print(f"check_includes: {'FAILED' if bad else 'ok'} ({len(bad)} violations)")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
