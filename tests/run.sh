#!/bin/sh
# `make run`: the service in the foreground on 127.0.0.1:PORT.
#
#   sh tests/run.sh [PORT]        (PORT default 8080; WEBHOOKS_HOME default ./var)
#
# On first start (no $WEBHOOKS_HOME/admin.token) it initialises the data
# directory, adds a team "default" and an admin token with every scope,
# written to $WEBHOOKS_HOME/admin.token (mode 0600).  Then it starts lighttpd
# with lighttpd.conf.example (the FastCGI program behind it) and webhookd when
# it is built, prints how to reach the API, and waits.  Ctrl-C or SIGTERM
# stops what it started, and only that.  If webhookd dies, the API stays up
# and webhookd is started again.
#
# Started as root (a fresh machine), the service does not run as root: a new
# data directory is given to www-data (RUN_USER), the web server's user on
# Debian, and lighttpd's FastCGI processes and webhookd run as the owner of
# the data directory.  Only where that user cannot reach the program (a
# clone under /root, mode 0700) or the data directory is root's already does
# it stay root, explicitly (webhookd --user root), and says so.
set -eu

PORT=${1:-${PORT:-8080}}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

case $PORT in
''|*[!0-9]*) echo "run: the port must be a number, not \"$PORT\"" >&2; exit 2 ;;
esac

WEBHOOKS_HOME=${WEBHOOKS_HOME:-./var}
fresh=0
[ -e "$WEBHOOKS_HOME" ] || fresh=1
(umask 077 && mkdir -p "$WEBHOOKS_HOME")
WEBHOOKS_HOME=$(cd "$WEBHOOKS_HOME" && pwd)
export WEBHOOKS_HOME

# As root: who runs the service (see above).  USER_ARGS go to webhookd.
RUN_USER=${RUN_USER:-www-data}
USER_ARGS=
# 0 if user $1 can run the program from here and write the data directory.
can_run() {
	runuser -u "$1" -- sh -c 'test -x "$1/cgi-bin/webhooks.fcgi" &&
	    test -r "$1/templates" && test -x "$1/templates" &&
	    test -w "$2" && test -x "$2"' sh "$ROOT" "$WEBHOOKS_HOME" \
	    2>/dev/null
}
if [ "$(id -u)" = 0 ]; then
	if [ "$fresh" = 1 ] && id "$RUN_USER" >/dev/null 2>&1; then
		chown "$RUN_USER:$(id -gn "$RUN_USER")" "$WEBHOOKS_HOME"
		if ! can_run "$RUN_USER"; then
			chown root:root "$WEBHOOKS_HOME"
			echo "run: $RUN_USER cannot reach $ROOT/cgi-bin or" \
			    "$WEBHOOKS_HOME (a clone under /root?): the service" \
			    "runs as root; clone elsewhere (/srv, /opt) to run" \
			    "it as $RUN_USER" >&2
		fi
	fi
	owner=$(stat -c %U "$WEBHOOKS_HOME")
	if [ "$owner" = root ]; then
		USER_ARGS="--user root"
		echo "run: $WEBHOOKS_HOME belongs to root: the service runs as" \
		    "root (webhookd --user root); chown -R $RUN_USER:" \
		    "$WEBHOOKS_HOME to run it as $RUN_USER" >&2
	elif ! can_run "$owner"; then
		echo "run: $owner owns $WEBHOOKS_HOME but cannot reach" \
		    "$ROOT/cgi-bin or write $WEBHOOKS_HOME" >&2
		exit 1
	else
		WEBHOOKS_USER=$owner
		export WEBHOOKS_USER
	fi
fi

LIGHTTPD=$(command -v lighttpd || true)
[ -n "$LIGHTTPD" ] || for p in /usr/sbin/lighttpd /usr/local/sbin/lighttpd; do
	[ -x "$p" ] && LIGHTTPD=$p && break
done
if [ -z "$LIGHTTPD" ]; then
	echo "run: lighttpd is not installed (make deps)" >&2
	exit 1
fi
for f in cgi-bin/webhooks.fcgi webhookctl; do
	if [ ! -x "$f" ]; then
		echo "run: $f is not built (make)" >&2
		exit 1
	fi
done

