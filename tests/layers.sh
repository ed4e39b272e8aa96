#!/bin/sh
# The layers point down (README, "Source layout"): checked by grep over
# src/, from the top of the repository (make test-unit runs it).
#   1. No edge file (HTTP, routing, the dialects, the admin page, templates)
#      includes store.h or calls a function store.h declares: handlers call
#      the model, only the model calls the store.
#   2. No two source files include each other's header.
#   3. api.c names no dialect: it dispatches over dialect.h's table.
#   4. The folders point down (lib <- store <- model <- web, daemon, ctl).
#   5. The programs (web/, daemon/, ctl/) call of the store only what runs
#      a store handle (open, close, maintenance, check, backup, upgrade):
#      every record they read or write goes through the model.
# Prints each offence; exits 1 if there is one.
set -u
cd "$(dirname "$0")/.." || exit 2
# The edge is src/web/ but for its main (webhooks_fcgi.c opens the store
# for its requests) and probe.c (which runs webhookd --test).
EDGE=$(ls src/web/*.[ch] | grep -v 'webhooks_fcgi.c\|probe\.[ch]')
# Edge files that still call the store, each with who moves it: none may be
# added (none left).
KNOWN=""
bad=0

fns=$(grep -o '\bstore_[a-z_]*(' src/store/store.h | tr -d '(' | sort -u)
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

for f in src/*/*.c; do
	m=$(basename "$f" .c)
	for h in $(sed -n 's/^#include "\([a-z_0-9]*\)\.h"/\1/p' "$f"); do
		# each pair once
		expr "$h" \> "$m" >/dev/null || continue
		hc=$(ls src/*/"$h.c" 2>/dev/null | head -1)
		if [ -n "$hc" ] && grep -q "^#include \"$m.h\"" "$hc"
		then
			echo "layers: $m.c and $h.c include each other"
			bad=1
		fi
	done
done

for d in $(sed -n 's/^[ 	]*X(\([a-z_0-9]*\)).*/\1/p' src/web/dialect.h); do
	stem=${d%_dialect}
	if grep -n "\b$stem\|\b$d\b" src/web/api.c >/dev/null; then
		echo "layers: api.c names the dialect $d"
		bad=1
	fi
done

# 4. The folders point down: lib <- store <- model <- web, daemon, ctl;
# the three at the top include none of each other's headers.  What would
# still cross is named here, "file:header", so that nothing is added
# unseen: nothing (the delivery's result, ids and the protocol of
# webhookd --test, which both ends read, are the model's delivery.h).
CROSS=""
rank() {
	case $1 in lib) echo 0 ;; store) echo 1 ;; model) echo 2 ;; *) echo 3 ;; esac
}
for f in src/*/*.[ch]; do
	d=$(basename "$(dirname "$f")")
	r=$(rank "$d")
	for h in $(sed -n 's/^#include "\([a-z_0-9]*\.h\)"/\1/p' "$f"); do
		hp=$(ls src/*/"$h" 2>/dev/null | head -1)
		[ -n "$hp" ] || continue
		hd=$(basename "$(dirname "$hp")")
		[ "$hd" = "$d" ] && continue
		hr=$(rank "$hd")
		[ "$hr" -lt "$r" ] && continue	# down: fine
		case " $(echo $CROSS) " in *" $f:$h "*) continue ;; esac
		echo "layers: $f ($d/) includes $h ($hd/)"
		bad=1
	done
done

# 5. The store's lifecycle, which a program's main and its maintenance
# run; nothing else of store.h above the model.
LIFECYCLE="store_open store_close store_maintain store_maintain_every
	store_check store_backup store_recover_copy store_upgrade
	store_is_fatal store_read_begin store_read_end"
for f in src/web/*.c src/daemon/*.c src/ctl/*.c; do
	for fn in $fns; do
		case " $(echo $LIFECYCLE) " in *" $fn "*) continue ;; esac
		if grep -n "\b$fn(" "$f" | grep -v '^[0-9]*:[ 	]*[/*]' \
		    >/dev/null; then
			echo "layers: $f calls $fn (store.h): go through the model"
			bad=1
		fi
	done
done

[ $bad -eq 0 ] && echo "layers: edge -> model -> store, folders point down, no mutual includes, api.c names no dialect, the programs reach records only through the model"
exit $bad
