#!/bin/sh
# The layers point down (README, "Source layout"): checked by grep over
# src/, from the top of the repository (make test-unit runs it).
#   1. No edge file (HTTP, routing, the dialects, the admin page, templates)
#      includes store.h or calls a function store.h declares: handlers call
#      the model, only the model calls the store.
#   2. No two source files include each other's header.
#   3. api.c names no dialect: it dispatches over dialect.h's table.
# Prints each offence; exits 1 if there is one.
set -u
cd "$(dirname "$0")/.." || exit 2
EDGE="src/http.c src/router.c src/api.c src/api_*.c src/dialect.c src/admin.c
      src/tmpl.c src/http.h src/router.h src/api.h src/api_*.h src/dialect.h
      src/admin.h src/tmpl.h"
# Edge files that still call the store, each with who moves it: none may be
# added (none left).
KNOWN=""
bad=0

fns=$(grep -o '\bstore_[a-z_]*(' src/store.h | tr -d '(' | sort -u)
for f in $EDGE; do
	[ -f "$f" ] || continue
	if grep -q '#include "store.h"' "$f"; then
		echo "layers: $f includes store.h"
		bad=1
	fi
	case " $(echo $KNOWN) " in *" $f "*) continue ;; esac
	for fn in $fns; do
		if grep -n "\b$fn(" "$f" | grep -v '^[0-9]*:[ 	]*[/*]' \
		    >/dev/null; then
			echo "layers: $f calls $fn (store.h): go through the model"
			bad=1
		fi
	done
done

for f in src/*.c; do
	m=$(basename "$f" .c)
	for h in $(sed -n 's/^#include "\([a-z_0-9]*\)\.h"/\1/p' "$f"); do
		# each pair once
		expr "$h" \> "$m" >/dev/null || continue
		if [ -f "src/$h.c" ] && grep -q "^#include \"$m.h\"" "src/$h.c"
		then
			echo "layers: $m.c and $h.c include each other"
			bad=1
		fi
	done
done

for d in $(sed -n 's/^[ 	]*X(\([a-z_0-9]*\)).*/\1/p' src/dialect.h); do
	stem=${d%_dialect}
	if grep -n "\b$stem\|\b$d\b" src/api.c >/dev/null; then
		echo "layers: api.c names the dialect $d"
		bad=1
	fi
done

[ $bad -eq 0 ] && echo "layers: edge -> model -> store, no mutual includes, api.c names no dialect"
exit $bad
