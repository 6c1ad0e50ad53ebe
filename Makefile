# git-credential-raxx — see README.md. Every library comes through pkg-config.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/git-credential-raxx
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/git-credential-raxx
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=
PKG_CONFIG ?= pkg-config
CC ?= cc
CLANG ?= clang
INSTALL ?= install
PROVE ?= prove
PROVE_FLAGS ?= -j2
# seconds each fuzz target runs: in make check, and in make fuzz
FUZZ_CHECK_SECONDS ?= 3
FUZZ_SECONDS ?= 600

# libcurl 7.62 for the URL API (src/services/http.c uses CURLOPT_PROTOCOLS_STR from
# 7.85 on, the older CURLOPT_PROTOCOLS before)
PKGS = libcurl openssl libsodium json-c yaml-0.1
PKGS_MIN = libcurl >= 7.62.0

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

# Looked up on first use, once: `make deps` alone runs no pkg-config.
once = $(eval $(1) := $$(shell $(2)))$($(1))

CFLAGS ?= -g -O2
# the flags as given, before ours: a packager's may set _FORTIFY_SOURCE
USER_FLAGS := $(CPPFLAGS) $(CFLAGS)

# -Werror only when asked for (WERROR=1): a packager's compiler may warn
# where ours does not, and that must not stop their build. `make check`
# asks for it unless told otherwise; exported, so that a make run by a
# test builds the same flavour.
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR ?= 1
endif
WERROR ?= 0
export WERROR

override CFLAGS += -std=c11 -Wall -Wextra -Wshadow -Wformat=2 \
	-fstack-protector-strong -pthread -Isrc
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
override LDFLAGS += -fsanitize=address,undefined
else
# _FORTIFY_SOURCE=2 unless the flags or the compiler already choose a level
# (Ubuntu's compiler and Fedora's flags choose 3, and defining it twice is
# an error under -Werror), and only when optimising (glibc warns otherwise)
CC_MACROS = $(call once,CC_MACROS,$(CC) $(USER_FLAGS) -dM -E -x c /dev/null \
	2>/dev/null | grep -oE '_FORTIFY_SOURCE|__OPTIMIZE__')
FORTIFY = $(if $(findstring _FORTIFY_SOURCE,$(USER_FLAGS) $(CC_MACROS)),,$(if \
	$(findstring __OPTIMIZE__,$(CC_MACROS)),-D_FORTIFY_SOURCE=2))
override CPPFLAGS += $(FORTIFY)
endif