TOKEN_FILE=$WEBHOOKS_HOME/admin.token
if [ ! -s "$TOKEN_FILE" ]; then
	echo "run: first start: initialising $WEBHOOKS_HOME"
	./webhookctl init
	if ! ./webhookctl team list 2>/dev/null | grep -qw default; then
		./webhookctl team add default
	fi
	out=$(./webhookctl token add --team default \
	    --scopes webhooks:view,webhooks:add,webhooks:edit,webhooks:remove,events:publish)
	token=$(printf '%s\n' "$out" | tail -n 1)
	if [ -z "$token" ]; then
		echo "run: webhookctl token add printed no token" >&2
		exit 1
	fi
	(umask 077 && printf '%s\n' "$token" > "$TOKEN_FILE.tmp")
	chmod 600 "$TOKEN_FILE.tmp"
	# The owner's, like the rest of the directory (a backup copies it).
	[ -z "${WEBHOOKS_USER:-}" ] ||
	    chown "$WEBHOOKS_USER:$(id -gn "$WEBHOOKS_USER")" "$TOKEN_FILE.tmp"
	mv "$TOKEN_FILE.tmp" "$TOKEN_FILE"
fi
TOKEN=$(head -n 1 "$TOKEN_FILE")

LPID=
DPID=
stopping=0
stop() {
	stopping=1
	trap '' INT TERM
	for p in $DPID $LPID; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $DPID $LPID; do
		wait "$p" 2>/dev/null || true
	done
	echo "run: stopped"
	exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop 1' HUP

WEBHOOKS_ROOT=$ROOT WEBHOOKS_PORT=$PORT \
    "$LIGHTTPD" -tt -f "$ROOT/lighttpd.conf.example" >/dev/null
WEBHOOKS_ROOT=$ROOT WEBHOOKS_PORT=$PORT \
    "$LIGHTTPD" -D -f "$ROOT/lighttpd.conf.example" &
LPID=$!

start_webhookd() {
	DPID=
	dstart=$(date +%s)
	if [ -x ./webhookd ]; then
		# shellcheck disable=SC2086
		./webhookd $USER_ARGS &
		DPID=$!
	fi
}
start_webhookd

# Wait until the API answers (any HTTP status will do).
i=0
while :; do
	if ! kill -0 "$LPID" 2>/dev/null; then
		echo "run: lighttpd did not start (is port $PORT in use?)" >&2
		LPID=
		stop 1
	fi
	if command -v curl >/dev/null 2>&1; then
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$PORT/api/2.0/webhooks" 2>/dev/null || true)
		[ -n "$code" ] && [ "$code" != 000 ] && break
	else
		sleep 1
		break
	fi
	i=$((i + 1))
	if [ "$i" -ge 100 ]; then
		echo "run: no answer on 127.0.0.1:$PORT after 10 s" >&2
		stop 1
	fi
	sleep 0.1
done

BASE=http://127.0.0.1:$PORT
cat <<EOF

  The webhook service is running (Ctrl-C stops it).

  data directory  $WEBHOOKS_HOME
  running as      ${WEBHOOKS_USER:-$(id -un)}
  admin token     $TOKEN
                  (also in $TOKEN_FILE)
  API             $BASE/api/2.0/
  admin page      $BASE/admin/
  webhookd        $([ -n "$DPID" ] && echo "running (pid $DPID)" || echo "not built: events are queued, not delivered")

  List the webhooks:
    curl -H "Authorization: Bearer $TOKEN" $BASE/api/2.0/webhooks

EOF

backoff=1
while :; do
	sleep 1 &
	wait $! 2>/dev/null || true
	[ "$stopping" = 1 ] && break
	if ! kill -0 "$LPID" 2>/dev/null; then
		wait "$LPID" 2>/dev/null || true
		echo "run: lighttpd exited" >&2
		LPID=
		stop 1
	fi
	if [ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null; then
		wait "$DPID" 2>/dev/null || true
		DPID=
		# A webhookd that ran for a while gets a quick restart again.
		[ $(($(date +%s) - dstart)) -gt 300 ] && backoff=1
		echo "run: webhookd exited; starting it again in $backoff s (the API stays up)" >&2
		sleep "$backoff" &
		wait $! 2>/dev/null || true
		[ "$stopping" = 1 ] && break
		[ "$backoff" -lt 60 ] && backoff=$((backoff * 2))
		start_webhookd
	fi
done
