# eard: one build for everything. See README.md.
#
#   make            build build/eard, build/earctl, build/libear.a
#   make run        embedded PostgreSQL in ./var + eard in the foreground
#   make stop       stop what `make run` started
#   make check      unit tests + integration tests (+ real-data tests)
#   make asan       the same tests under ASan+UBSan (build-asan/; ASAN_BUILD=)
#   make valgrind   the unit tests under valgrind (zero errors, no definite leaks)
#   make bench      benchmarks (bench/BENCHMARKS.md)
#   make psql       psql on the embedded cluster
#   make install    PREFIX=/usr/local DESTDIR=
#   make format / make format-check

BUILD	?= build
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
VERSION	:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS	:= libpq libevent libevent_pthreads libevent_openssl libxml-2.0 \
	   jansson libssl libcrypto libutf8proc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN	:= -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	   -Wshadow -Wwrite-strings -Wpointer-arith -Werror
OPT	?= -O2 -g
SAN	?=
CFLAGS	+= -std=gnu11 $(OPT) $(SAN) $(WARN) -D_GNU_SOURCE -DEARD_VERSION='"$(VERSION)"' \
	   -DEARD_SHAREDIR='"$(PREFIX)/share/eard"' \
	   -Icore -Idaemon -Iimporters -Icli $(PKG_CFLAGS)
LDFLAGS	+= $(SAN)
LIBS	:= $(PKG_LIBS) -lpthread -lm

CORE_SRC	:= $(sort $(wildcard core/*.c))
IMP_SRC		:= $(sort $(wildcard importers/*.c))
DAEMON_SRC	:= $(filter-out daemon/eard.c,$(sort $(wildcard daemon/*.c)))
CLI_SRC		:= $(filter-out cli/earctl.c,$(sort $(wildcard cli/*.c)))
UNIT_SRC	:= $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC	:= $(sort $(wildcard bench/*.c))
FUZZ_SRC	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# `make V=1` shows whole command lines.
V ?= 0
ifeq ($(V),0)
say = @printf '  %-5s %s\n' '$(1)' '$(2)';
else
say :=
endif

LIBEAR	:= $(BUILD)/libear.a
LIBIMP	:= $(BUILD)/libearimp.a
LIBEARD	:= $(BUILD)/libeard.a
LIBCLI	:= $(BUILD)/libearctl.a
EARD	:= $(BUILD)/eard
EARCTL	:= $(BUILD)/earctl
UNITS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCHES	:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all run stop check unit integration realdata asan valgrind bench psql install deb \
	format format-check deps clean fuzz

all: $(EARD) $(EARCTL) $(LIBEAR)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(LIBEAR): $(call obj,$(CORE_SRC))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
$(LIBIMP): $(call obj,$(IMP_SRC))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
$(LIBEARD): $(call obj,$(DAEMON_SRC))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
$(LIBCLI): $(call obj,$(CLI_SRC))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# The daemon links libearimp for POST /v1/import; the CLI for direct imports.
$(EARD): $(call obj,daemon/eard.c) $(LIBEARD) $(LIBIMP) $(LIBEAR)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(EARCTL): $(call obj,cli/earctl.c) $(LIBCLI) $(LIBIMP) $(LIBEAR)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# One cmocka binary per module; the static libraries give it only what it uses.
# tests/unit/test_X.c may name link-time wraps in a comment line
#   /* WRAP: -Wl,--wrap=PQexec */
$(BUILD)/tests/%: tests/unit/%.c $(LIBEARD) $(LIBCLI) $(LIBIMP) $(LIBEAR)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< \
	    $(shell sed -n 's|^/\* WRAP: \(.*\) \*/$$|\1|p' $<) \
	    $(LIBEARD) $(LIBCLI) $(LIBIMP) $(LIBEAR) $(CMOCKA_LIBS) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(LIBEAR)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIBEAR) $(LIBS)

deps:
	@scripts/deps.sh

run: deps all
	@scripts/run.sh

stop:
	@scripts/pg.sh stop-all

psql:
	@scripts/pg.sh psql

unit: all $(UNITS)
	@scripts/unit.sh $(UNITS)

integration: all
	@BUILD=$(BUILD) tests/integration/run.sh

check: deps
	@$(MAKE) --no-print-directory all $(UNITS)
	@scripts/unit.sh $(UNITS)
	@BUILD=$(BUILD) tests/integration/run.sh

ASAN_BUILD ?= build-asan
asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' check

# Each cmocka binary under valgrind: any memory error or definite leak fails it.
VALGRIND ?= valgrind -q --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite
valgrind: all $(UNITS)
	@UNIT_RUNNER='$(VALGRIND)' scripts/unit.sh $(UNITS)

bench: deps all $(BENCHES)
	@BUILD=$(BUILD) bench/run.sh

fuzz:
	@BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# Where install puts the configuration example and the systemd units:
# /etc and /lib/systemd/system for PREFIX=/usr (the Debian package), else
# under PREFIX. eard.conf.5 and eard.conf.example come from the key table
# of the eard just built, so every key is in them.
SYSCONFDIR	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions

$(BUILD)/eard.conf.5: $(EARD) scripts/gen-eard-conf5.sh
	scripts/gen-eard-conf5.sh $(EARD) >$@
$(BUILD)/eard.conf.example: $(EARD)
	{ echo "# eard.conf.example: every key of eard.conf(5) with its default."; \
	  echo "# Copy the lines you change to eard.conf and uncomment them."; \
	  env -u EARD_DATABASE_URL $(EARD) --dump-config | \
	    sed -e 's/^\([a-z_]* = \)/#\1/' -e 's/^# /## /'; } >$@

install: all $(BUILD)/eard.conf.5 $(BUILD)/eard.conf.example
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
	    $(DESTDIR)$(PREFIX)/share/eard/schema $(DESTDIR)$(PREFIX)/share/eard/rules \
	    $(DESTDIR)$(PREFIX)/share/eard/queries \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(SYSCONFDIR)/eard \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(BUILD)/eard.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 $(BUILD)/eard.conf.example $(DESTDIR)$(SYSCONFDIR)/eard/
	install -m 0644 contrib/systemd/eard.service contrib/systemd/eard.socket \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/
	sed -i 's|/usr/sbin/eard|$(PREFIX)/sbin/eard|; s|/etc/eard/|$(SYSCONFDIR)/eard/|' \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/eard.service
	install -m 0644 contrib/bash-completion/earctl $(DESTDIR)$(BASHCOMPDIR)/earctl
	install -m 0644 contrib/systemd/eard-audit-verify.service \
	    contrib/systemd/eard-audit-verify.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0755 contrib/eard-audit-verify $(DESTDIR)$(PREFIX)/share/eard/
	sed -i 's|/usr/share/eard/|$(PREFIX)/share/eard/|' \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/eard-audit-verify.service
	install -m 0755 $(EARD) $(DESTDIR)$(PREFIX)/sbin/eard
	install -m 0755 $(EARCTL) $(DESTDIR)$(PREFIX)/bin/earctl
	install -m 0644 schema/*.sql $(DESTDIR)$(PREFIX)/share/eard/schema/
	install -m 0644 $(wildcard rules/*.xml rules/*.rng) $(DESTDIR)$(PREFIX)/share/eard/rules/
	for f in $(wildcard queries/*.sql); do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/eard/queries/; done
	install -m 0644 docs/earctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/eard.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# The Debian package, built from a copy of the tracked files in
# $(BUILD)/deb/ (debian/; needs debhelper): $(BUILD)/deb/eard_*.deb.
deb:
	@BUILD=$(BUILD) scripts/deb.sh

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build build-asan build-fuzz
