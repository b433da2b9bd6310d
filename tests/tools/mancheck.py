#!/usr/bin/env python3
# mancheck.py MANUAL...: each line of every literal display (.Bd -literal)
# of the manuals renders under mandoc -T ascii as it is written, once the
# escapes a display may hold are undone (\e, \&, \-, \(dq, \(aq, ...).
# An escape that is not one of those (such as \n in a printf, which roff
# takes for a number register) is reported, and so is a line that renders
# otherwise.  mandoc -T lint says nothing of either.  Status 1 on any.
import re, subprocess, sys
ESC = re.compile(r"\\(e|&|-|\(..|\[[^\]]*\]|.)")
KNOWN = {"e": "\\", "&": "", "-": "-", "(dq": '"', "(aq": "'", "(ga": "`",
         "(ti": "~", "(ha": "^", "(em": "--", "(en": "-", " ": " ", "~": " "}
bad = 0
def norm(s):
    return " ".join(s.split())
for man in sys.argv[1:]:
    src = open(man).read().splitlines()
    out = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=400", man],
                         capture_output=True, text=True, check=True).stdout
    out = re.sub(r".\x08", "", out)
    rendered = {norm(l) for l in out.splitlines()}
    inlit, n = False, 0
    for i, line in enumerate(src, 1):
        if line.startswith(".Bd") and "-literal" in line:
            inlit = True
            continue
        if line.startswith(".Ed"):
            inlit = False
            continue
        if not inlit or line.startswith(".") or not line.strip():
            continue
        def repl(m):
            global bad
            if m.group(1) not in KNOWN:
                print("%s:%d: escape \\%s in an example: %s"
                      % (man, i, m.group(1), line))
                bad += 1
                return "?"
            return KNOWN[m.group(1)]
        want = norm(ESC.sub(repl, line))
        n += 1
        if want not in rendered:
            print("%s:%d: renders otherwise than written: %s" % (man, i, line))
            print("  expected the line: %s" % want)
            bad += 1
    print("%s: %d example lines checked" % (man, n))
sys.exit(1 if bad else 0)
