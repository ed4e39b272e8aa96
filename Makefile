# The webhook service: one GNU Makefile.
#   make            build cgi-bin/webhooks.fcgi, webhookd, webhookctl
#   make run        start lighttpd + the FastCGI program + webhookd on 127.0.0.1:$(PORT)
#   make test       unit, end-to-end and browser tests
#   make bench      benchmarks (tests/bench/RESULTS.md)
#   make asan       build with ASan + UBSan and run the tests
#   make bundle     webhooks-shared-VERSION.tar.gz, for shared hosting (README)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (tests/fuzz/)
#   make install    PREFIX, DESTDIR, MANDIR (and the systemd units' SYSTEMDDIR,
#                   SERVICE_HOME, SERVICE_USER, SERVICE_GROUP, SERVICE_WORKERS)
PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
PORT	?= 8080
WEBHOOKS_HOME ?= $(CURDIR)/var
export WEBHOOKS_HOME

CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wpointer-arith
# The sources, one folder a layer (README, "Source layout"); a module is
# named by its file, wherever it lives: headers are included by name.
SRCDIRS	 = src/lib src/store src/model src/web src/daemon src/ctl
HDRS	 = $(wildcard $(addsuffix /*.h,$(SRCDIRS)))
vpath %.c $(SRCDIRS)
CPPFLAGS += -D_GNU_SOURCE $(addprefix -I,$(SRCDIRS)) -I$(OBJDIR)
# nettle: SHA-256 and base64 for every program (src/lib/util.c); OpenSSL's
# libcrypto only where libcurl brings it anyway: webhookd's HMAC.
LDLIBS_CORE = -ljson-c -ldb-5.3 -lnettle
LDLIBS_DELIVER = -lcrypto -lcurl

# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# into its own object directory.
ifeq ($(SAN),1)
CFLAGS	 = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
OBJDIR	 = build/asan
else
OBJDIR	 = build/normal
endif

STORE	 = store_env store_range store_keyed store_team store_webhook store_attempt \
	   store_app store_msg store_upgrade
# event (the event-type rule that webhook's subscriptions share, publishing)
# needs the spool: both are core.  delivery (a delivery's id, the record of
# an attempt, manual retry, the test delivery's answer) needs no libcurl.
CORE	 = util log cfg jscan $(STORE) spool spool_event event attempt \
	   webhook webhook_check webhook_field webhook_outcome \
	   retry delivery auth auth_session team metrics app event_type endpoint idem \
	   message message_attempt
# The API's dialects: every src/web/api_*.c (src/web/dialect.h lists them).
DIALECTS = $(patsubst src/web/%.c,%,$(wildcard src/web/api_*.c))
# The FastCGI program links no libcurl (no src/daemon/deliver.c): its test
# deliveries run in `webhookd --test` (src/web/probe.h).
WEB	 = http router api dialect $(DIALECTS) admin admin_webhook tmpl
FCGI	 = $(WEB) probe webhooks_fcgi
# webhookd's modules (src/daemon/wd.h), which its unit tests link too.
WD	 = wd_endpoint wd_handoff wd_fanout wd_net wd_record wd_spool
DAEMON	 = deliver priv $(WD) webhookd
CTL	 = webhookctl backup home priv

obj	 = $(addprefix $(OBJDIR)/,$(addsuffix .o,$(1)))
CORE_O	 = $(call obj,$(CORE))

PROGS	 = cgi-bin/webhooks.fcgi webhookctl $(if $(wildcard src/daemon/webhookd.c),webhookd)
UNIT	 = $(patsubst tests/unit/%.c,$(OBJDIR)/%,$(wildcard tests/unit/test_*.c))

# Debian packages the build, `make run` and the tests need.
DEBS	 = build-essential pkg-config libfcgi-dev libjson-c-dev libdb5.3-dev \
	   db5.3-util libcurl4-openssl-dev libssl-dev nettle-dev libcmocka-dev \
	   lighttpd apache2 libapache2-mod-fcgid curl wrk chromium mandoc \
	   systemd multiwatch $(BUNDLE_DEBS)
# make bundle: the static archives of what libcurl needs (README, "Shared
# hosting").
BUNDLE_DEBS = libnghttp2-dev libpsl-dev libssh2-1-dev libzstd-dev \
	   librtmp-dev libldap-dev libunistring-dev libgnutls28-dev \
	   libtasn1-6-dev libp11-kit-dev libbrotli-dev zlib1g-dev libgmp-dev \
	   libidn2-dev libgssapi-krb5-2 libsasl2-2

# The manual pages (mdoc): src/man/NAME.SECTION, one a program and the
# settings file's.
MANS	 = $(wildcard src/man/*.[1-9])

.PHONY: FORCE all bundle test-bundle deps run test test-man test-openapi test-unit test-units test-e2e test-browser bench \
	asan valgrind install install-files clean clean-progs fuzz fuzz-build
all: $(PROGS)

# Installs what is missing, and only that.  Needs root on a fresh machine.
deps:
	@missing=; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends $$missing; \
	fi
	@[ -d tests/node_modules/playwright-core ] && \
	  [ -d tests/node_modules/standardwebhooks ] && \
	  [ -d tests/node_modules/parse-prometheus-text-format ] && \
	  [ -d tests/node_modules/@seriousme/openapi-schema-validator ] && \
	  [ -d tests/node_modules/ajv ] && [ -d tests/node_modules/ajv-formats ] && \
	  [ -d tests/node_modules/svix ] && [ -d tests/node_modules/svix2 ] || \
	  (cd tests && npm install --no-audit --no-fund --loglevel=error)

$(OBJDIR)/%.o: %.c $(HDRS) | $(OBJDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<
$(OBJDIR)/%.o: tests/unit/%.c $(HDRS) | $(OBJDIR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -c -o $@ $<
$(OBJDIR):
	mkdir -p $@
# Where `make install` puts webhookd, for the FastCGI program to find it;
# rewritten only when PREFIX changes, so that only what uses it is rebuilt.
build/%/prefix.h: FORCE
	@mkdir -p $(@D)
	@printf '#define PROBE_WEBHOOKD "%s/bin/webhookd"\n' '$(PREFIX)' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi
FORCE:
$(OBJDIR)/probe.o $(OBJDIR)/test_probe.o: $(OBJDIR)/prefix.h

cgi-bin/webhooks.fcgi: $(CORE_O) $(call obj,$(FCGI))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_CORE) -lfcgi
webhookd: $(CORE_O) $(call obj,$(DAEMON))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_CORE) $(LDLIBS_DELIVER)
webhookctl: $(CORE_O) $(call obj,$(CTL))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_CORE)

# The shared-hosting upload bundle (README, "Shared hosting"):
# webhooks-shared-VERSION.tar.gz, its programs built into build/bundle/
# with their own objects.  libfcgi, Berkeley DB, json-c and nettle are
# linked statically, and so are webhookd's libcurl, OpenSSL and all that
# libcurl needs (BUNDLE_CURL, pkg-config --static --libs libcurl and
# theirs) but what Debian ships no static archive of: Kerberos' GSS-API
# (libkrb5-dev has no .a), Cyrus SASL (for LDAP) and p11-kit (for GnuTLS,
# librtmp's).  Those, and what they need but glibc, are carried in lib/,
# found through the run path $ORIGIN/../lib (DT_RPATH: it also serves the
# carried libraries).  None of them links OpenSSL or nettle: one copy of
# each, the static one.
# Read once (:=), so that a commit made while make runs does not rename the
# bundle between its rule and a recipe that names it (test-bundle).
ifeq ($(origin VERSION),undefined)
VERSION	:= $(shell git log -1 --format=%cd.%h --date=format:%Y%m%d 2>/dev/null || echo dev)
endif
BUNDLE	 = webhooks-shared-$(VERSION).tar.gz
BOBJ	 = build/bundle/obj
bobj	 = $(addprefix $(BOBJ)/,$(addsuffix .o,$(1)))
BUNDLE_STATIC = -Wl,-Bstatic -ljson-c -ldb-5.3 -lnettle
BUNDLE_CURL = -Wl,--start-group -lcurl -lnghttp2 -lidn2 -lrtmp -lssh2 -lpsl \
	   -lssl -lcrypto -lldap -llber -lgnutls -lhogweed -lnettle -lgmp \
	   -ltasn1 -lunistring -lzstd -lbrotlidec -lbrotlicommon -lz \
	   -Wl,--end-group
BUNDLE_SHARED = -l:libgssapi_krb5.so.2 -l:libsasl2.so.2 -l:libp11-kit.so.0
BUNDLE_PROGS = build/bundle/webhooks.fcgi build/bundle/webhookd \
	   build/bundle/webhookctl
$(BOBJ)/%.o: %.c $(HDRS) | $(BOBJ)
	$(CC) $(filter-out -I$(OBJDIR),$(CPPFLAGS)) -I$(BOBJ) $(CFLAGS) $(WARN) -c -o $@ $<
$(BOBJ):
	mkdir -p $@
$(BOBJ)/probe.o: $(BOBJ)/prefix.h
build/bundle/webhooks.fcgi: $(call bobj,$(CORE) $(FCGI))
	$(CC) $(LDFLAGS) -o $@ $^ $(BUNDLE_STATIC) -lfcgi -Wl,-Bdynamic
build/bundle/webhookctl: $(call bobj,$(CORE) $(CTL))
	$(CC) $(LDFLAGS) -o $@ $^ $(BUNDLE_STATIC) -Wl,-Bdynamic
build/bundle/webhookd: $(call bobj,$(CORE) $(DAEMON))
	$(CC) $(LDFLAGS) -o $@ $^ $(BUNDLE_STATIC) $(BUNDLE_CURL) -Wl,-Bdynamic \
	  $(BUNDLE_SHARED) -Wl,--disable-new-dtags -Wl,-rpath,'$$ORIGIN/../lib'
$(BUNDLE): $(BUNDLE_PROGS) src/bundle/bundle.sh src/bundle/INSTALL \
	    cgi-bin/.htaccess $(wildcard templates/*)
	sh src/bundle/bundle.sh $@ build/bundle/stage $(BUNDLE_PROGS)
bundle: $(BUNDLE)
# The bundle unpacked in a chroot holding only libc6's files (needs root):
# webhookctl init, the program as CGI, webhookd --once delivering
# (tests/bundle/chroot.test.mjs).
test-bundle: $(BUNDLE)
	cd tests && WEBHOOKS_BUNDLE=$(BUNDLE) node --test --test-concurrency=1 bundle/

# Each tests/unit/test_X.c links the modules UNIT_LINK_X names: the fewest
# that link (what it tests and what that calls, as nm finds them).  A test
# without a list links every module (UNIT_ALL): give it one.
TEST_MODS = $(WEB) deliver probe backup priv $(WD)
UNIT_ALL = $(CORE) $(TEST_MODS)
# The groups they share, each the one before and more: the store's
# environment and scans; its teams and webhooks; the webhook model (its
# files, the events it subscribes to, the spool and its files' reader);
# all a delivery needs but deliver.o; the handlers (api.c's table brings
# every dialect, admin.c the templates).
UNIT_DB = util log store_env store_range store_keyed
UNIT_STORE = $(UNIT_DB) store_team store_webhook store_msg
UNIT_MODEL = $(UNIT_STORE) jscan spool spool_event event webhook \
	   webhook_check webhook_field metrics
UNIT_DELIVERY = $(UNIT_MODEL) store_attempt attempt retry webhook_outcome \
	   delivery
UNIT_WEB = $(UNIT_DELIVERY) auth auth_session team probe store_app store_msg app \
	   event_type endpoint idem message message_attempt \
	   $(WEB)
UNIT_LINK_admin = $(UNIT_WEB)
UNIT_LINK_api_chatbot = $(UNIT_WEB)
UNIT_LINK_api_v1 = $(UNIT_WEB)
UNIT_LINK_app = $(UNIT_MODEL) store_app store_msg app idem
UNIT_LINK_event_type = $(UNIT_MODEL) store_app app event_type
UNIT_LINK_endpoint = $(UNIT_MODEL) store_app app event_type endpoint
UNIT_LINK_attempt = $(UNIT_DB) store_team spool store_attempt attempt metrics
UNIT_LINK_auth = $(UNIT_DB) store_team auth team
UNIT_LINK_auth_session = $(UNIT_LINK_auth) auth_session
UNIT_LINK_backup = $(UNIT_DB) store_team priv spool backup
UNIT_LINK_cfg = cfg
UNIT_LINK_deliver = $(UNIT_DELIVERY) deliver
# test_dialect brings a fifth dialect and its own table of dialects
# (src/web/dialect.c's, plus one line): it links no dialect.o.
UNIT_LINK_dialect = $(filter-out dialect,$(UNIT_WEB))
UNIT_LINK_event = $(UNIT_MODEL)
UNIT_LINK_http = util log http
UNIT_LINK_jscan = util log jscan
UNIT_LINK_message = $(UNIT_DELIVERY) store_app store_msg app idem endpoint \
	   event_type message message_attempt
UNIT_LINK_metrics = $(UNIT_DB) store_team spool store_attempt attempt metrics
UNIT_LINK_probe = $(UNIT_DELIVERY) probe
UNIT_LINK_retry = util log retry
UNIT_LINK_router = router
UNIT_LINK_spool = util log jscan spool spool_event
UNIT_LINK_store = $(UNIT_STORE)
UNIT_LINK_store_svix = $(UNIT_STORE) store_app
UNIT_LINK_store_attempt = $(UNIT_LINK_attempt) store_team store_upgrade
UNIT_LINK_team = $(UNIT_DB) store_team auth team
UNIT_LINK_tmpl = util log tmpl
UNIT_LINK_util = util log
UNIT_LINK_wd_endpoint = util log wd_endpoint wd_handoff
UNIT_LINK_wd_spool = $(UNIT_DELIVERY) deliver store_app store_msg app idem \
	   endpoint event_type message message_attempt \
	   $(filter-out wd_net,$(WD))
UNIT_LINK_webhook = $(UNIT_MODEL)
.SECONDEXPANSION:
$(OBJDIR)/test_%: $(OBJDIR)/test_%.o \
	    $$(call obj,$$(or $$(UNIT_LINK_$$*),$$(UNIT_ALL)))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_CORE) -lfcgi $(LDLIBS_DELIVER) -lcmocka

run: deps all
	@sh tests/run.sh $(PORT)

test: deps all test-man test-openapi test-unit test-units test-e2e test-browser test-bundle

# The manual pages, linted: any message of level warning or above (mandoc
# exits 2 or more) fails; the style level is left out, as it also names
# pages this machine lacks (apache2(8), lighttpd(8), ...).
test-man:
	mandoc -T lint -W warning $(MANS)
	@echo "test-man: $(words $(MANS)) pages clean"

# webhookd: the test deliveries of test_api_v1 run it (src/web/probe.h).
# tests/layers.sh: the layers point down (grep over src/).
test-unit: $(UNIT) webhookd
	@sh tests/layers.sh
	@set -e; for t in $(UNIT); do echo "== $$t"; $$t; done

# The fault tests' LD_PRELOAD shim: write, fsync and rename failing with
# EIO or ENOSPC under a directory (tests/fault/faultfs.c).  Built without
# the sanitizers of SAN=1: it is preloaded into lighttpd too.
FAULT_SO = build/fault/faultfs.so
build/fault:
	mkdir -p $@
$(FAULT_SO): tests/fault/faultfs.c | build/fault
	$(CC) -O2 -g $(WARN) -shared -fPIC -o $@ $< -ldl

# The OpenAPI document (served at /api/2.0/openapi.json) is a valid OpenAPI
# 3.1 document naming the route tables' operations and scopes; test-e2e
# then checks every answer of every dialect the suite got against it
# (tests/e2e/lib.mjs records them in OPENAPI_LOG).
OPENAPI_LOG = $(CURDIR)/build/openapi-answers.jsonl
test-openapi:
	cd tests && node openapi/check.mjs ../templates/openapi.json

# WEBHOOKS_SAN tells the tests the programs are sanitizer builds (make asan).
test-e2e: all $(FAULT_SO)
	@mkdir -p build && rm -f $(OPENAPI_LOG)
	cd tests && WEBHOOKS_SAN=$(SAN) WEBHOOKS_OPENAPI_LOG=$(OPENAPI_LOG) \
	  node --test --test-concurrency=1 e2e/
	cd tests && node openapi/check.mjs ../templates/openapi.json $(OPENAPI_LOG)

test-browser: all
	cd tests && node --test --test-concurrency=1 browser/

# The benchmarks' own programs: the reference FastCGI responder, the store
# preloader, the disk's ceilings, the reference libcurl-multi sender and
# the loop that runs a program as plain CGI.
BENCH_BIN = build/bench/trivial build/bench/preload build/bench/diskref \
	    build/bench/curlref build/bench/cgispawn
build/bench:
	mkdir -p $@
build/bench/trivial: tests/bench/trivial.c | build/bench
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -lfcgi
build/bench/preload: tests/bench/preload.c $(CORE_O) | build/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS_CORE)
build/bench/diskref: tests/bench/diskref.c | build/bench
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -ldb-5.3
build/bench/cgispawn: tests/bench/cgispawn.c | build/bench
	$(CC) $(CFLAGS) $(WARN) -o $@ $<
build/bench/curlref: tests/bench/curlref.c | build/bench
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -lcurl

# The delivery benchmark's receiver is lighttpd with mod_magnet.
BENCH_DEBS = lighttpd-modules-lua valgrind
# (A target's own packages join DEBS for its deps: a target-specific
# variable reaches the prerequisites.)
bench: DEBS += $(BENCH_DEBS)
bench: deps all $(BENCH_BIN) build/bundle/webhooks.fcgi
	cd tests && node bench/bench.mjs

# Under valgrind's memcheck, no error and no definite leak: every unit
# test, then the programs themselves (webhookctl, webhooks.fcgi as CGI,
# webhookd --once and --test delivering to a receiver).
valgrind: DEBS += valgrind
valgrind: deps all $(UNIT)
	@set -e; for t in $(UNIT); do echo "== valgrind $$t"; \
	  WEBHOOKS_TEST_SLOW=20 valgrind -q --error-exitcode=9 --leak-check=full \
	    --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp \
	    $$t >/dev/null; done; echo "valgrind: unit tests clean"
	cd tests && node valgrind/programs.mjs

# libFuzzer targets (tests/fuzz/fuzz_*.c, each says what it feeds), built
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer into
# build/fuzz/.  Each runs FUZZ_SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/NAME/, copied into build/fuzz/corpus/NAME/, which
# keeps what runs find); any crash, leak or timeout fails, and the input is
# left in build/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_CC	 = clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
	   -fsanitize=fuzzer-no-link
FUZZ_CPPFLAGS = -D_GNU_SOURCE $(addprefix -I,$(SRCDIRS)) -Ibuild/fuzz \
	   -DFUZZ_TEMPLATES='"$(CURDIR)/templates"'
FUZZ_MODS = $(CORE) $(WEB) deliver probe
FUZZ_O	 = $(addprefix build/fuzz/,$(addsuffix .o,$(FUZZ_MODS)))
FUZZ_T	 = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(addprefix build/fuzz/fuzz_,$(FUZZ_T))
build/fuzz/%.o: %.c $(HDRS) build/fuzz/prefix.h
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(WARN) -c -o $@ $<
build/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c $(HDRS) build/fuzz/prefix.h
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(WARN) -c -o $@ $<
build/fuzz/fuzz_%: build/fuzz/fuzz_%.o $(FUZZ_O)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_CORE) \
	  -lfcgi $(LDLIBS_DELIVER) -lpthread
fuzz: DEBS += clang libclang-rt-dev
fuzz: deps fuzz-build
	@set -e; mkdir -p build/fuzz/artifacts; for t in $(FUZZ_T); do \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  mkdir -p build/fuzz/corpus/$$t; \
	  cp -n tests/fuzz/corpus/$$t/* build/fuzz/corpus/$$t/; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -detect_leaks=1 -close_fd_mask=3 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$t- \
	    build/fuzz/corpus/$$t 2>build/fuzz/$$t.log \
	  || { tail -n 60 build/fuzz/$$t.log; \
	       echo "fuzz_$$t FAILED: see build/fuzz/$$t.log"; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' build/fuzz/$$t.log; \
	done; echo "fuzz: every target ran clean"
fuzz-build: $(FUZZ_BIN)
.PRECIOUS: build/fuzz/%.o build/fuzz/prefix.h

asan: deps
	$(MAKE) SAN=1 clean-progs
	$(MAKE) SAN=1 all test-unit test-e2e
	$(MAKE) clean-progs

# The systemd units (src/systemd/; README, "systemd"), with @PREFIX@,
# @HOME@, @USER@, @GROUP@ and @WORKERS@ filled in as they are installed:
# their ExecStart names the installed programs, ReadWritePaths the data
# directory.  SERVICE_USER owns SERVICE_HOME and is the web server's user
# (README, "Permissions").  No space in any of these.
SYSTEMDDIR	?= $(PREFIX)/lib/systemd/system
SERVICE_HOME	?= /var/lib/webhooks
SERVICE_USER	?= www-data
SERVICE_GROUP	?= $(SERVICE_USER)
SERVICE_WORKERS	?= 4
UNITS	 = $(wildcard src/systemd/*.service src/systemd/*.socket \
	   src/systemd/*.timer)

install: all
	@$(MAKE) --no-print-directory install-files
# What install copies, built already: test-units installs into a temporary
# PREFIX with it, which rebuilds nothing (a new PREFIX would rebuild the
# FastCGI program, build/%/prefix.h).
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/webhooks/cgi-bin \
	  $(DESTDIR)$(PREFIX)/share/webhooks/templates \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 webhookd webhookctl $(DESTDIR)$(PREFIX)/bin/
	install -m 755 cgi-bin/webhooks.fcgi $(DESTDIR)$(PREFIX)/lib/webhooks/cgi-bin/
	install -m 644 templates/* $(DESTDIR)$(PREFIX)/share/webhooks/templates/
	install -m 644 $(filter %.5,$(MANS)) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(filter %.8,$(MANS)) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(SYSTEMDDIR)
	@set -e; for u in $(UNITS); do \
	  echo "install $$u $(DESTDIR)$(SYSTEMDDIR)/$${u##*/}"; \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@HOME@|$(SERVICE_HOME)|g' \
	    -e 's|@USER@|$(SERVICE_USER)|g' -e 's|@GROUP@|$(SERVICE_GROUP)|g' \
	    -e 's|@WORKERS@|$(SERVICE_WORKERS)|g' $$u \
	    > $(DESTDIR)$(SYSTEMDDIR)/$${u##*/}; \
	  chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$${u##*/}; done

# The systemd units as `make install` writes them, into a temporary PREFIX
# so that every ExecStart names a program that is there: systemd-analyze
# verify on each; it exits 0 on an unknown key or system call group, so
# any line it prints fails, and so does an @NAME@ left unfilled.
test-units: all
	@set -e; t=$$(mktemp -d /tmp/webhooks-units-XXXXXX); \
	trap 'rm -rf "$$t"' EXIT; \
	$(MAKE) --no-print-directory install-files PREFIX=$$t/usr \
	  SERVICE_HOME=$$t/data >$$t/install.log 2>&1 || \
	  { cat $$t/install.log; exit 1; }; \
	cd $$t/usr/lib/systemd/system; echo "test-units: $$(echo *)"; \
	if grep -n '@[A-Z]*@' *; then \
	  echo "test-units: an @NAME@ left unfilled"; exit 1; fi; \
	out=$$(systemd-analyze verify --man=no * 2>&1) || \
	  { echo "$$out"; echo "test-units: systemd-analyze verify failed"; exit 1; }; \
	if [ -n "$$out" ]; then echo "$$out"; \
	  echo "test-units: systemd-analyze verify warned"; exit 1; fi; \
	echo "test-units: systemd-analyze verify passes on each, no warning"

clean-progs:
	rm -f $(PROGS)
clean: clean-progs
	rm -rf build
	rm -f webhooks-shared-*.tar.gz
