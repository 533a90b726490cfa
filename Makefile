# Two entry points for a fresh machine (see README.md):
#   make book   build the site into _build/html, every notebook executed
#   make test   run the test suite, which also executes every notebook
# Both create .venv and install the pinned requirements first.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
BOOK   ?= .
BOOK_OUT ?= $(BOOK)
JB_FLAGS = -W -n --keep-going
PYTEST_ARGS ?=

.PHONY: vm-test book test venv translations clean clean-observed force-book site-archive k8s-binaries workshop-offline

# Phases, each printed with its time (podnotes.book.build): the Kubernetes binaries (built once with Go, else
# skipped), the real-node observations (as root, unless current), then the site. FORCE=1 executes every
# notebook again; so does any change of the observations, root or the binaries since the last build.
# ENGLISH_ONLY=1 skips the Chinese edition (a quicker build while writing).
book: $(STAMP)
	$(BIN)/python -m podnotes.book.build $(if $(FORCE),--force) $(if $(ENGLISH_ONLY),--english-only) \
		--book $(BOOK) --out $(BOOK_OUT) -- $(JB_FLAGS)

# The Chinese edition's catalogs (locales/zh_CN/LC_MESSAGES/<page>.po): every message of the executed book
# extracted again (Sphinx's gettext builder over the execution cache of the last `make book`), the catalogs
# updated (sphinx-intl: a changed English text becomes fuzzy or new, a removed one obsolete), and per page the
# messages, untranslated, fuzzy and stale entries listed. `make book` first when the cache is missing.
translations: $(STAMP)
	$(BIN)/python -m podnotes.book.translations update --book $(BOOK) --out $(BOOK_OUT)

# The built site as one versioned tarball plus a .sha256 file, for a workshop
# machine or a static host: _build/podnotes-site-<version>.tar.gz
site-archive: book
	$(BIN)/python -m podnotes.book.publish --site $(BOOK_OUT)/_build/html --out $(BOOK_OUT)/_build

# What a participant's laptop needs without the internet (README.md and the book's appendix "Running a
# workshop"): the wheels of podnotes and of every pinned requirement, the exercises' images as OCI archives,
# the site archive when `make site-archive` has made one, and a README with SHA-256 sums.
WORKSHOP_OFFLINE = $(BOOK_OUT)/_build/podnotes-workshop-offline
workshop-offline: $(STAMP)
	rm -rf $(WORKSHOP_OFFLINE) && mkdir -p $(WORKSHOP_OFFLINE)/wheels
	$(BIN)/python -m pip download --quiet --only-binary=:all: -r requirements.txt -d $(WORKSHOP_OFFLINE)/wheels
	$(BIN)/python -m pip wheel --quiet --no-deps . -w $(WORKSHOP_OFFLINE)/wheels
	$(BIN)/python -m podnotes.workshop.offline --out $(WORKSHOP_OFFLINE) --requirements requirements.txt \
		--site-archive "$$(ls -t $(BOOK_OUT)/_build/podnotes-site-*.tar.gz 2>/dev/null | head -1)"

# The machine tier (real node, kernel, API servers) and the read-only tier (the built site in a browser, the
# book's build, code checks) side by side: tools/run_tests.py. Arguments that choose tests run one pytest.
test: $(STAMP) k8s-binaries
	$(BIN)/python tools/run_tests.py $(PYTEST_ARGS)

# kube-apiserver and etcd for the cluster tests (marker `cluster`), compiled from
# the Go module proxy into ~/.cache/podnotes once per pinned version. Without Go
# the cluster tests skip (with CI=true they fail). See tools/k8s-binaries/.
k8s-binaries:
	@if command -v go >/dev/null 2>&1; then tools/k8s-binaries/build.sh >/dev/null; \
	else echo "k8s-binaries: Go not found; the cluster tests will skip (README: The test API server)"; fi

venv: $(STAMP)

# The cgroup v2 tier (tools/vm/): a Debian machine booted under qemu (TCG) with every controller on
# cgroup v2 runs the Linux tests as root and as a delegated normal user, and chapters 2-6. Root only;
# the image is built once into ~/.cache/podnotes/vm-<digest>/. Prints boot, per-part and per-chapter
# times. Results for the same image and files are reused (tests/vm asks again); FORCE=1 reruns.
vm-test:
	tools/vm/run.sh $(if $(FORCE),--force)

# Debian packages the chapters use (busybox-static: the tiny root file systems of
# chapters 2-6). Installed with apt-get when running as root on Debian and
# missing; otherwise the recipe says what to install and carries on (the
# chapters then copy host programs instead).
DEBIAN_PACKAGES := busybox-static
# The browser tests (tests/site, marker `browser`) read the built site in
# Debian's Chromium; a CJK font lets screenshots show the Chinese terms.
DEBIAN_PACKAGES += chromium fonts-wqy-zenhei
# The real-node tests (tests/node, marker `node`) run Pods on a CNI bridge with
# containerd 2 and runc built by tools/k8s-binaries/build.sh (runc's seccomp
# support needs libseccomp-dev); busybox-static (above) also makes their images.
DEBIAN_PACKAGES += containernetworking-plugins libseccomp-dev pkg-config gcc
# The connection guard's tests record every connect() with strace; util-linux
# provides setpriv, which gives every child process a parent-death signal.
DEBIAN_PACKAGES += strace util-linux
# Rootless runs of chapters 2-6 map the range /etc/subuid delegates with
# newuidmap/newgidmap, as rootless Podman does (without them: one ID).
DEBIAN_PACKAGES += uidmap
# The cgroup v2 machine (make vm-test, tests/vm): qemu boots it, mmdebstrap and mke2fs build its image.
DEBIAN_PACKAGES += qemu-system-x86 mmdebstrap e2fsprogs

$(STAMP): requirements.txt pyproject.toml
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ] || ! command -v dpkg-query >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages: $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } || \
		echo "could not install $$missing; continuing without"; \
	else echo "optional Debian packages missing (as root: apt-get install $$missing); continuing"; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Keeps _build/observed: what a real kubelet did takes minutes and root to record, and the chapters overlay
# it. `make clean-observed` removes it too.
clean:
	@if [ -d _build/observed ]; then \
		find _build -mindepth 1 -maxdepth 1 ! -name observed -exec rm -rf {} +; \
		echo "clean: kept _build/observed (real-node observations; make clean-observed removes them)"; \
	else rm -rf _build; fi

clean-observed:
	rm -rf _build/observed
