# The runtime side of Wharf's Node.js buildpack (sourced by bin/compile): vendoring node into
# the slug, and what the slug and later buildpacks source to find it.

# Libraries an official Node.js binary links, present in every glibc run image (Ubuntu's too).
BASE_LIBS='^(linux-vdso|linux-gate|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[-a-z0-9_.]*)\.so'

# Copies node, npm and the yarn/pnpm in use into $BUILD_DIR/.heroku/node (lib/vendor.cjs).
vendor_runtime() {
  local manager=$1 tool="" lib others=()
  if [[ -z "$npm_dir" ]]; then
    npm_dir="$(npm root -g 2>/dev/null || true)/npm"
  fi
  if [[ "$manager" != "npm" ]]; then tool=$TOOL; fi
  node "$BP_DIR/lib/vendor.cjs" "$BUILD_DIR" "$node_exec" "$npm_dir" ${tool:+"$tool"}
  # A distribution's node (Debian's links libnode, libuv, openssl...) only runs where those
  # libraries are installed: say so rather than fail at run time on ECS.
  if command -v ldd >/dev/null 2>&1; then
    while read -r lib _; do
      lib=${lib##*/}
      if [[ "$lib" == *.so* && ! "$lib" =~ $BASE_LIBS ]]; then others+=("$lib"); fi
    done < <(ldd "$node_exec" 2>/dev/null || true)
    if ((${#others[@]} > 0)); then
      info "WARNING: this node links libraries the run image may lack: ${others[*]}"
      info "build with an official Node.js binary (nodejs.org or the npm package \"node\") to run on any glibc image"
    fi
  fi
}

# .profile.d/nodejs.sh (run time), the export file (later buildpacks) and the release answer.
write_runtime_env() {
  local bin_dirs home_bin_dirs node_home home_node_home
  if [[ -x "$BUILD_DIR/.heroku/node/bin/node" ]]; then
    home_bin_dirs='$HOME/.heroku/node/bin:$HOME/node_modules/.bin'
    home_node_home='$HOME/.heroku/node'
    bin_dirs="$BUILD_DIR/.heroku/node/bin:$BUILD_DIR/node_modules/.bin"
    node_home="$BUILD_DIR/.heroku/node"
  else
    home_bin_dirs="\$HOME/node_modules/.bin:$node_dir"
    home_node_home=$node_dir
    bin_dirs="$BUILD_DIR/node_modules/.bin:$node_dir"
    node_home=$node_dir
  fi
  step "Writing the runtime environment"
  mkdir -p "$BUILD_DIR/.profile.d"
  printf '%s\n' \
    "# Written by Wharf's Node.js buildpack: the vendored node (.heroku/node) or the one it was" \
    "# built with, and the app's bin dir." \
    "export PATH=\"$home_bin_dirs:\$PATH\"" \
    "export NODE_HOME=\"$home_node_home\"" \
    'export NODE_ENV="${NODE_ENV:-production}"' >"$BUILD_DIR/.profile.d/nodejs.sh"
  info ".profile.d/nodejs.sh"
  printf '%s\n' "export PATH=\"$bin_dirs:\$PATH\"" "export NODE_HOME=\"$node_home\"" >"$BP_DIR/export"
  info "export (for later buildpacks)"
  # bin/release reads this instead of starting node again
  if has_script start || [[ -f "$BUILD_DIR/server.js" ]]; then
    printf -- '---\ndefault_process_types:\n  web: npm start\n' >"$BP_DIR/release.yml"
  else
    echo "--- {}" >"$BP_DIR/release.yml"
  fi
}