PKG_CFLAGS = $(call once,PKG_CFLAGS,$(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(call once,PKG_LIBS,$(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# the gh shim serves a warm cache without libcurl and OpenSSL (helper/gh.c)
SHIM_LIBS = $(call once,SHIM_LIBS,$(PKG_CONFIG) --libs libsodium yaml-0.1 2>/dev/null)
override CFLAGS += $(PKG_CFLAGS)

# The program loads libcurl and OpenSSL on first use (src/base/lazyload.c), so a
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
# without LAZY_DEFS, src/base/lazyload.c compiles to nothing
PROG_OBJS = src/main.o src/base/lazyload.o
PROG_LIBS = $(if $(LAZY_DEFS),$(call once,PROG_LAZY_LIBS,$(PKG_CONFIG) --libs \
	libsodium json-c yaml-0.1 2>/dev/null) $(filter -ldl,$(LAZY_OUT)),$(PKG_LIBS))

PROG = git-credential-raxx
SHIM = helper/gh
# src/README.md maps the folders of src/: one layer each
LIB_SRCS = $(filter-out src/base/lazyload.c,$(wildcard src/*/*.c))
LIB_OBJS = $(LIB_SRCS:.c=.o)
HEADERS = $(wildcard src/*/*.h)
UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_TESTS = $(UNIT_SRCS:.c=.t)
SHELL_TESTS = $(sort $(wildcard tests/t[0-9]*.sh))
# what helper/ holds besides the shim's source and object
HELPERS = $(sort $(filter-out %.c %.o,$(wildcard helper/*)) $(SHIM))
# the broker's service definitions, for PREFIX/share/git-credential-raxx
DATA = contrib/systemd/git-credential-raxx-broker.service \
	contrib/launchd/app.raxx.git-credential-raxx.broker.plist

# Objects built with other flags must not mix (a sanitized build with a
# plain one, lazy with linked): the stamp changes when the flags do, and
# everything built depends on it.
FLAVOUR_STAMP = .build-flavour
FLAVOUR = $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) lazy=$(LAZY_DEFS)
quote = '$(subst ','\'',$(1))'

# The version (src/version.sh: a tarball's VERSION file, else git describe)
# goes only to the objects whose source uses RAXX_VERSION, and they alone
# are rebuilt when it changes (every commit), through their own stamp.
VERSION = $(call once,VERSION,sh src/version.sh)
VERSION_STAMP = .build-version
VERSION_OBJS = $(patsubst %.c,%.o,$(call once,VERSION_SRCS,grep -l RAXX_VERSION src/*.c src/*/*.c 2>/dev/null))
VERSION_DEF = $(if $(filter $@,$(VERSION_OBJS)),-DRAXX_VERSION=$(call quote,"$(VERSION)"))

COMPLETIONS = contrib/completions
DIST = $(PROG)-$(VERSION)
DISTDIR = dist

.PHONY: all check unit-check install uninstall deps demo bench fuzz clean \
	check-deps version dist deb FORCE

all: $(PROG) $(SHIM)

$(VERSION_OBJS): $(VERSION_STAMP)

$(VERSION_STAMP): FORCE
	@printf '%s\n' $(call quote,$(VERSION)) | cmp -s - $@ || \
		printf '%s\n' $(call quote,$(VERSION)) >$@

version:
	@echo $(call quote,$(VERSION))

$(FLAVOUR_STAMP): FORCE
	@printf '%s\n' $(call quote,$(FLAVOUR)) | cmp -s - $@ || \
		printf '%s\n' $(call quote,$(FLAVOUR)) >$@

check-deps:
	@$(PKG_CONFIG) --exists $(PKGS) || { \
		echo "missing libraries ($(PKGS)): run 'make deps' first" >&2; \
		exit 1; }
	@$(PKG_CONFIG) --exists '$(PKGS_MIN)' || { \
		echo "libcurl $$($(PKG_CONFIG) --modversion libcurl) is too old: $(PKGS_MIN) needed" >&2; \
		exit 1; }

src/%.o: src/%.c $(HEADERS) $(FLAVOUR_STAMP) | check-deps
	$(CC) $(CPPFLAGS) $(VERSION_DEF) $(CFLAGS) -c -o $@ $<

libraxx.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

src/base/lazyload.o: src/base/lazyload.c $(HEADERS) $(FLAVOUR_STAMP) | check-deps
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LAZY_DEFS) -c -o $@ $<

$(PROG): $(PROG_OBJS) libraxx.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(PROG_OBJS) libraxx.a $(PROG_LIBS)

# linked without libcurl/OpenSSL on purpose: a module that needs them here
# is a link error, not a slower shim
helper/%.o: helper/%.c $(HEADERS) $(FLAVOUR_STAMP) | check-deps
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(SHIM): helper/gh.o libraxx.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ helper/gh.o libraxx.a $(SHIM_LIBS)

tests/unit/%.t: tests/unit/%.c tests/unit/tap.h libraxx.a $(FLAVOUR_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< libraxx.a $(PKG_LIBS)

# The shared test CA and App keys are made once, before the test files
# run in parallel and would race to make them.
check: $(PROG) $(SHIM) $(UNIT_TESTS)
	sh tests/lib/mkca.sh tests/trash.tls
	sh tests/lib/mkappkey.sh tests/trash.tls dev-app
	sh tests/lib/mkappkey.sh tests/trash.tls ops-app
	RAXX_BUILD_DIR="$(CURDIR)" SANITIZE="$(SANITIZE)" FUZZ_SECONDS="$(FUZZ_CHECK_SECONDS)" \
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
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 0644 $(COMPLETIONS)/$(PROG).bash $(DESTDIR)$(BASHCOMPDIR)/$(PROG)
	$(INSTALL) -m 0644 $(COMPLETIONS)/_$(PROG) $(DESTDIR)$(ZSHCOMPDIR)/_$(PROG)
	$(INSTALL) -m 0644 $(COMPLETIONS)/$(PROG).fish $(DESTDIR)$(FISHCOMPDIR)/$(PROG).fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(PROG) $(DESTDIR)$(MANDIR)/man1/$(PROG).1
	for h in $(HELPERS); do rm -f $(DESTDIR)$(LIBEXECDIR)/$$(basename $$h); done
	for f in $(DATA); do rm -f $(DESTDIR)$(DATADIR)/$$(basename $$f); done
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR) 2>/dev/null
	rm -f $(DESTDIR)$(BASHCOMPDIR)/$(PROG) $(DESTDIR)$(ZSHCOMPDIR)/_$(PROG) \
		$(DESTDIR)$(FISHCOMPDIR)/$(PROG).fish

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
			procps util-linux hyperfine zsh fish time; \
	elif command -v brew >/dev/null 2>&1; then \
		brew install pkg-config curl openssl@3 libsodium json-c libyaml gh \
			python3 mandoc hyperfine fish; \
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

# A release tarball of what is committed (and of uncommitted changes to
# tracked files, which the version then calls -dirty), with a VERSION
# file, so that it builds without git.
dist:
	@t=$$(git rev-parse --show-toplevel 2>/dev/null) && \
		[ "$$(cd "$$t" && pwd -P)" = "$$(pwd -P)" ] || { \
		echo "make dist: needs this project's git checkout (a tarball has its VERSION)" >&2; \
		exit 1; }
	rm -rf $(DISTDIR)/$(DIST) $(DISTDIR)/$(DIST).tar.gz
	mkdir -p $(DISTDIR)
	tree=$$(git -c user.name='make dist' -c user.email=nobody@localhost stash create) && \
		git archive --format=tar --prefix=$(DIST)/ "$${tree:-HEAD}" | \
		(cd $(DISTDIR) && tar -xf -)
	printf '%s\n' $(call quote,$(VERSION)) >$(DISTDIR)/$(DIST)/VERSION
	(cd $(DISTDIR) && tar -cf - $(DIST)) | gzip -9n >$(DISTDIR)/$(DIST).tar.gz
	rm -rf $(DISTDIR)/$(DIST)
	@echo "$(DISTDIR)/$(DIST).tar.gz sha256 $$( (sha256sum || shasum -a 256) \
		<$(DISTDIR)/$(DIST).tar.gz 2>/dev/null | cut -d' ' -f1)"

# The Debian package, built from the tarball as a distribution would
# (debian/rules: linked the usual way, no -Werror, the tests unless
# DEB_BUILD_OPTIONS=nocheck), checked with lintian when it is installed.
DEB_BUILD = $(DISTDIR)/deb
deb: dist
	@for t in dpkg-buildpackage dh; do command -v $$t >/dev/null 2>&1 || { \
		echo "make deb: $$t not found: apt-get install dpkg-dev debhelper (and lintian)" >&2; \
		exit 1; }; done
	rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)
	gzip -dc $(DISTDIR)/$(DIST).tar.gz | (cd $(DEB_BUILD) && tar -xf -)
	cd $(DEB_BUILD)/$(DIST) && v=$$(sh src/version.sh --deb) && \
		sed "1s/^$(PROG) ([^)]*)/$(PROG) ($$v-1)/" debian/changelog >debian/changelog.new && \
		mv debian/changelog.new debian/changelog && \
		dpkg-buildpackage -b --no-sign
	@if command -v lintian >/dev/null 2>&1; then \
		echo "lintian $(DEB_BUILD)/*.changes"; \
		lintian --fail-on error $(DEB_BUILD)/*.changes || exit 1; \
	else echo "make deb: lintian not installed: not checked" >&2; fi
	rm -f $(DISTDIR)/$(PROG)_*.deb $(DISTDIR)/$(PROG)-dbgsym_*.deb
	mv $(DEB_BUILD)/*.deb $(DISTDIR)/
	@ls $(DISTDIR)/*.deb

clean:
	rm -f src/*.o src/*/*.o helper/*.o libraxx.a $(PROG) $(SHIM) tests/unit/*.t $(FLAVOUR_STAMP) \
		$(VERSION_STAMP)
	rm -rf tests/trash.* tests/fuzz/build dist

endif
