# Helpers for Wharf's Node.js buildpack (sourced by bin/compile).

step() { echo "-----> $*"; }
info() { echo "       $*"; }
fail() {
  echo " !     $*" >&2
  exit 1
}
indent() { sed -u -e '/^[[:space:]]*$/d' -e 's/^/       /'; }

# Config vars for this buildpack's own tools (NPM_TOKEN, NPM_CONFIG_*...), as Heroku's does;
# variables that would break the build machine are left out.
export_env_dir() {
  local env_dir=$1 name
  [[ -d "$env_dir" ]] || return 0
  for f in "$env_dir"/*; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f")
    if [[ ! "$name" =~ ^(PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LD_LIBRARY_PATH|HOME|BUILD_DIR|STACK)$ ]]; then
      export "$name=$(cat "$f")"
    fi
  done
}

# Sets node_*, npm_*, pkg_* and engines_error (see lib/inspect.cjs) in one node start.
inspect_build() {
  local vars
  vars=$(node "$BP_DIR/lib/inspect.cjs" "$BUILD_DIR" "$(command -v npm || true)") || fail "Build failed: package.json is not valid JSON"
  eval "$vars"
}

has_script() { [[ "$pkg_scripts" == *" $1 "* ]]; }

# Nothing in this build can use devDependencies, and they would be pruned: production, no
# build script, no install script (e.g. a postinstall that compiles with them).
# heroku-prebuild runs before the install and heroku-cleanup after the prune: neither sees them.
dev_deps_unused() {
  [[ -n "$pkg_has_dev_deps" && -z "$pkg_install_scripts" && "$NODE_ENV" == "production" ]] &&
    [[ "$NPM_CONFIG_PRODUCTION" != "false" && "$YARN_PRODUCTION" != "false" ]] &&
    ! has_script heroku-postbuild && ! has_script build
}

# npm, yarn or pnpm, chosen by the lockfile; two lockfiles are ambiguous and fail.
detect_package_manager() {
  local found=()
  [[ -f "$BUILD_DIR/package-lock.json" || -f "$BUILD_DIR/npm-shrinkwrap.json" ]] && found+=("npm")
  [[ -f "$BUILD_DIR/yarn.lock" ]] && found+=("yarn")
  [[ -f "$BUILD_DIR/pnpm-lock.yaml" ]] && found+=("pnpm")
  if ((${#found[@]} > 1)); then
    fail "Build failed: more than one lockfile found (${found[*]}): keep the lockfile of the package manager you use and delete the others"
  fi
  echo "${found[0]:-npm}"
}

# Sets TOOL (the yarn or pnpm command) and TOOL_VERSION: the one on PATH when package.json's
# "packageManager" does not ask for another version, else that version installed with npm into
# the app's cache (kept between builds). Not corepack: the corepack bundled with older Node.js
# releases rejects npm's current registry signatures, and it downloads from the same registry.
set_tool() {
  local tool=$1 wanted version pkgname prefix
  wanted=$pkg_package_manager
  version=""
  if [[ "$wanted" == "$tool@"* ]]; then
    version=${wanted#"$tool@"}
    version=${version%%+*}
  elif [[ -n "$wanted" ]]; then
    fail "Build failed: package.json packageManager is \"$wanted\" but the lockfile is $tool's; make them agree"
  fi
  if TOOL=$(command -v "$tool"); then
    TOOL_VERSION=$("$TOOL" --version 2>/dev/null || true)
    [[ -z "$version" || "$TOOL_VERSION" == "$version" ]] && return
  fi
  command -v npm >/dev/null 2>&1 || fail "Build failed: the app uses $tool but neither $tool nor npm (to install it) is on the build machine"
  pkgname=$tool
  [[ -z "$version" && "$tool" == "yarn" ]] && version=1
  [[ -z "$version" ]] && version=latest
  [[ "$tool" == "yarn" && "${version%%.*}" =~ ^[2-9]$|^[1-9][0-9]+$ ]] && pkgname=@yarnpkg/cli-dist
  prefix="$CACHE_DIR/node/tools/$tool-$version"
  if [[ ! -x "$prefix/bin/$tool" ]]; then
    step "Installing $tool $version with npm"
    npm install --global --prefix "$prefix" --prefer-offline --no-audit --no-fund \
      --cache "$CACHE_DIR/node/npm" "$pkgname@$version" 2>&1 | indent ||
      fail "Build failed: could not install $tool $version with npm; install $tool on the build machine or use npm (package-lock.json)"
  fi
  TOOL="$prefix/bin/$tool"
  TOOL_VERSION=$("$TOOL" --version)
}

# A file that changes whenever the package manager changes node_modules (its own record of
# what it installed); empty when there is none.
install_marker() {
  case "$1" in
    npm) echo "node_modules/.package-lock.json" ;;
    yarn) echo "node_modules/.yarn-integrity" ;;
    pnpm) echo "node_modules/.modules.yaml" ;;
  esac
}

marker_sum() {
  if [[ -n "$1" && -f "$1" ]]; then cksum <"$1"; fi
}

run_script() {
  local manager=$1 name=$2
  if has_script "$name"; then
    step "Running $name"
    case "$manager" in
      npm) npm run "$name" --if-present 2>&1 | indent ;;
      *) $TOOL run "$name" 2>&1 | indent ;;
    esac
  fi
}
