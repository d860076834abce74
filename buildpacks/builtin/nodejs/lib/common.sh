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

pkg() { node "$BP_DIR/lib/pkg.js" "$BUILD_DIR/package.json" "$1"; }

has_script() { [[ -n "$(pkg "scripts.$1")" ]]; }

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

# The yarn or pnpm command: on PATH, else through corepack (which honours "packageManager").
tool_command() {
  local tool=$1
  if [[ -z "$(pkg packageManager)" ]] && command -v "$tool" >/dev/null 2>&1; then
    echo "$tool"
  elif command -v corepack >/dev/null 2>&1; then
    echo "corepack $tool"
  else
    fail "Build failed: the app uses $tool (its lockfile is present) but neither $tool nor corepack is available on the build machine; install $tool there, or use npm (package-lock.json)"
  fi
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
