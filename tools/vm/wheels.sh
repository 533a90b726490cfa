#!/bin/sh
# Fetches, for the cgroup v2 machine's Python, a wheel of every pinned requirement and of what they
# need (tools/vm/build.sh runs it in the image's customize hook; the image installs them offline).
# pip fetches wheels for another Python version only as binaries, so a requirement published only as
# source (jieba, for one) is built into a wheel here first, with pip, and offered to the next attempt.
# Usage: wheels.sh REQUIREMENTS PYTHON_VERSION DEST
set -u
requirements=$1 version=$2 dest=$3
mkdir -p "$dest"
attempt=0
while [ "$attempt" -lt 10 ]; do
    attempt=$((attempt + 1))
    if errors=$(python3 -m pip download --quiet --only-binary=:all: --python-version "$version" \
            --find-links "$dest" --dest "$dest" -r "$requirements" 2>&1); then
        exit 0
    fi
    source_only=$(printf '%s\n' "$errors" | sed -n 's/.*No matching distribution found for \([^ ]*\).*/\1/p' | head -n 1)
    if [ -z "$source_only" ] || [ -n "$(find "$dest" -name "$(echo "${source_only%%[=<>!~]*}" | tr - _)-*.whl" 2>/dev/null)" ]; then
        printf '%s\n' "$errors" >&2
        exit 1
    fi
    echo "tools/vm/wheels.sh: $source_only is published as source only; building its wheel" >&2
    python3 -m pip wheel --quiet --no-deps --wheel-dir "$dest" "$source_only" || exit 1
done
echo "tools/vm/wheels.sh: gave up after $attempt attempts" >&2
exit 1
