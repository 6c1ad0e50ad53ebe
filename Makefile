# git-credential-raxx — see README.md. Every library comes through pkg-config.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/git-credential-raxx
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/git-credential-raxx
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CC ?= cc
CLANG ?= clang
INSTALL ?= install
PROVE ?= prove
PROVE_FLAGS ?= -j2
FUZZ_SECONDS ?= 10

PKGS = libcurl openssl libsodium json-c yaml-0.1

# `make deps demo` in one go: what the build looks up (pkg-config, the
# lazy-load probe) must not be looked up before `deps` has installed it.
# So when `deps` comes with other goals, this make runs `make deps`, then
# the other goals in a fresh make that sees the installed libraries.
DEPS_FIRST :=
ifneq ($(filter deps,$(MAKECMDGOALS)),)
ifneq ($(filter-out deps,$(MAKECMDGOALS)),)
DEPS_FIRST := 1
endif
endif

ifeq ($(DEPS_FIRST),1)

REST_GOALS := $(filter-out deps,$(MAKECMDGOALS))
.PHONY: $(MAKECMDGOALS) deps-then-rest
$(MAKECMDGOALS): deps-then-rest
	@:
deps-then-rest:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(REST_GOALS)

else

CFLAGS ?= -g -O2
override CFLAGS += -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-fstack-protector-strong -pthread -Isrc
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
override LDFLAGS += -fsanitize=address,undefined
else
override CPPFLAGS += -D_FORTIFY_SOURCE=2
endif

