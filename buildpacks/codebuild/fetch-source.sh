#!/usr/bin/env bash
# Prints the directory holding the app's source. The source is either the archive CodeBuild
# fetched from S3 into SRC (a `wharf deploy` upload: used in place, or unpacked into DEST when
# it is a single .tar.gz that CodeBuild left packed), or, when WHARF_GIT_URL is set (a git host
# push, project source NO_SOURCE), a clone into DEST of WHARF_GIT_URL at WHARF_GIT_REF with its
# submodules. The runner copies the source and never changes it, so SRC is not copied here.
#
# Usage: fetch-source.sh SRC DEST
# Env:   WHARF_GIT_URL, WHARF_GIT_REF (branch, tag or commit), WHARF_GIT_TOKEN (private repos),
#        WHARF_GIT_USERNAME (@default x-access-token, GitHub's; GitLab takes oauth2)
set -euo pipefail

src=${1:?usage: fetch-source.sh SRC DEST}
dest=${2:?usage: fetch-source.sh SRC DEST}

git_auth() {
  # The token goes in a header for this process only: never in the URL, .git/config or the log.
  if [ -n "${WHARF_GIT_TOKEN:-}" ]; then
    local basic
    basic=$(printf '%s:%s' "${WHARF_GIT_USERNAME:-x-access-token}" "$WHARF_GIT_TOKEN" | base64 | tr -d '\n')
    printf '%s\n' -c "http.extraHeader=Authorization: Basic $basic"
  fi
  if [ "${WHARF_GIT_ALLOW_FILE_PROTOCOL:-}" = 1 ]; then printf '%s\n' -c protocol.file.allow=always; fi
}

from_git() {
  local ref=${WHARF_GIT_REF:-HEAD} args=()
  mapfile -t args < <(git_auth)
  echo "-----> Fetching ${WHARF_GIT_URL} at ${ref}" >&2
  mkdir -p "$dest"
  git -C "$dest" init --quiet
  git -C "$dest" remote add origin "$WHARF_GIT_URL"
  # A shallow fetch of the ref works for branches, tags and (on hosts that allow it) commits;
  # otherwise fetch everything and resolve the ref locally.
  if ! GIT_TERMINAL_PROMPT=0 git "${args[@]}" -C "$dest" fetch --quiet --depth 1 origin "$ref" 2>/dev/null; then
    GIT_TERMINAL_PROMPT=0 git "${args[@]}" -C "$dest" fetch --quiet --tags origin '+refs/heads/*:refs/remotes/origin/*' ||
      { echo " !     cannot fetch ${WHARF_GIT_URL}: check the URL and the app's git token" >&2; exit 1; }
    git -C "$dest" rev-parse --verify --quiet "$ref^{commit}" >/dev/null ||
      { echo " !     ${WHARF_GIT_URL} has no branch, tag or commit \"$ref\"" >&2; exit 1; }
    git -C "$dest" checkout --quiet --detach "$ref"
  else
    git -C "$dest" checkout --quiet --detach FETCH_HEAD
  fi
  GIT_TERMINAL_PROMPT=0 git "${args[@]}" -C "$dest" submodule update --quiet --init --recursive ||
    { echo " !     cannot fetch the submodules of ${WHARF_GIT_URL} at $ref" >&2; exit 1; }
  echo "       at commit $(git -C "$dest" rev-parse HEAD)" >&2
}

from_archive() {
  local entries=()
  mapfile -t entries < <(find "$src" -mindepth 1 -maxdepth 1)
  if [ "${#entries[@]}" -eq 1 ] && [[ ${entries[0]} == *.tar.gz || ${entries[0]} == *.tgz ]]; then
    echo "-----> Unpacking $(basename "${entries[0]}")" >&2
    mkdir -p "$dest"
    tar -xzf "${entries[0]}" -C "$dest" || { echo " !     cannot unpack the uploaded source archive" >&2; exit 1; }
    printf '%s\n' "$dest"
  elif [ "${#entries[@]}" -eq 0 ]; then
    echo " !     the build has no source: ${src} is empty and WHARF_GIT_URL is not set" >&2
    exit 1
  else
    printf '%s\n' "$src"
  fi
}

if [ -n "${WHARF_GIT_URL:-}" ]; then
  from_git
  printf '%s\n' "$dest"
else
  from_archive
fi