# Looked up on first use, once: `make deps` alone runs no pkg-config.
once = $(eval $(1) := $$(shell $(2)))$($(1))
PKG_CFLAGS = $(call once,PKG_CFLAGS,$(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(call once,PKG_LIBS,$(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# the gh shim serves a warm cache without libcurl and OpenSSL (src/ghshim.c)
SHIM_LIBS = $(call once,SHIM_LIBS,$(PKG_CONFIG) --libs libsodium yaml-0.1 2>/dev/null)
override CFLAGS += $(PKG_CFLAGS)

# The program loads libcurl and OpenSSL on first use (src/lazyload.c), so a
# warm call, a token from the cache, maps neither (about 3 ms and 6 MiB
# less). The probe finds the names to dlopen(); when it cannot, or with
# LAZY=0, the program links them as usual.
LAZY ?= 1
ifeq ($(LAZY),1)
LAZY_OUT = $(call once,LAZY_OUT,CC="$(CC)" sh src/lazyload-probe.sh \
	$(shell $(PKG_CONFIG) --cflags libcurl openssl 2>/dev/null) -- \
	$(shell $(PKG_CONFIG) --libs libcurl openssl 2>/dev/null))
endif
LAZY_DEFS = $(filter-out -ldl,$(LAZY_OUT))
# without LAZY_DEFS, src/lazyload.c compiles to nothing
PROG_OBJS = src/main.o src/lazyload.o
PROG_LIBS = $(if $(LAZY_DEFS),$(call once,PROG_LAZY_LIBS,$(PKG_CONFIG) --libs \
	libsodium json-c yaml-0.1 2>/dev/null) $(filter -ldl,$(LAZY_OUT)),$(PKG_LIBS))

PROG = git-credential-raxx
SHIM = helper/gh
LIB_SRCS = $(filter-out src/main.c src/ghshim.c src/lazyload.c,$(wildcard src/*.c))
LIB_OBJS = $(LIB_SRCS:.c=.o)
HEADERS = $(wildcard src/*.h)
UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_TESTS = $(UNIT_SRCS:.c=.t)
SHELL_TESTS = $(sort $(wildcard tests/t[0-9]*.sh))
HELPERS = $(sort $(wildcard helper/*) $(SHIM))
# the broker's service definitions, for PREFIX/share/git-credential-raxx
DATA = contrib/systemd/git-credential-raxx-broker.service \
	contrib/launchd/app.raxx.git-credential-raxx.broker.plist

# Objects built with other flags must not mix (a sanitized build with a
# plain one, lazy with linked): the stamp changes when the flags do, and
# everything built depends on it.
FLAVOUR_STAMP = .build-flavour
FLAVOUR = $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) lazy=$(LAZY_DEFS)
quote = '$(subst ','\'',$(1))'

.PHONY: all check unit-check install uninstall deps demo bench fuzz clean \
	check-deps FORCE

all: $(PROG) $(SHIM)

$(FLAVOUR_STAMP): FORCE
	@printf '%s\n' $(call quote,$(FLAVOUR)) | cmp -s - $@ || \
		printf '%s\n' $(call quote,$(FLAVOUR)) >$@

check-deps:
	@$(PKG_CONFIG) --exists $(PKGS) || { \
		echo "missing libraries ($(PKGS)): run 'make deps' first" >&2; \
		exit 1; }

src/%.o: src/%.c $(HEADERS) $(FLAVOUR_STAMP) | check-deps
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

libraxx.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

src/lazyload.o: src/lazyload.c $(HEADERS) $(FLAVOUR_STAMP) | check-deps
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LAZY_DEFS) -c -o $@ $<

$(PROG): $(PROG_OBJS) libraxx.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(PROG_OBJS) libraxx.a $(PROG_LIBS)

# linked without libcurl/OpenSSL on purpose: a module that needs them here
# is a link error, not a slower shim
$(SHIM): src/ghshim.o libraxx.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ src/ghshim.o libraxx.a $(SHIM_LIBS)

tests/unit/%.t: tests/unit/%.c tests/unit/tap.h libraxx.a $(FLAVOUR_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< libraxx.a $(PKG_LIBS)

# The shared test CA and App keys are made once, before the test files
# run in parallel and would race to make them.
check: $(PROG) $(SHIM) $(UNIT_TESTS)
	sh tests/lib/mkca.sh tests/trash.tls
	sh tests/lib/mkappkey.sh tests/trash.tls dev-app
	sh tests/lib/mkappkey.sh tests/trash.tls ops-app
	RAXX_BUILD_DIR="$(CURDIR)" SANITIZE="$(SANITIZE)" FUZZ_SECONDS="$(FUZZ_SECONDS)" \
		$(PROVE) $(PROVE_FLAGS) --exec '' $(UNIT_TESTS) $(SHELL_TESTS)

unit-check: $(UNIT_TESTS)
	$(PROVE) --exec '' $(UNIT_TESTS)

install: $(PROG) $(SHIM)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DATADIR)
	$(INSTALL) -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/$(PROG)
	for h in $(HELPERS); do \
		$(INSTALL) -m 0755 $$h $(DESTDIR)$(LIBEXECDIR)/$$(basename $$h) || exit 1; \
	done
	$(INSTALL) -m 0644 man/$(PROG).1 $(DESTDIR)$(MANDIR)/man1/$(PROG).1
	$(INSTALL) -m 0644 $(DATA) $(DESTDIR)$(DATADIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(PROG) $(DESTDIR)$(MANDIR)/man1/$(PROG).1
	for h in $(HELPERS); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$(basename $$h); done
	for f in $(DATA); do rm -f $(DESTDIR)$(DATADIR)/$$(basename $$f); done
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR) 2>/dev/null

# Installs what building and testing need: Debian/Ubuntu with apt-get,
# macOS with Homebrew.
deps:
	@if command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			build-essential pkg-config libcurl4-openssl-dev libssl-dev \
			libsodium-dev libjson-c-dev libyaml-dev git gh python3 openssl \
			perl mandoc curl ca-certificates clang libclang-rt-14-dev \
			procps util-linux hyperfine zsh time; \
	elif command -v brew >/dev/null 2>&1; then \
		brew install pkg-config curl openssl@3 libsodium json-c libyaml gh \
			python3 mandoc hyperfine; \
	else \
		echo "make deps: neither apt-get nor brew found; install: $(PKGS), gh, python3" >&2; \
		exit 1; \
	fi

demo: $(PROG)
	@sh tests/demo.sh

bench: $(PROG) $(SHIM)
	@sh tests/bench.sh

fuzz:
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -f src/*.o libraxx.a $(PROG) $(SHIM) tests/unit/*.t $(FLAVOUR_STAMP)
	rm -rf tests/trash.* tests/fuzz/build

endif
